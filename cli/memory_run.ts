/**
 * @module The `pyclaw memory` commands' work: `memory.*` on the gateway, else on the same
 * services in this process (over the same index files the gateway uses).
 */

import { fail, printJson } from "./_output.ts";
import { gatewayOrLocal, type GatewayOrLocalFlags } from "./_gateway_or_local.ts";
import { bold, dim } from "./_style.ts";

type Flags = GatewayOrLocalFlags & { json?: boolean; agent?: string };

export async function memorySearch(query: string, flags: Flags & { limit?: number }) {
  const agentId = flags.agent ?? "main";
  const { result, via } = await gatewayOrLocal(
    flags,
    (client, target) =>
      client.request(
        "memory.search",
        { query, agentId, ...(flags.limit ? { limit: flags.limit } : {}) },
        { timeoutMs: target.timeoutMs },
      ),
  ).catch((error) => fail(error));
  if (flags.json) return printJson({ ...result, via });
  if (result.disabled) return console.log("Memory search is disabled");
  if (!result.results.length) console.log(`No memories match "${query}"`);
  for (const hit of result.results) {
    const when = hit.time ? ` ${hit.time}` : "";
    console.log(`${bold(hit.id)} ${dim(`score ${hit.score}${when}`)}`);
    console.log(hit.snippet);
    console.log();
  }
  if (result.warning) console.log(dim(result.warning));
}

export async function memoryStatus(flags: Flags) {
  const { result, via } = await gatewayOrLocal(
    flags,
    (client, target) =>
      client.request("memory.status", flags.agent ? { agentId: flags.agent } : {}, {
        timeoutMs: target.timeoutMs,
      }),
  ).catch((error) => fail(error));
  // `memory.status`'s answer as it is (`embeddingError` included), and the route.
  if (flags.json) return printJson({ ...result, via });
  for (const agent of result.agents) {
    const embedding = agent.embedding
      ? `${agent.embedding.provider}/${agent.embedding.model} (${agent.embedded}/${agent.chunks} embedded)`
      : "none (full-text search only)";
    console.log(bold(agent.agentId) + (agent.enabled ? "" : " (disabled)"));
    console.log(
      `  files ${agent.files}, chunks ${agent.chunks}, sources ${agent.sources.join(", ")}`,
    );
    console.log(`  embedding ${embedding}`);
    console.log(`  last indexed ${agent.lastSync?.at ?? "never"}`);
    console.log(dim(`  index ${agent.dbPath}`));
    if (agent.embeddingError) console.log(`  embedding error: ${agent.embeddingError}`);
  }
}

export async function memoryReindex(flags: Flags) {
  const { result, via } = await gatewayOrLocal(
    flags,
    (client, target) =>
      client.request("memory.reindex", flags.agent ? { agentId: flags.agent } : {}, {
        timeoutMs: Math.max(target.timeoutMs, 120_000),
      }),
  ).catch((error) => fail(error));
  if (flags.json) return printJson({ ...result, via });
  for (const agent of result.agents) {
    console.log(
      `${agent.agentId}: ${agent.reindexed.length} files, ${agent.chunks} chunks in ${
        Math.round(agent.durationMs)
      } ms`,
    );
  }
}
