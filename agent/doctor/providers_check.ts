/**
 * @module The doctor's check of cloud model providers: each configured provider has what it
 * needs (a base URL, a key unless it is local), and every agent's model resolves to one.
 */

import { listAgents } from "../agents.ts";
import { ProviderRegistry } from "../providers/registry.ts";
import type { DoctorCheck, DoctorInput } from "./doctor_types.ts";

const name = "Model providers";
/** Providers served by the local-models check, and hosts that need no key. */
const LOCAL_PROVIDERS = new Set(["llamacpp", "local"]);
const LOOPBACK = /^https?:\/\/(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?\//i;

export function checkProviders(input: DoctorInput): Promise<DoctorCheck[]> {
  const config = input.config;
  if (!config) return Promise.resolve([]);
  const registry = new ProviderRegistry({ config: () => config, env: input.env });
  const checks: DoctorCheck[] = [];
  const ids = registry.providerIds().filter((id) => !LOCAL_PROVIDERS.has(id));
  for (const id of ids) {
    const settings = registry.settings(id)!;
    if (settings.api === "llamacpp") continue;
    if (!settings.baseUrl) {
      checks.push({
        id: `providers.${id}`,
        name,
        status: "fail",
        message: `Provider ${id} has no baseUrl`,
        hint: `Set models.providers.${id}.baseUrl`,
      });
    } else if (!settings.apiKey && !LOOPBACK.test(settings.baseUrl + "/")) {
      checks.push({
        id: `providers.${id}`,
        name,
        status: "warn",
        message: `Provider ${id} (${settings.baseUrl}) has no API key`,
        hint: `Set models.providers.${id}.apiKey (e.g. "\${${id.toUpperCase()}_API_KEY}")`,
      });
    } else {
      checks.push({
        id: `providers.${id}`,
        name,
        status: "ok",
        message: `Provider ${id}: ${settings.api} API at ${settings.baseUrl}`,
      });
    }
  }
  for (const agent of listAgents(config)) {
    if (!agent.model) continue;
    const prefix = agent.model.split("/")[0];
    if (LOCAL_PROVIDERS.has(prefix)) continue;
    try {
      const resolved = registry.resolve(agent.model);
      checks.push({
        id: `agents.${agent.id}.model`,
        name,
        status: "ok",
        message: `Agent ${agent.id} uses ${resolved.providerId}/${resolved.model}`,
      });
    } catch (error) {
      checks.push({
        id: `agents.${agent.id}.model`,
        name,
        status: "fail",
        message: `Agent ${agent.id}: ${(error as Error).message}`,
        hint: "Write the model as provider/model with a provider under models.providers",
      });
    }
  }
  if (!checks.length) {
    checks.push({
      id: "providers",
      name,
      status: "warn",
      message: "No model provider is configured: agents cannot answer",
      hint: "Add one under models.providers (or set OPENAI_API_KEY / ANTHROPIC_API_KEY)",
    });
  }
  return Promise.resolve(checks);
}
