/** @module Which model a turn uses: the request's, else the agent's, else the only one configured. */

import type { Config } from "../core/config/schema.ts";
import { ErrorCode, GatewayError } from "../core/errors.ts";
import type { AgentSettings } from "./agents.ts";
import type { ProviderRegistry, ResolvedModel } from "./providers/registry.ts";

/**
 * Resolves the model of a turn: `model`/`provider` overrides, else the agent's model, else the
 * first model listed in config when exactly one provider is configured.
 *
 * @throws {GatewayError} NOT_FOUND for an unknown model or provider, INVALID_PARAMS when none
 * is configured
 */
export function selectModel(
  providers: ProviderRegistry,
  config: Config,
  agent: AgentSettings,
  request: { model?: string; provider?: string },
): ResolvedModel {
  const ref = request.model ?? (request.provider ? undefined : agent.model);
  if (ref) return providers.resolve(ref, request.provider);
  const ids = request.provider ? [request.provider] : providers.providerIds();
  for (const id of ids) {
    const first = config.models.providers[id]?.models?.[0];
    if (first) return providers.resolve(first.id, id);
  }
  if (request.provider && agent.model) return providers.resolve(agent.model, request.provider);
  throw new GatewayError(
    ErrorCode.INVALID_PARAMS,
    `No model configured for agent ${agent.id}: set agents.defaults.model or pass model`,
  );
}
