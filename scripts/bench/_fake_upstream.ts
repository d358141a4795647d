/**
 * @module The stand-in OpenAI upstream of scripts/bench/openai_proxy.ts, in its own process so
 * the gateway and the measuring client do not share its event loop. Prints its base URL.
 *
 * Usage: deno run -A scripts/bench/_fake_upstream.ts [chunks]
 */

import { startFakeOpenAI } from "../../tests/_helpers/fake_openai.ts";

const chunks = Number(Deno.args[0] ?? "20");
const upstream = await startFakeOpenAI();
const words = Array.from({ length: chunks }, (_, i) => `word${i} `);
// `chunks` shape a streamed reply, `text` a plain one: both carry the same words.
upstream.setDefault({
  chunks: words,
  text: words.join(""),
  usage: { prompt: 20, completion: chunks },
});
// The recorder would grow without bound over thousands of requests.
setInterval(() => upstream.requests.splice(0), 1_000);
console.log(upstream.url);
