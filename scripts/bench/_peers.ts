/**
 * @module The peers the benchmarks compare against, installed on demand from npm into a cache
 * folder outside the project (never into its package.json): Node 24 (OpenClaw needs
 * `>=24.16.0 <25`), the OpenClaw gateway and the Portkey gateway, each in its own folder with a
 * package.json pinning the versions, so runs compare like with like. `PYCLAW_BENCH_CACHE`
 * moves the folder (default ~/.cache/pyclaw-bench).
 */

const home = Deno.env.get("HOME") ?? "/tmp";
export const cacheDir = Deno.env.get("PYCLAW_BENCH_CACHE") ?? `${home}/.cache/pyclaw-bench`;

interface Peer {
  name: string;
  version: string;
  /** The file to run, relative to the peer's folder. */
  entry: string;
  /** npm `overrides` for the peer's own dependencies. */
  overrides?: Record<string, string>;
}

export const PEERS = {
  node24: { name: "node", version: "24.21.0", entry: "node_modules/node/bin/node" },
  openclaw: { name: "openclaw", version: "2026.9.6", entry: "node_modules/openclaw/openclaw.mjs" },
  portkey: {
    name: "@portkey-ai/gateway",
    version: "1.15.2",
    entry: "node_modules/@portkey-ai/gateway/build/start-server.js",
    // With @hono/node-server ≥ 1.14 every streamed reply fails with "TypeError: immutable":
    // its Response hands back the upstream's read-only headers, which Portkey appends to
    // (Portkey-AI/gateway issues 1389 and 1550). 1.13.8 is the newest release that streams.
    overrides: { "@hono/node-server": "1.13.8" },
  },
} satisfies Record<string, Peer>;

export type PeerName = keyof typeof PEERS;

const exists = (path: string) => Deno.stat(path).then(() => true, () => false);

/**
 * The absolute path of a peer's entry file, installing the peer first when its folder does not
 * hold exactly the pinned setup.
 *
 * @param nodeBin the Node the peer will run on, first on PATH while npm checks engines
 * @throws {Error} when npm fails, with its output
 */
export async function ensurePeer(name: PeerName, nodeBin?: string): Promise<string> {
  const peer: Peer = PEERS[name];
  const dir = `${cacheDir}/${name}`;
  const path = `${dir}/${peer.entry}`;
  const manifest = JSON.stringify(
    {
      private: true,
      dependencies: { [peer.name]: peer.version },
      ...(peer.overrides ? { overrides: peer.overrides } : {}),
    },
    null,
    2,
  );
  const current = await Deno.readTextFile(`${dir}/package.json`).catch(() => "");
  if (current === manifest && await exists(path)) return path;
  console.error(`… installing ${peer.name}@${peer.version} into ${dir}`);
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(`${dir}/package.json`, manifest);
  const pathVar = Deno.env.get("PATH") ?? "/usr/bin:/bin";
  const result = await new Deno.Command("npm", {
    args: ["install", "--no-audit", "--no-fund"],
    cwd: dir,
    env: { PATH: nodeBin ? `${nodeBin.slice(0, nodeBin.lastIndexOf("/"))}:${pathVar}` : pathVar },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const log = new TextDecoder().decode(result.stdout) + new TextDecoder().decode(result.stderr);
  if (!result.success || !(await exists(path))) {
    // A half-installed folder must not pass for a good one next time.
    await Deno.remove(`${dir}/package.json`).catch(() => {});
    throw new Error(`npm install of ${peer.name}@${peer.version} failed in ${dir}:\n${log}`);
  }
  return path;
}
