import { join } from "node:path";
import { assert, assertEquals } from "../../_helpers/assert.ts";
import { startChatGateway } from "../../_helpers/chat_gateway.ts";

/** The text of the last tool result the model got. */
// deno-lint-ignore no-explicit-any
function lastToolResult(requests: { body?: any }[]): string {
  const messages = requests.at(-1)!.body.messages as { role: string; content: string }[];
  return messages.filter((m) => m.role === "tool").at(-1)!.content;
}

/** The hit ids of a memory_search result (`[MEMORY.md#L1-L1] (...)`). */
const hitIds = (result: string) => [...result.matchAll(/^\[([^\]]+)\]/gm)].map((m) => m[1]);

for (const mode of ["text", "hybrid"] as const) {
  Deno.test(`memory_search (${mode}) leaves out the session that asks, its question first`, async () => {
    const memorySearch = mode === "hybrid"
      ? { provider: "fake", model: "embed-test", sync: { watch: false } }
      : { sync: { watch: false } };
    await using env = await startChatGateway({
      inProcess: true,
      config: { agents: { defaults: { model: "fake/gpt-test", memorySearch } } },
    });
    const workspace = join(env.gw.stateDir, "workspace");
    await Deno.mkdir(workspace, { recursive: true });
    await Deno.writeTextFile(join(workspace, "MEMORY.md"), "The user likes green tea.\n");
    const client = await env.gw.connect();
    env.upstream.reply({ text: "Noted" });
    await client.request("chat.send", { sessionId: "earlier", message: "I had green tea today" });

    const search = { toolCalls: [{ name: "memory_search", arguments: { query: "green tea" } }] };
    env.upstream.reply(search, { text: "You like green tea" }, search, { text: "Still" });
    await client.request("chat.send", { sessionId: "asking", message: "Do I like green tea?" });
    const first = hitIds(lastToolResult(env.upstream.requests));
    assert(first.includes("MEMORY.md#L1-L1"), first.join(", "));
    assert(first.some((id) => id.startsWith("sessions/earlier.jsonl#")), first.join(", "));
    assert(!first.some((id) => id.startsWith("sessions/asking.jsonl#")), first.join(", "));

    // Its earlier turns are in context too, and stay out in the next turn.
    await client.request("chat.send", { sessionId: "asking", message: "And green tea again?" });
    const second = hitIds(lastToolResult(env.upstream.requests));
    assert(!second.some((id) => id.startsWith("sessions/asking.jsonl#")), second.join(", "));
    assert(second.some((id) => id.startsWith("sessions/earlier.jsonl#")), second.join(", "));

    // The memory.search method, asked by no session, still searches every one.
    const all = await client.request("memory.search", { query: "green tea" });
    if (mode === "hybrid") assertEquals(all.mode, "hybrid", all.warning);
    assert(all.results.some((hit) => hit.sessionId === "asking"));
  });
}
