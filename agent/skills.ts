/** @module An agent's skills: its workspace's `skills/` over the shared ones, for `skills.list` and the system prompt. */

import { resolve } from "../core/path.ts";
import type { Config } from "../core/config/schema.ts";
import type { StatePaths } from "../core/paths.ts";
import {
  type Skill,
  type SkillCatalog,
  skillsPromptSection,
} from "../tools/skills/skill_catalog.ts";
import { DEFAULT_AGENT_ID, resolveAgent } from "./agents.ts";

/**
 * The agent's workspace folder (`workspace` in its settings, relative to the state dir), or the
 * state dir's `workspace/`.
 *
 * @throws {GatewayError} NOT_FOUND for an unknown agent
 */
export function agentWorkspaceDir(config: Config, paths: StatePaths, agentId: string): string {
  const workspace = resolveAgent(config, agentId).workspace;
  return workspace ? resolve(paths.root, workspace) : paths.workspaceDir;
}

/** The skills agent `agentId` sees (`main` by default). */
export function agentSkills(
  catalog: SkillCatalog,
  config: Config,
  paths: StatePaths,
  agentId = DEFAULT_AGENT_ID,
): Promise<Skill[]> {
  return catalog.list(agentWorkspaceDir(config, paths, agentId));
}

/** The system prompt's skills section for a workspace; empty when there are none. */
export async function skillsPrompt(catalog: SkillCatalog, workspaceDir: string): Promise<string> {
  return skillsPromptSection(await catalog.listCached(workspaceDir));
}
