/**
 * @module Checks that imports point one way: main.ts → cli → server → agent → tools → core,
 * and that no modules import each other in a cycle (type-only imports included: a cycle of
 * types still ties the modules together). Run by `npm test`; prints each upward import and each
 * cycle, and exits 1 if there is any.
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
// The Control UI is bundled for the browser: it may import only itself, npm packages and the
// wire contract in core/protocol/ (types only, so the catalogue's schemas stay out of the bundle).
for await (const file of sourceFiles(`${root}ui`)) {
  const text = await Deno.readTextFile(file);
  for (const match of text.matchAll(IMPORT)) {
    const target = new URL(match[1] ?? match[2], `file://${file}`).pathname;
    const contractTypes = target.startsWith(`${root}core/protocol/`) &&
      /^import type\s/.test(match[0]);
    if (!target.startsWith(`${root}ui/`) && !contractTypes) {
      problems.push(
        `${file.slice(root.length)} imports ${target.slice(root.length)} (outside ui/)`,
      );
    }
  }
}
if (problems.length) {
  console.error(
    "Upward imports (layers: main.ts → cli → server → agent → tools → core) and cycles:",
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
