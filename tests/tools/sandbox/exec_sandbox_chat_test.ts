import { join } from "node:path";
import { assert, assertEquals } from "../../_helpers/assert.ts";
import { recordEvents, startChatGateway } from "../../_helpers/chat_gateway.ts";
import { CommandSandbox } from "../../../tools/sandbox/command_sandbox.ts";

const ignore = !(await new CommandSandbox({ hidden: [], env: {} }).availability()).available;

Deno.test({
  name: "exec in a chat runs in the sandbox by default: the state dir is out of reach",
  ignore,
  fn: async () => {
    await using env = await startChatGateway({
      inProcess: true,
      config: { tools: { exec: { policy: "allow" } } },
    });
    const secret = join(env.gw.stateDir, "secret-note.txt");
    await Deno.writeTextFile(secret, "prompt-injection-target\n");
    env.upstream.reply(
      { toolCalls: [{ name: "exec", arguments: { command: `cat ${secret}; cat ../*.txt` } }] },
      {
        toolCalls: [{ name: "exec", arguments: { command: "echo hi > made.txt && cat made.txt" } }],
      },
      { text: "Done" },
    );
    const client = await env.gw.connect();
    const events = recordEvents(client);
    await client.request("chat.send", { message: "Read my notes" });
    const [read, write] = events.named("chat.tool_result");
    assertEquals(read.result.sandboxed, true);
    assert(!JSON.stringify(read).includes("prompt-injection-target"), JSON.stringify(read));
    assertEquals(write.result.stdout, "hi\n");
  },
});
