/**
 * @module Checks that imports point one way: main.ts → cli → server → agent → tools → core,
 * and that no modules import each other in a cycle (type-only imports included: a cycle of
 * types still ties the modules together). Run by `npm test`; prints each upward import and each
 * cycle, and exits 1 if there is any. The Control UI (ui/, bundled for the browser) may import
 * only itself, npm packages and `core/protocol/`, which imports nothing else of `core/`.
 * `chat.*` events are published from `server/chat_events.ts` only: the one place that shapes
 * their payloads from the agent's run events.
 */

const LAYERS = ["core", "tools", "agent", "server", "cli"] as const;
const root = new URL("..", import.meta.url).pathname;

function layerOf(path: string): number {
  const top = path.slice(root.length).split("/")[0];
  if (top === "main.ts") return LAYERS.length;
  return LAYERS.indexOf(top as typeof LAYERS[number]);
}

async function* sourceFiles(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) yield* sourceFiles(path);
    else if (/\.(ts|tsx)$/.test(entry.name)) yield path;
  }
}

/** The only module that may publish a `chat.*` event. */
const CHAT_EVENTS_MODULE = "server/chat_events.ts";
const CHAT_PUBLISH = /\b(?:publish|sendEvent|encodeEvent)\(\s*["'`]chat\./;

const IMPORT =
  /(?:import|export)\s[^;]*?from\s+["'](\.{1,2}\/[^"']+)["']|import\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g;
const problems: string[] = [];
const files = [`${root}main.ts`];
for (const layer of LAYERS) {
  for await (const file of sourceFiles(`${root}${layer}`)) files.push(file);
}
/** Static imports of each file; a dynamic `import()` loads lazily and may close a loop. */
const graph = new Map<string, string[]>();
for (const file of files) {
  const from = layerOf(file);
  const text = await Deno.readTextFile(file);
  if (CHAT_PUBLISH.test(text) && file.slice(root.length) !== CHAT_EVENTS_MODULE) {
    problems.push(
      `${file.slice(root.length)} publishes a chat.* event (only ${CHAT_EVENTS_MODULE})`,
    );
  }
  const edges: string[] = [];
  graph.set(file, edges);
  for (const match of text.matchAll(IMPORT)) {
    const target = new URL(match[1] ?? match[2], `file://${file}`).pathname;
    if (match[1]) edges.push(target);
    const to = layerOf(target);
    if (to > from) {
      problems.push(`${file.slice(root.length)} imports ${target.slice(root.length)} (upward)`);
    }
  }
}
for (const cycle of importCycles(graph)) {
  problems.push(`import cycle: ${cycle.map((file) => file.slice(root.length)).join(" → ")}`);
}
problems.push(...await uiProblems(graph));
if (problems.length) {
  console.error(
    "Upward imports (layers: main.ts → cli → server → agent → tools → core), cycles, UI imports, " +
      "chat.* events published outside " + CHAT_EVENTS_MODULE + ":",
  );
  for (const problem of problems) console.error(`  ${problem}`);
  Deno.exit(1);
}

/**
 * Each strongly connected group of modules (Tarjan's algorithm), as one loop through it: every
 * group of two or more modules, or a module that imports itself, is a cycle.
 */
function importCycles(edges: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let counter = 0;
  const visit = (node: string) => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    onStack.add(node);
    for (const next of edges.get(node) ?? []) {
      if (!edges.has(next)) continue;
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const group: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      group.push(member);
    } while (member !== node);
    const selfImport = edges.get(node)?.includes(node);
    if (group.length > 1 || selfImport) cycles.push(loopThrough(group.reverse(), edges));
  };
  for (const node of edges.keys()) if (!index.has(node)) visit(node);
  return cycles;
}

/** A path from the group's first module back to itself, staying inside the group. */
function loopThrough(group: string[], edges: Map<string, string[]>): string[] {
  const inGroup = new Set(group);
  const start = group[0];
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const node = queue.shift()!;
    for (const next of edges.get(node) ?? []) {
      if (!inGroup.has(next)) continue;
      if (next === start) {
        const path = [start];
        for (let at = node; at !== start; at = previous.get(at)!) path.splice(1, 0, at);
        return [...path, start];
      }
      if (!previous.has(next)) {
        previous.set(next, node);
        queue.push(next);
      }
    }
  }
  return [...group, start];
}

/**
 * The Control UI's rules: ui/ imports only ui/ and core/protocol/; core/protocol/ imports nothing
 * else of core/ (so the page never loads the config, the logger or the server's half); and what
 * the page loads of core/protocol/ at run time loads no zod (the catalogue's schemas are types
 * to the UI, not bytes in its bundle).
 */
async function uiProblems(graph: Map<string, string[]>): Promise<string[]> {
  const found: string[] = [];
  const protocol = `${root}core/protocol/`;
  const name = (file: string) => file.slice(root.length);
  for (const file of graph.keys()) {
    if (!file.startsWith(protocol)) continue;
    for (const target of graph.get(file)!) {
      if (target.startsWith(`${root}core/`) && !target.startsWith(protocol)) {
        found.push(`${name(file)} imports ${name(target)} (core/protocol/ imports only itself)`);
      }
    }
  }
  const queue: string[] = [];
  for await (const file of sourceFiles(`${root}ui`)) queue.push(file);
  const seen = new Set(queue);
  while (queue.length) {
    const file = queue.shift()!;
    const text = await Deno.readTextFile(file);
    for (const match of text.matchAll(IMPORT)) {
      const target = new URL(match[1] ?? match[2], `file://${file}`).pathname;
      if (file.startsWith(`${root}ui/`) && !/^(ui|core\/protocol)\//.test(name(target))) {
        found.push(
          `${name(file)} imports ${name(target)} (ui/ imports only ui/ and core/protocol/)`,
        );
      }
      const runtime = !/^(import|export) type\s/.test(match[0]);
      if (runtime && !seen.has(target) && /\.tsx?$/.test(target)) {
        seen.add(target);
        queue.push(target);
      }
    }
    if (file.startsWith(protocol)) {
      for (const match of text.matchAll(/^import (?!type\s)[^;]*?from\s+["'](zod[^"']*)["']/gm)) {
        found.push(`${name(file)} loads ${match[1]} into the Control UI's bundle`);
      }
    }
  }
  return found;
}
