import { join } from "node:path";
import { assertEquals, assertMatch, assertRejects } from "../../_helpers/assert.ts";
import { recordEvents, startChatGateway } from "../../_helpers/chat_gateway.ts";
import { startInProcessGateway } from "../../_helpers/in_process_gateway.ts";
import { GatewayError } from "../../../core/errors.ts";

async function writeSkill(root: string, folder: string, name: string, description: string) {
  await Deno.mkdir(join(root, folder), { recursive: true });
  await Deno.writeTextFile(
    join(root, folder, "SKILL.md"),
    `---\nname: ${name}\ndescription: ${description}\n---\nInstructions of ${name}.\n`,
  );
}

Deno.test("skills.list finds skills in the state dir, skills.dirs and the agent's workspace", async () => {
  const extra = await Deno.makeTempDir({ prefix: "pyclaw-extra-skills-" });
  try {
    await using gw = await startInProcessGateway({
      config: {
        skills: { dirs: [extra] },
        agents: { list: [{ id: "writer", workspace: "writer-ws" }] },
      },
    });
    await writeSkill(gw.paths.skillsDir, "a", "summarize", "Summarize long text");
    await writeSkill(extra, "b", "deploy", "Deploy the site");
    await writeSkill(join(gw.stateDir, "writer-ws", "skills"), "c", "style", "House style");
    const client = await gw.connect();

    const main = await client.request(
      "skills.list",
    );
    assertEquals(main.count, 2);
    assertEquals(main.skills.map((s) => [s.name, s.source]), [
      ["deploy", "config"],
      ["summarize", "state"],
    ]);
    const writer = await client.request("skills.list", {
      agentId: "writer",
    });
    assertEquals(writer.skills.map((s) => s.name), ["deploy", "style", "summarize"]);
    const unknown = await assertRejects(
      () => client.request("skills.list", { agentId: "nobody" }),
      GatewayError,
    );
    assertEquals(unknown.code, "NOT_FOUND");
  } finally {
    await Deno.remove(extra, { recursive: true });
  }
});

Deno.test("the agent sees skills in its system prompt and loads one with read_skill", async () => {
  await using env = await startChatGateway({ inProcess: true });
  await writeSkill(env.gw.paths.skillsDir, "haiku", "haiku", "Write a haiku");
  const client = await env.gw.connect();
  const events = recordEvents(client);
  env.upstream.reply(
    { toolCalls: [{ name: "read_skill", arguments: { name: "haiku" } }] },
    { text: "Done" },
  );
  await client.request("chat.send", { message: "Write a haiku about rain" });
  const system = env.upstream.requests[0].body.messages[0];
  assertEquals(system.role, "system");
  assertMatch(system.content, /- haiku: Write a haiku/);
  const [result] = events.named("chat.tool_result");
  assertEquals(result.tool, "read_skill");
  assertMatch(JSON.stringify(result.result), /Instructions of haiku/);
  // The model reads the instructions as the tool's answer.
  assertMatch(
    JSON.stringify(env.upstream.requests[1].body.messages.at(-1)),
    /Instructions of haiku/,
  );
});
