/** @module Tests of the ollama provider against a stand-in speaking Ollama's API shapes. */

import { ProviderRegistry } from "../../../agent/providers/registry.ts";
import { configSchema } from "../../../core/config/schema.ts";
import { assertEquals } from "../../_helpers/assert.ts";

function startFakeOllama() {
  const seen: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const path = new URL(req.url).pathname;
    seen.push(`${req.method} ${path}`);
    if (path === "/api/tags") {
      return Response.json({
        models: [{
          name: "qwen3:4b",
          model: "qwen3:4b",
          size: 2_500_000_000,
          details: { family: "qwen3", parameter_size: "4.0B", quantization_level: "Q4_K_M" },
        }, { name: "llama3.2:latest", model: "llama3.2:latest", details: {} }],
      });
    }
    if (path === "/v1/chat/completions" && req.method === "POST") {
      const body = await req.json();
      const chunk = (delta: unknown, finish: string | null) =>
        `data: ${
          JSON.stringify({
            id: "chatcmpl-1",
            object: "chat.completion.chunk",
            model: body.model,
            choices: [{ index: 0, delta, finish_reason: finish }],
          })
        }\n\n`;
      const text = chunk({ role: "assistant", content: "Hi from " + body.model }, null) +
        chunk({}, "stop") + "data: [DONE]\n\n";
      return new Response(text, { headers: { "content-type": "text/event-stream" } });
    }
    return new Response("404 page not found", { status: 404 });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    seen,
    close: () => server.shutdown(),
  };
}

Deno.test("ollama provider lists models from /api/tags and chats over /v1", async () => {
  const ollama = startFakeOllama();
  try {
    const config = configSchema().parse({
      models: { providers: { ollama: { baseUrl: `${ollama.url}/v1` } } },
    });
    const registry = new ProviderRegistry({ config: () => config });
    const models = await registry.listModels();
    assertEquals(models.map((m) => [m.provider, m.id, m.name]), [
      ["ollama", "qwen3:4b", "qwen3:4b (4.0B, Q4_K_M)"],
      ["ollama", "llama3.2:latest", "llama3.2:latest"],
    ]);
    const resolved = registry.resolve("ollama/qwen3:4b");
    let text = "";
    for await (
      const event of resolved.provider.stream({
        model: resolved.model,
        messages: [{ role: "user", content: "hello" }],
      })
    ) {
      if (event.type === "text") text += event.text;
    }
    assertEquals(text, "Hi from qwen3:4b");
    assertEquals(ollama.seen, ["GET /api/tags", "POST /v1/chat/completions"]);
    await registry.close();
  } finally {
    await ollama.close();
  }
});
