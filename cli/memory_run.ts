/**
 * @module The `pyclaw memory` commands' work: `memory.*` on the gateway, else a memory service
 * over the local state dir (the same index files the gateway uses).
 */

import { EventBus } from "../core/event_bus.ts";
import { Logger } from "../core/logger.ts";
import { LocalModelStore } from "../agent/models/model_store.ts";
import { ProviderRegistry } from "../agent/providers/registry.ts";
import {
  type MemoryReindexReport,
  MemoryService,
  type MemoryStatus,
} from "../agent/memory/memory_service.ts";
import type { MemorySearchResult } from "../tools/memory/memory_types.ts";
import { fail, printJson } from "./_output.ts";
import { gatewayOrLocal, type GatewayOrLocalFlags } from "./_gateway_or_local.ts";
import { loadLocalConfig, localPaths } from "./_local_state.ts";
import { bold, dim } from "./_style.ts";

type Flags = GatewayOrLocalFlags & { json?: boolean; agent?: string };

/** Runs `work` on a memory service of the local state dir, closed afterwards. */
async function withLocalMemory<T>(work: (memory: MemoryService) => Promise<T>): Promise<T> {
  const config = await loadLocalConfig();
  const paths = localPaths();
  const env = Deno.env.toObject();
  const providers = new ProviderRegistry({ config: () => config, env });
  const memory = new MemoryService({
    config: () => config,
    paths,
    bus: new EventBus(),
    logger: new Logger({ consoleLevel: "warn" }),
    providers,
    localModels: new LocalModelStore(paths.modelsDir),
    localSettings: () => config.models.local,
  });
  try {
    return await work(memory);
  } finally {
    await memory.stop();
    await providers.close().catch(() => {});
  }
}

export async function memorySearch(query: string, flags: Flags & { limit?: number }) {
  const agentId = flags.agent ?? "main";
  let result: MemorySearchResult;
  let via: string;
  try {
    ({ result, via } = await gatewayOrLocal(
      flags,
      (client, target) =>
        client.request(
          "memory.search",
          { query, agentId, ...(flags.limit ? { limit: flags.limit } : {}) },
          { timeoutMs: target.timeoutMs },
        ),
      () => withLocalMemory((memory) => memory.search(agentId, query, { maxResults: flags.limit })),
    ));
  } catch (error) {
    fail(error);
  }
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
  let agents: MemoryStatus[];
  let via: string;
  try {
    ({ result: agents, via } = await gatewayOrLocal(
      flags,
      async (client, target) =>
        (await client.request(
          "memory.status",
          flags.agent ? { agentId: flags.agent } : {},
          { timeoutMs: target.timeoutMs },
        )).agents,
      () => withLocalMemory((memory) => memory.status(flags.agent)),
    ));
  } catch (error) {
    fail(error);
  }
  if (flags.json) return printJson({ agents, via });
  for (const agent of agents) {
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
  let agents: MemoryReindexReport[];
  let via: string;
  try {
    ({ result: agents, via } = await gatewayOrLocal(
      flags,
      async (client, target) =>
        (await client.request(
          "memory.reindex",
          flags.agent ? { agentId: flags.agent } : {},
          { timeoutMs: Math.max(target.timeoutMs, 120_000) },
        )).agents,
      () => withLocalMemory((memory) => memory.reindex(flags.agent)),
    ));
  } catch (error) {
    fail(error);
  }
  if (flags.json) return printJson({ agents, via });
  for (const agent of agents) {
    console.log(
      `${agent.agentId}: ${agent.reindexed.length} files, ${agent.chunks} chunks in ${
        Math.round(agent.durationMs)
      } ms`,
    );
  }
}
