/**
 * @module A real gateway process, run as the launcher runs it, with its V8 inspector open on a
 * loopback port, and the list of the scripts it has parsed so far read through that inspector:
 * what a running gateway has loaded, which the static module graph cannot show (modules
 * imported by URL at run time). Used by the lazy-loading checks.
 */

const root = new URL("../../", import.meta.url).pathname;

/**
 * A gateway run as the launcher runs it, with its V8 inspector open on a loopback port; `env`
 * adds to its environment (a `DENO_DIR` of the test's own, say).
 */
export async function inspectedGateway(stateDir: string, env: Record<string, string> = {}) {
  const child = new Deno.Command(`${root}node_modules/.bin/deno`, {
    args: [
      "run",
      "--permission-set=pyclaw",
      "--v8-flags=--expose-gc",
      "--no-lock",
      "--no-prompt",
      "--inspect=127.0.0.1:0",
      `${root}main.ts`,
      "gateway",
      "run",
    ],
    cwd: root,
    env: { PYCLAW_STATE_DIR: stateDir, NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const inspectorUrl = await readUntil(child.stderr, /Debugger listening on (ws:\/\/\S+)/);
  const ready = await readUntil(child.stdout, /pyclaw gateway ready: ws:\/\/([^,\s]+)/);
  return {
    inspectorUrl,
    baseUrl: `http://${ready}`,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

/** Reads `stream` until `pattern` matches, returns its first group, and drains the rest. */
async function readUntil(stream: ReadableStream<Uint8Array>, pattern: RegExp): Promise<string> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  for (;;) {
    const match = text.match(pattern);
    if (match) {
      (async () => {
        while (!(await reader.read()).done) { /* keep the pipe from filling */ }
      })().catch(() => {});
      return match[1];
    }
    const { value, done } = await reader.read();
    if (done) throw new Error(`The gateway ended before printing ${pattern}: ${text}`);
    text += value;
  }
}

/**
 * A Chrome DevTools Protocol session: `Debugger.enable` reports every script parsed so far, and
 * each one parsed later as it is.
 */
export async function scriptsOf(inspectorUrl: string) {
  const socket = new WebSocket(inspectorUrl);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = reject;
  });
  const parsed: string[] = [];
  const pending = new Map<number, () => void>();
  let nextId = 1;
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.method === "Debugger.scriptParsed") parsed.push(message.params.url);
    pending.get(message.id)?.();
  };
  const send = (method: string) =>
    new Promise<void>((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      socket.send(JSON.stringify({ id, method }));
    });
  await send("Debugger.enable");
  return {
    /**
     * The program's modules parsed so far, npm packages' included (`node_modules/...`), relative
     * to the repository (events arrive in order, before a later reply).
     */
    async modules(): Promise<string[]> {
      await send("Runtime.getIsolateId");
      return parsed.filter((url) => url.startsWith(`file://${root}`))
        .map((url) => url.slice(`file://${root}`.length));
    },
    /** Deno's own modules parsed so far (`ext:...`, `node:...`). */
    async runtimeModules(): Promise<string[]> {
      await send("Runtime.getIsolateId");
      return parsed.filter((url) => url.startsWith("ext:") || url.startsWith("node:"));
    },
    close() {
      socket.close();
    },
  };
}
