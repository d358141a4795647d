/**
 * @module Benchmark of the OpenAI-compatible API against calling the stand-in upstream directly,
 * side by side in one run: non-streaming p50/p99, streaming time to first content chunk, N
 * concurrent streams with zero lost chunks, and the WebSocket `chat.send` → `chat.done` overhead
 * beyond the provider's own time. Upstream, gateway and client are three processes.
 *
 * Usage: node_modules/.bin/deno run -A scripts/bench/openai_proxy.ts [--requests 400]
 *        [--concurrent 100] [--chunks 20]
 */

const root = new URL("../../", import.meta.url).pathname;
const deno = `${root}node_modules/.bin/deno`;
const flag = (name: string, fallback: number): number => {
  const at = Deno.args.indexOf(`--${name}`);
  return at >= 0 ? Number(Deno.args[at + 1]) : fallback;
};
const REQUESTS = flag("requests", 400);
const CONCURRENT = flag("concurrent", 100);
const CHUNKS = flag("chunks", 20);
const TOKEN = "bench-token-0123456789abcdef";

async function firstLine(child: Deno.ChildProcess): Promise<string> {
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("upstream exited before printing its URL");
    text += value;
  }
  reader.releaseLock();
  return text.split("\n")[0].trim();
}

const upstreamProcess = new Deno.Command(deno, {
  args: [
    "run",
    "-A",
    "--no-lock",
    "--quiet",
    `${root}scripts/bench/_fake_upstream.ts`,
    String(CHUNKS),
  ],
  stdout: "piped",
  stderr: "null",
}).spawn();
const upstreamUrl = await firstLine(upstreamProcess);

const stateDir = await Deno.makeTempDir({ prefix: "pyclaw-bench-" });
const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
const port = (listener.addr as Deno.NetAddr).port;
listener.close();
await Deno.writeTextFile(
  `${stateDir}/pyclaw.json`,
  JSON.stringify({
    gateway: {
      http: { port: false },
      limits: { requestsPerSecond: 100000, requestBurst: 100000, maxConnectionsPerAddress: 1000 },
    },
    models: { providers: { fake: { baseUrl: upstreamUrl, models: [{ id: "gpt-test" }] } } },
    agents: { defaults: { model: "fake/gpt-test" } },
    logging: { consoleLevel: "warn", level: "warn" },
    update: { enabled: false },
  }),
);
const gateway = new Deno.Command(`${root}scripts/pyclaw`, {
  args: ["gateway", "run", "--port", String(port), "--bind", "127.0.0.1", "--auth-token", TOKEN],
  env: { PYCLAW_STATE_DIR: stateDir },
  stdout: "null",
  stderr: "null",
}).spawn();
const gatewayUrl = `http://127.0.0.1:${port}/v1`;
for (;;) {
  try {
    if ((await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.text())).includes("ok")) {
      break;
    }
  } catch { /* not up yet */ }
  await new Promise((resolve) => setTimeout(resolve, 20));
}

const body = (stream: boolean) =>
  JSON.stringify({
    model: "gpt-test",
    messages: [{ role: "user", content: "Say something" }],
    stream,
  });
const headers = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };

