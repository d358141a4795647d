import { assert, assertEquals, assertMatch } from "../../_helpers/assert.ts";
import { startPageServer } from "../../_helpers/browser_pages.ts";
import { recordEvents, startChatGateway } from "../../_helpers/chat_gateway.ts";

Deno.test("the browser tool in a chat: the model reads a page, sees a screenshot, is kept out of internal addresses", async () => {
  await using site = startPageServer();
  await using env = await startChatGateway({
    inProcess: true,
    config: { browser: { ssrf: { allowedHosts: ["127.0.0.1"] } } },
  });
  env.upstream.reply(
    {
      toolCalls: [{
        id: "b1",
        name: "browser",
        arguments: { action: "open", url: `${site.base}/` },
      }],
    },
    { toolCalls: [{ id: "b2", name: "browser", arguments: { action: "screenshot" } }] },
    {
      toolCalls: [{
        id: "b3",
        name: "browser",
        arguments: { action: "navigate", url: "http://169.254.169.254/latest/meta-data/" },
      }],
    },
    { text: "The page says Home page." },
  );
  const client = await env.gw.connect();
  const events = recordEvents(client);
  await client.request("chat.send", { message: "What does my site say?", sessionId: "web" });

  const offered = env.upstream.requests[0].body.tools.map((t: { function: { name: string } }) =>
    t.function.name
  );
  assert(offered.includes("browser"), "the browser tool is offered to the model");

  const calls = events.named("chat.tool_call");
  assertEquals(calls.map((call) => call.args.action), ["open", "screenshot", "navigate"]);
  const results = events.named("chat.tool_result");
  assertEquals(results[0].result.title, "Home");

  const messages = (n: number) => JSON.stringify(env.upstream.requests[n].body.messages);
  assertMatch(messages(1), /Home page/);
  assertMatch(messages(1), /e\d+ a \\"Click page\\"/);
  assertMatch(messages(2), /data:image\/png;base64,iVBORw0KGgo/);
  assertMatch(messages(3), /Blocked by the browser SSRF policy.*link-local/);
  assertEquals(events.named("chat.delta").map((p) => p.delta).join(""), "The page says Home page.");
  assertEquals(env.gw.gateway.services.browser.running, ["default"]);
});
