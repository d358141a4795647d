#!/usr/bin/env bash
# Builds pyclaw as one executable with `deno compile`, with the same permissions and flags as
# scripts/pyclaw. Usage: scripts/compile.sh [TARGET] (e.g. x86_64-unknown-linux-gnu,
# aarch64-apple-darwin, x86_64-pc-windows-msvc; default: this machine). Output: dist/pyclaw[-TARGET].
#
# deno compile downloads Deno's `denort` runtime for the target on first use, so it needs the
# internet (dl.deno.land); everything else comes from node_modules (run `npm ci` first).
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
cd "$root"
deno=node_modules/.bin/deno
[ -x "$deno" ] || { echo "Run 'npm ci' first" >&2; exit 1; }

target="${1:-}"
out="dist/pyclaw${target:+-$target}"
mkdir -p dist

# Assets the program reads at run time besides imported modules. The control UI is a generated
# TypeScript module (server/ui/assets.gen.ts) and needs nothing here. node-llama-cpp's prebuilt
# binaries are native files the import graph cannot see; include the ones for this platform.
includes=()
case "${target:-$(uname -s)-$(uname -m)}" in
  *linux*x86_64* | Linux-x86_64) llama=linux-x64 ;;
  *linux*aarch64* | Linux-aarch64) llama=linux-arm64 ;;
  *apple-darwin* | Darwin-*) llama=mac-arm64-metal ;;
  *windows* | MINGW* | MSYS*) llama=win-x64 ;;
  *) llama="" ;;
esac
# Modules imported with core/lazy_module.ts's importLazily: a URL built at run time keeps them
# out of the start-up module graph, and out of what deno compile can follow.
# tests/scripts/startup_graph_test.ts keeps this list equal to the importLazily calls.
lazy_modules=(
  cli/program.ts
  cli/gateway_serve.ts
  cli/_gateway_config.ts
  core/config/load.ts
  core/config/schema.ts
  core/config/start_memo_repair.ts
  agent/cron/_jobs_file_schema.ts
  agent/devices/_devices_file_schema.ts
  server/rpc_tables.ts
  server/ui/assets.gen.ts
  core/protocol/methods/gateway.ts
  core/protocol/methods/device.ts
  tools/builtin_tools.ts
  server/openai/chat_completions.ts
  server/openai/models.ts
  server/openai/responses.ts
  server/openai/embeddings.ts
  tools/browser/manager.ts
  tools/mcp/server_connection.ts
  agent/memory/memory_index.ts
  agent/plans/_plan_index.ts
  agent/memory/embeddings.ts
  agent/run.ts
  agent/turn_input.ts
  agent/turn_context.ts
  agent/channels/telegram_channel.ts
  agent/providers/openai_compat.ts
  agent/providers/anthropic.ts
  agent/providers/ollama.ts
  agent/providers/llamacpp.ts
  agent/_usage_totals.ts
  agent/_session_totals.ts
)
for module in "${lazy_modules[@]}"; do includes+=(--include "$module"); done
if [ -n "$llama" ] && [ -d "node_modules/@node-llama-cpp/$llama" ]; then
  includes+=(--include "node_modules/@node-llama-cpp/$llama")
fi

# The launcher's permissions, the `pyclaw` set of deno.json (docs/permissions.md), and its V8 flags
# (core/idle_gc.ts), baked into the binary.
"$deno" compile --permission-set=pyclaw --v8-flags=--expose-gc --no-lock --no-prompt \
  ${target:+--target "$target"} \
  "${includes[@]}" \
  --output "$out" \
  main.ts
echo "Built $out"
