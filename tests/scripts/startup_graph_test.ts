/**
 * @module What `pyclaw gateway run` loads before its first answer (issue 17), checked on the
 * module graph rather than by timing: the modules kept off the start-up path on purpose must
 * stay off it, so a new static import that drags one back in fails here instead of slowly
 * making every start dearer. `npm run bench:quick` measures the time itself.
 */

import { assert, assertEquals } from "../_helpers/assert.ts";

const root = new URL("../../", import.meta.url).pathname;

interface ModuleInfo {
  specifier: string;
  dependencies?: { code?: { specifier?: string }; isDynamic?: boolean }[];
}

/**
 * The specifiers `entry` loads statically; with `walked`, also those Deno walks at start without
 * loading them (`import()` with a literal specifier).
 */
async function staticGraph(entry: string, walked = false): Promise<Set<string>> {
  const output = await new Deno.Command(`${root}node_modules/.bin/deno`, {
    args: ["info", "--json", entry],
    cwd: root,
    stdout: "piped",
    stderr: "null",
  }).output();
  assertEquals(output.code, 0);
  const info = JSON.parse(new TextDecoder().decode(output.stdout)) as {
    roots: string[];
    modules: ModuleInfo[];
  };
  const bySpecifier = new Map(info.modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>();
  const stack = [...info.roots];
  while (stack.length) {
    const specifier = stack.pop()!;
    if (seen.has(specifier)) continue;
    seen.add(specifier);
    for (const dependency of bySpecifier.get(specifier)?.dependencies ?? []) {
      const target = dependency.code?.specifier;
      if (target && (walked || !dependency.isDynamic)) stack.push(target);
    }
  }
  return seen;
}

Deno.test("gateway run listens before it loads zod, the config schema or the runtime", async () => {
  const front = [...await staticGraph("main.ts"), ...await staticGraph("cli/gateway_run.ts")];
  assert(front.some((s) => s.endsWith("/server/front.ts")), "the graph was not followed");
  const found = front.filter((s) =>
    /\/node_modules\//.test(s) || /\/core\/config\/(schema|load|store)\.ts$/.test(s) ||
    /\/(agent|tools)\//.test(s) || /\/server\/(gateway|gateway_core|services)\.ts$/.test(s)
  );
  assertEquals(found, []);
});

Deno.test("gateway run loads no npm package, config schema or validation before it is ready: they load with the first validation", async () => {
  // A gateway started from its start memo has its config without them (core/config/
  // config_memo.ts); tests/cli/gateway_idle_modules_test.ts watches a running one, which also
  // sees what is imported by a name built at run time.
  const graph = [
    ...await staticGraph("cli/gateway_run.ts"),
    ...await staticGraph("cli/gateway_serve.ts"),
  ];
  assert(graph.some((s) => s.endsWith("/server/gateway.ts")), "the graph was not followed");
  const found = graph.filter((s) =>
    !s.startsWith("file://") || /\/node_modules\//.test(s) ||
    /\/core\/config\/(schema|load)\.ts$/.test(s) || /\/_(jobs|devices)_file_schema\.ts$/.test(s)
  );
  assertEquals(found, []);
});

Deno.test("gateway run loads no doctor, backup, tool module, RPC family, CommonJS config library, browser manager, MCP connection, memory index, run loop, Telegram client, provider wire API, node:crypto or node:path at start", async () => {
  // What loads before the gateway is ready: the front, then what it serves with.
  const graph = [
    ...await staticGraph("cli/gateway_run.ts"),
    ...await staticGraph("cli/gateway_serve.ts"),
  ];
  assert(graph.some((s) => s.endsWith("/server/gateway.ts")), "the graph was not followed");
  const offPath = [
    // Needed on first use only: `doctor.run`, `backup.*`.
    /\/agent\/doctor\//,
    /\/agent\/backups\//,
    /\/node_modules\/modern-tar\//,
    // CommonJS: importing any of them starts Deno's CommonJS loader (~100 ms on 2 loaded cores).
    /\/node_modules\/json5\/lib\//,
    /\/node_modules\/proxy-addr\//,
    /\/node_modules\/shell-quote\//,
    // Secrets are compared by core/bytes.ts; node:crypto cost its own ~100 ms.
    /^node:crypto$/,
    // The tool modules and their parameter schemas: loaded on the first turn or tools.list.
    /\/tools\/builtin_tools\.ts$/,
    /\/tools\/files\//,
    /\/tools\/web\//,
    /\/tools\/(exec|read_pdf|read_docx|read_xlsx|read_pptx|send_file|cron_tool)\.ts$/,
    // The RPC method families, the whole catalogue and what handlers import: the first call.
    /\/server\/rpc\//,
    /\/server\/rpc_tables\.ts$/,
    /\/core\/protocol\/methods\.ts$/,
    // The OpenAI-compatible routes' modules and request schemas: their first request.
    /\/server\/openai\/(?!openai_routes\.ts$)/,
    // The cron parser: loaded with the first saved or added job.
    /\/node_modules\/croner\//,
    // The browser manager, its SSRF guard and the browser.* schemas: the first browser call.
    /\/tools\/browser\/(?!lazy_manager\.ts$)/,
    /\/core\/protocol\/methods\/browser\.ts$/,
    // The chat and sessions contracts' schemas: the first call (core/protocol/limits.ts holds
    // the message limit the agent checks at start).
    /\/core\/protocol\/methods\/(chat|sessions)\.ts$/,
    // The `connect` handshake's and the device pairing route's schemas (and the shared ones they
    // borrow): the first connect or pairing request (core/protocol/limits.ts names the roles).
    /\/core\/protocol\/(contract|methods\/(gateway|device|_shared))\.ts$/,
    // An MCP server's connection, client glue and sandboxed launch: the first configured server.
    /\/tools\/mcp\/(server_connection|connect|tool_result)\.ts$/,
    /\/tools\/sandbox\/mcp_sandbox\.ts$/,
    // The memory index, its SQLite store and node:sqlite, and the embedding clients: the first
    // search, status, embedding or synced turn (an idle gateway opens no index).
    /\/agent\/memory\/(?!memory_service\.ts$)/,
    /^node:sqlite$/,
    // The run loop and what only a running turn uses (its input, context, compaction, memory
    // flush, tool calls): the first turn; run_prepare.ts checks a request before it.
    /\/agent\/(run|turn_input|turn_context|session_context|compaction|_compaction_transcript)\.ts$/,
    /\/agent\/(memory_flush|tool_calls|tool_schema)\.ts$/,
    // The Telegram client and its Bot API calls: the first bot configured to run.
    /\/agent\/channels\/telegram_(channel|api)\.ts$/,
    // Each wire API's provider code: the first request to a provider of it. Imported by URL, so
    // this catches a static import only; tests/agent/providers/lazy_provider_test.ts watches a
    // running gateway for one loaded early.
    /\/agent\/providers\/(openai_compat|_openai_reads|anthropic|ollama|llamacpp|_llama_history)\.ts$/,
    /\/agent\/providers\/(_http|_http_fetched|_http1|_http1_connection|_http1_response|_http1_redirect|_http_status|_idle_watch|_llama_runtime)\.ts$/,
    /\/node_modules\/bare-http-parser\//,
    /\/node_modules\/eventsource-parser\//,
    // Deno's Node compatibility layer (its errors, assert, util and inspect: ~15 ms a start):
    // core/path.ts stands for node:path, core/paths.ts reads the home folder, and node:buffer
    // is imported with the first attachment (core/base64.ts).
    /^node:(path|os|buffer|fs|util|assert|events|process)$/,
  ];
  const found = graph.filter((s) => offPath.some((pattern) => pattern.test(s)));
  assertEquals(found, []);
});

Deno.test("gateway run does not read the Control UI's bundle at start", async () => {
  // Deno reads, and keeps in its module graph, every module a literal `import()` names (68 KB
  // here) whether or not it is imported: the bundle is imported by a URL on the first page.
  const walked = [
    ...await staticGraph("cli/gateway_run.ts", true),
    ...await staticGraph("cli/gateway_serve.ts", true),
  ];
  assert(walked.some((s) => s.endsWith("/server/ui/ui_routes.ts")), "the graph was not followed");
  assertEquals(walked.filter((s) => s.endsWith("/server/ui/assets.gen.ts")), []);
});

Deno.test("the entry point loads no command tree: gateway run skips it, other commands import it", async () => {
  const entry = [...await staticGraph("main.ts")];
  assertEquals(entry.filter((s) => !s.startsWith("file://") || s.includes("/node_modules/")), []);
  assertEquals(entry.filter((s) => /\/cli\/program\.ts$|\/(server|agent|tools)\//.test(s)), []);
});

Deno.test("the command tree builds only the commands: each command's code loads when it runs", async () => {
  const local = [...await staticGraph("cli/program.ts")].filter((s) =>
    s.startsWith("file://") && !s.includes("/node_modules/")
  );
  const heavy = local.filter((s) => /\/(server|agent|tools)\//.test(s));
  assertEquals(heavy, []);
});

Deno.test("every module imported lazily by URL is included in a compiled binary", async () => {
  const call =
    /importLazily<typeof import\("([^"]+)"\)>\(\s*new URL\("([^"]+)", import\.meta\.url\)/g;
  const imported: string[] = [];
  const scan = async (path: string) => {
    const text = await Deno.readTextFile(`${root}${path}`);
    for (const [, typed, url] of text.matchAll(call)) {
      assertEquals(typed, url, `${path} types one module and imports another`);
      imported.push(new URL(url, `file://${root}${path}`).pathname.slice(root.length));
    }
  };
  const walk = async (dir: string): Promise<void> => {
    for await (const entry of Deno.readDir(`${root}${dir}`)) {
      if (entry.isDirectory) await walk(`${dir}${entry.name}/`);
      else if (entry.name.endsWith(".ts")) await scan(`${dir}${entry.name}`);
    }
  };
  await scan("main.ts");
  for (const layer of ["cli/", "server/", "agent/", "tools/", "core/"]) await walk(layer);
  assert(imported.includes("server/rpc_tables.ts"), "no importLazily call was found");
  const script = await Deno.readTextFile(`${root}scripts/compile.sh`);
  const listed = script.match(/lazy_modules=\(([^)]*)\)/)![1].trim().split(/\s+/);
  assertEquals([...imported].sort(), [...listed].sort());
});

Deno.test("gateway run's start-up graph stays within its module budget", async () => {
  const local = (graph: Set<string>) =>
    [...graph].filter((s) => s.startsWith("file://") && !s.includes("/node_modules/"));
  // Before it listens (and answers `/health`): 19 of the program's modules (2026-12-06, issue 17;
  // 140 when the gateway loaded everything first; 16 before the start memo held the whole
  // config, core/config/config_memo.ts and config_text.ts, and the log wrote its time without
  // Date's, core/iso_time.ts). Before it is ready: 112, core/idle_gc.ts included (255 before
  // the first pass; 146 before the memory index, the run loop, the Telegram client, the
  // providers' wire APIs and the embedding clients loaded on first use; 116 before the connect
  // and pairing contracts did; 110 once the config validation did, then iso_time.ts and
  // web_timeout.ts; 113 with server/client_signal.ts, which every HTTP route's signal comes
  // from). A new module on the start path belongs there only if the gateway needs it to serve;
  // otherwise import it on first use (core/lazy_module.ts keeps it out of the walk as well).
  const main = local(await staticGraph("main.ts"));
  const front = new Set([...main, ...local(await staticGraph("cli/gateway_run.ts"))]);
  assert(front.size <= 19, `gateway run loads ${front.size} of the program's modules to listen`);
  const ready = new Set([...front, ...local(await staticGraph("cli/gateway_serve.ts"))]);
  assert(ready.size <= 113, `gateway run loads ${ready.size} of the program's modules at start`);
  const walked = local(await staticGraph("main.ts", true)).length;
  assert(walked <= 19, `Deno walks ${walked} of the program's modules before gateway run starts`);
});