async function nonStreaming(base: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${base}/chat/completions`, {
    method: "POST",
    headers,
    body: body(false),
  });
  await response.json();
  return performance.now() - started;
}

/** Time to the first content chunk, the whole stream's time, and the content chunks seen. */
async function streaming(base: string): Promise<{ first: number; total: number; chunks: number }> {
  const started = performance.now();
  const response = await fetch(`${base}/chat/completions`, {
    method: "POST",
    headers,
    body: body(true),
  });
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let first = 0;
  let chunks = 0;
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    const frames = buffer.split("\n\n");
    buffer = frames.pop()!;
    for (const frame of frames) {
      if (!frame.includes('"content":"word')) continue;
      chunks += 1;
      if (!first) first = performance.now() - started;
    }
  }
  return { first, total: performance.now() - started, chunks };
}

const pct = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};
const ms = (value: number) => `${value.toFixed(3)} ms`;

// Warm both paths (JIT, connection pools) before measuring.
for (let i = 0; i < 50; i++) {
  await nonStreaming(upstreamUrl);
  await nonStreaming(gatewayUrl);
  await streaming(upstreamUrl);
  await streaming(gatewayUrl);
}

const direct: number[] = [];
const proxied: number[] = [];
const directFirst: number[] = [];
const proxiedFirst: number[] = [];
const directTotal: number[] = [];
for (let i = 0; i < REQUESTS; i++) {
  // Alternate, so drift in the machine's load hits both sides alike.
  direct.push(await nonStreaming(upstreamUrl));
  proxied.push(await nonStreaming(gatewayUrl));
  const d = await streaming(upstreamUrl);
  directFirst.push(d.first);
  directTotal.push(d.total);
  proxiedFirst.push((await streaming(gatewayUrl)).first);
}

const concurrent = await Promise.all(
  Array.from({ length: CONCURRENT }, () => streaming(gatewayUrl)),
);
const lost = concurrent.reduce((sum, result) => sum + (CHUNKS - result.chunks), 0);

// WebSocket chat.send → answer, against the provider's own streaming time.
const socket = new WebSocket(`ws://127.0.0.1:${port}`);
await new Promise((resolve) => (socket.onopen = resolve));
let nextId = 1;
const pending = new Map<string, () => void>();
socket.onmessage = (event) => {
  const frame = JSON.parse(event.data);
  if (frame.type === "res") pending.get(String(frame.id))?.();
};
const call = (method: string, params: unknown) =>
  new Promise<void>((resolve) => {
    const id = String(nextId++);
    pending.set(id, resolve);
    socket.send(JSON.stringify({ type: "req", id, method, params }));
  });
await call("connect", { minProtocol: 3, maxProtocol: 3, auth: { token: TOKEN } });
const turns: number[] = [];
const turnsDirect: number[] = [];
for (let i = 0; i < Math.min(REQUESTS, 200); i++) {
  const started = performance.now();
  await call("chat.send", { message: "Say something", sessionId: `bench-${i % 10}` });
  turns.push(performance.now() - started);
  turnsDirect.push((await streaming(upstreamUrl)).total);
}
socket.close();

console.log(`openai_proxy benchmark: ${REQUESTS} requests each way, ${CHUNKS} chunks a reply`);
console.log(`non-streaming   direct p50 ${ms(pct(direct, 50))} p99 ${ms(pct(direct, 99))}`);
console.log(`                gateway p50 ${ms(pct(proxied, 50))} p99 ${ms(pct(proxied, 99))}`);
console.log(
  `                added p50 ${ms(pct(proxied, 50) - pct(direct, 50))} p99 ${
    ms(pct(proxied, 99) - pct(direct, 99))
  }`,
);
console.log(
  `first chunk     direct p50 ${ms(pct(directFirst, 50))}, gateway p50 ${
    ms(pct(proxiedFirst, 50))
  }`,
);
console.log(`                added p50 ${ms(pct(proxiedFirst, 50) - pct(directFirst, 50))}`);
console.log(
  `concurrent      ${CONCURRENT} streams, ${CONCURRENT * CHUNKS - lost}/${
    CONCURRENT * CHUNKS
  } chunks, lost ${lost}`,
);
console.log(
  `chat.send turn  p50 ${ms(pct(turns, 50))}, provider alone p50 ${
    ms(pct(turnsDirect, 50))
  }, overhead p50 ${ms(pct(turns, 50) - pct(turnsDirect, 50))}`,
);

gateway.kill("SIGTERM");
upstreamProcess.kill("SIGTERM");
await gateway.status;
await upstreamProcess.status;
await upstreamProcess.stdout.cancel().catch(() => {});
await Deno.remove(stateDir, { recursive: true });
