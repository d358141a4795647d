/**
 * @module Checks that imports point one way: main.ts → cli → server → agent → tools → core.
 * Run by `npm test`; prints each upward import and exits 1 if there is any.
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
for (const file of files) {
  const from = layerOf(file);
  const text = await Deno.readTextFile(file);
  for (const match of text.matchAll(IMPORT)) {
    const target = new URL(match[1] ?? match[2], `file://${file}`).pathname;
    const to = layerOf(target);
    if (to > from) {
      problems.push(`${file.slice(root.length)} imports ${target.slice(root.length)} (upward)`);
    }
  }
}
// The Control UI is bundled for the browser: it may import only itself and npm packages.
for await (const file of sourceFiles(`${root}ui`)) {
  const text = await Deno.readTextFile(file);
  for (const match of text.matchAll(IMPORT)) {
    const target = new URL(match[1] ?? match[2], `file://${file}`).pathname;
    if (!target.startsWith(`${root}ui/`)) {
      problems.push(
        `${file.slice(root.length)} imports ${target.slice(root.length)} (outside ui/)`,
      );
    }
  }
}
if (problems.length) {
  console.error("Upward imports (layers: main.ts → cli → server → agent → tools → core):");
  for (const problem of problems) console.error(`  ${problem}`);
  Deno.exit(1);
}
