/**
 * @module Agents from config (`agents.defaults` merged under each `agents.list` entry, and the
 * default agent `main`), and routing bindings (`telegram:*` -> agent).
 */

import type { Config } from "../core/config/schema.ts";
import { ErrorCode, GatewayError } from "../core/errors.ts";
import { globMatch } from "../core/glob.ts";

/** The id of the agent that always exists. */
export const DEFAULT_AGENT_ID = "main";
/** The session `chat.send` uses when none is named. */
export const DEFAULT_SESSION_ID = "main";

/** An agent's settings with the defaults filled in. */
export interface AgentSettings {
  id: string;
  name: string;
  /** `provider/model` or a model id; undefined when neither the agent nor the defaults say. */
  model?: string;
  systemPrompt?: string;
  temperature?: number;
  maxIterations: number;
  workspace?: string;
  timezone?: string;
  tools: { allow?: string[]; deny?: string[] };
}

/** Every agent: the configured ones, plus `main` when the list lacks it. */
export function listAgents(config: Config): AgentSettings[] {
  // An id listed twice is one agent, its first entry (config validation warns of the rest).
  const ids = [...new Set(config.agents.list.map((agent) => agent.id))];
  if (!ids.includes(DEFAULT_AGENT_ID)) ids.unshift(DEFAULT_AGENT_ID);
  return ids.map((id) => resolveAgent(config, id));
}

/**
 * The settings of agent `id`.
 *
 * @throws {GatewayError} NOT_FOUND for an agent that is neither configured nor `main`
 */
export function resolveAgent(config: Config, id: string): AgentSettings {
  const entry = config.agents.list.find((agent) => agent.id === id);
  if (!entry && id !== DEFAULT_AGENT_ID) {
    throw new GatewayError(ErrorCode.NOT_FOUND, `Agent not found: ${id}`);
  }
  const defaults = config.agents.defaults;
  return {
    id,
    name: entry?.name ?? defaults.name ?? (id === DEFAULT_AGENT_ID ? "Main" : id),
    model: entry?.model ?? defaults.model,
    systemPrompt: entry?.systemPrompt ?? defaults.systemPrompt,
    temperature: entry?.temperature ?? defaults.temperature,
    maxIterations: entry?.maxIterations ?? defaults.maxIterations,
    workspace: entry?.workspace ?? defaults.workspace,
    timezone: entry?.timezone ?? defaults.timezone,
    tools: {
      allow: entry?.tools?.allow ?? defaults.tools?.allow,
      deny: entry?.tools?.deny ?? defaults.tools?.deny,
    },
  };
}

/** The routing bindings, as `agents.bindings` shows them. */
export function listBindings(config: Config): { pattern: string; agentId: string }[] {
  return config.bindings.map(({ pattern, agentId }) => ({ pattern, agentId }));
}

/**
 * The agent that handles traffic from `key` (such as `telegram:12345`): the first binding whose
 * glob matches, else `main`.
 */
export function agentForKey(config: Config, key: string): string {
  const binding = config.bindings.find((entry) => globMatch(entry.pattern, key));
  return binding?.agentId ?? DEFAULT_AGENT_ID;
}
