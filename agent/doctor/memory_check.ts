/**
 * @module The doctor's check of long-term memory: each agent's index (files, chunks, vectors,
 * when it was last written, memory files changed since), and whether a configured embedding
 * provider can be used.
 */

import { join } from "../../core/path.ts";
import { listAgents } from "../agents.ts";
import { createEmbedder } from "../memory/embeddings.ts";
import { MemoryDb } from "../memory/memory_db.ts";
import { findMemoryFiles } from "../memory/_sources.ts";
import { LocalModelStore } from "../models/model_store.ts";
import { ProviderRegistry } from "../providers/registry.ts";
import { agentWorkspaceDir } from "../skills.ts";
import type { DoctorCheck, DoctorInput } from "./doctor_types.ts";

const ID = "memory.index";
const NAME = "Memory index";

/** The check: each index read through SQLite (synchronous), the memory files stat'ed async. */
export async function checkMemory(input: DoctorInput): Promise<DoctorCheck> {
  const config = input.config;
  if (!config) return { id: ID, name: NAME, status: "warn", message: "Config not loaded" };
  const settings = config.agents.defaults.memorySearch;
  if (!settings.enabled) {
    return { id: ID, name: NAME, status: "ok", message: "Memory search is disabled" };
  }
  let embedding = "full-text search only (no memorySearch.provider)";
  if (settings.provider) {
    try {
      const embedder = createEmbedder(settings, {
        providers: new ProviderRegistry({ config: () => config, env: input.env }),
        localModels: new LocalModelStore(input.paths.modelsDir),
        localSettings: () => config.models.local,
      });
      embedding = `embeddings ${embedder!.provider}/${embedder!.model}`;
    } catch (error) {
      return {
        id: ID,
        name: NAME,
        status: "fail",
        message: `Embedding provider unusable: ${(error as Error).message}`,
        hint: "Fix agents.defaults.memorySearch (provider, model, remote) or unset provider",
      };
    }
  }
  const lines: string[] = [];
  let waiting = 0;
  for (const agent of listAgents(config)) {
    let summary;
    try {
      summary = MemoryDb.summary(join(input.paths.memoryDir, `${agent.id}.sqlite`));
    } catch (error) {
      return {
        id: ID,
        name: NAME,
        status: "fail",
        message: `${agent.id}: the index cannot be read: ${(error as Error).message}`,
        hint: `Run 'pyclaw memory reindex --agent ${agent.id}'`,
      };
    }
    if (!summary) {
      lines.push(`${agent.id}: not indexed yet`);
      continue;
    }
    const known = new Map(summary.indexed.map((file) => [file.path, file]));
    const workspace = agentWorkspaceDir(config, input.paths, agent.id);
    const stale = settings.sources.includes("memory")
      ? (await findMemoryFiles(workspace)).files.filter((file) => {
        const before = known.get(file.path);
        return !before || before.size !== file.size || before.mtimeMs !== file.mtimeMs;
      }).length
      : 0;
    if (settings.provider) waiting += summary.chunks - summary.embedded;
    lines.push(
      `${agent.id}: ${summary.files} files, ${summary.chunks} chunks` +
        (settings.provider ? ` (${summary.embedded} embedded)` : "") +
        `, last indexed ${summary.lastIndexedAt ?? "never"}` +
        (stale ? `, ${stale} memory files changed since` : ""),
    );
  }
  return {
    id: ID,
    name: NAME,
    status: waiting > 0 ? "warn" : "ok",
    message: `${embedding}; ${lines.join("; ")}`,
    ...(waiting > 0
      ? { hint: `${waiting} chunks wait for embeddings: the gateway embeds them in the background` }
      : {}),
  };
}
