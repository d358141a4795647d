/**
 * @module The questions of interactive `pyclaw setup`, in order: provider, key or local model,
 * default model, gateway token, MCP servers, then a summary to confirm. Flags given on the
 * command line become the suggested answers.
 */

import { LocalModelStore } from "../agent/models/model_store.ts";
import { DEFAULT_BASE_URLS, ProviderRegistry } from "../agent/providers/registry.ts";
import { validateConfig } from "../core/config/load.ts";
import { mergePatch } from "../core/config/key_path.ts";
import type { ConfigStore } from "../core/config/store.ts";
import type { StatePaths } from "../core/paths.ts";
import type { Prompter } from "./_prompt.ts";
import { PromptClosed } from "./_prompt.ts";
import {
  answersToPatch,
  KNOWN_PROVIDERS,
  knownProvider,
  LOCAL_PROVIDER,
  type McpServerAnswer,
  parseMcpSpec,
  type SetupAnswers,
  SetupInputError,
} from "./_setup_plan.ts";
import { currentToken } from "./_token_store.ts";
import { bold, maskSecret } from "./_style.ts";

/** The flags of `pyclaw setup`. */
export interface SetupFlags {
  nonInteractive?: boolean;
  provider?: string;
  apiKey?: string;
  baseUrl?: string;
  api?: string;
  model?: string;
  port?: number;
  bind?: string;
  gatewayToken?: string;
  rotateToken?: boolean;
  mcp?: string[];
  skipProbe?: boolean;
  strict?: boolean;
  json?: boolean;
}

interface AskContext {
  store: ConfigStore;
  paths: StatePaths;
  env: Record<string, string | undefined>;
  flags: SetupFlags;
}

const OTHER = "other";

export async function askAnswers(
  ask: Prompter,
  { store, paths, env, flags }: AskContext,
): Promise<{ answers: SetupAnswers; token: { token?: string; rotate: boolean } }> {
  console.log(`${bold("pyclaw setup")} writes ${store.path}\n`);
  const current = store.current.agents.defaults.model;
  const currentProvider = current?.includes("/") ? current.split("/")[0] : undefined;
  const detected = KNOWN_PROVIDERS.find((p) => p.keyEnv && env[p.keyEnv])?.id;
  const choices = [
    ...KNOWN_PROVIDERS.map((p) => ({ value: p.id, label: p.label })),
    { value: OTHER, label: "Another OpenAI-compatible API (give its base URL)" },
  ];
  const suggested = flags.provider && knownProvider(flags.provider)
    ? flags.provider
    : flags.provider
    ? OTHER
    : currentProvider && knownProvider(currentProvider)
    ? currentProvider
    : detected ?? "openai";
  let provider = await ask.choose("Which model provider?", choices, suggested);
  let baseUrl: string | undefined;
  let api: SetupAnswers["api"];
  if (provider === OTHER) {
    provider = await ask.required(
      "Provider id (a short name)",
      flags.provider,
      (v) => /^[A-Za-z0-9_-]{1,64}$/.test(v) ? undefined : "Use letters, digits, _ and -",
    );
  }
  const known = knownProvider(provider);
  if (!known || provider === "ollama") {
    baseUrl = await ask.required(
      "API base URL",
      flags.baseUrl ?? store.current.models.providers[provider]?.baseUrl ??
        DEFAULT_BASE_URLS[provider],
      (v) => /^https?:\/\/[^/]/.test(v) ? undefined : "Give an http:// or https:// URL",
    );
    if (!known) {
      api = await ask.choose<"openai" | "anthropic">("Which API does it speak?", [
        { value: "openai", label: "OpenAI Chat Completions" },
        { value: "anthropic", label: "Anthropic Messages" },
      ], "openai");
    }
  } else if (flags.baseUrl) baseUrl = flags.baseUrl;

  let apiKey: string | undefined;
  let model: string;
  if (provider === LOCAL_PROVIDER) {
    model = await askLocalModel(ask, paths);
  } else {
    apiKey = await askKey(ask, provider, store, env, flags);
    model = await askModel(ask, { store, env }, { provider, baseUrl, apiKey, api }, flags);
  }

  const token = await askToken(ask, store, paths, env, flags);
  const mcpServers = await askMcp(ask, flags);
  const answers: SetupAnswers = {
    provider,
    api,
    baseUrl,
    apiKey,
    keepsSavedKey: !apiKey && Boolean(store.current.models.providers[provider]?.apiKey),
    model,
    port: flags.port,
    bind: flags.bind,
    mcpServers,
  };
  console.log(`\n${bold("About to write:")}`);
  console.log(`  default model   ${provider}/${model}${baseUrl ? ` at ${baseUrl}` : ""}`);
  if (apiKey) console.log(`  API key         ${maskSecret(apiKey)}`);
  console.log(
    `  gateway token   ${
      token.token ? maskSecret(token.token) : token.rotate ? "a new one" : "kept"
    }`,
  );
  if (Object.keys(mcpServers).length) {
    console.log(`  MCP servers     ${Object.keys(mcpServers).join(", ")}`);
  }
  if (!(await ask.confirm("Write it?", true))) throw new PromptClosed();
  return { answers, token };
}

async function askKey(
  ask: Prompter,
  provider: string,
  store: ConfigStore,
  env: Record<string, string | undefined>,
  flags: SetupFlags,
): Promise<string | undefined> {
  if (flags.apiKey) return flags.apiKey;
  const known = knownProvider(provider);
  const fromEnv = known?.keyEnv ? env[known.keyEnv] : undefined;
  if (
    fromEnv && await ask.confirm(`Use the key in ${known!.keyEnv} (${maskSecret(fromEnv)})?`, true)
  ) {
    return fromEnv;
  }
  const existing = store.current.models.providers[provider]?.apiKey;
  if (provider === "ollama") return undefined;
  for (;;) {
    const key = await ask.secret(
      `API key for ${known?.label ?? provider}${existing ? " (Enter keeps the saved one)" : ""}`,
      existing ? maskSecret(existing) : undefined,
    );
    if (key) return key;
    if (existing) return undefined; // the patch leaves the saved key alone
    if (!known?.keyEnv) return undefined; // a custom server may need none
    console.log("  A key is required for this provider");
  }
}

async function askModel(
  ask: Prompter,
  { store, env }: { store: ConfigStore; env: Record<string, string | undefined> },
  answers: Pick<SetupAnswers, "provider" | "baseUrl" | "apiKey" | "api">,
  flags: SetupFlags,
): Promise<string> {
  const fallback = flags.model ?? knownProvider(answers.provider)?.defaultModel;
  const ids = await listModels(store, env, answers);
  if (ids.length > 0 && ids.length <= 30) {
    const choices = [...ids.map((id) => ({ value: id, label: id })), {
      value: OTHER,
      label: "Another model id",
    }];
    const picked = await ask.choose(
      "Default model",
      choices,
      fallback && ids.includes(fallback) ? fallback : ids[0],
    );
    if (picked !== OTHER) return picked;
  } else if (ids.length > 30) {
    console.log(`  The provider lists ${ids.length} models, e.g. ${ids.slice(0, 5).join(", ")}`);
  }
  return await ask.required("Default model id", fallback);
}

/** The provider's model list, tried with the answers so far; empty when it does not answer. */
async function listModels(
  store: ConfigStore,
  env: Record<string, string | undefined>,
  answers: Pick<SetupAnswers, "provider" | "baseUrl" | "apiKey" | "api">,
): Promise<string[]> {
  const patch = answersToPatch({ ...answers, model: "probe", mcpServers: {} });
  let config;
  try {
    // The config in force (keys unredacted) with the answers so far laid over it.
    const raw = mergePatch(structuredClone(store.current), patch) as Record<string, unknown>;
    config = validateConfig(raw, env).config;
  } catch {
    return [];
  }
  const providers = new ProviderRegistry({ config: () => config, env });
  try {
    const models = await providers.listModels({ refresh: true });
    return models.filter((m) => m.provider === answers.provider).map((m) => m.id).sort();
  } catch {
    return [];
  } finally {
    await providers.close().catch(() => {});
  }
}

async function askLocalModel(ask: Prompter, paths: StatePaths): Promise<string> {
  const models = await new LocalModelStore(paths.modelsDir).list();
  if (models.length === 0) {
    throw new SetupInputError(
      "No local model is downloaded yet: run `pyclaw models download <repo>` first, or pick a provider",
    );
  }
  return await ask.choose(
    "Which downloaded model?",
    models.map((m) => ({ value: m.id, label: `${m.id} (${m.backend})` })),
    models.find((m) => m.selected)?.id ?? models[0].id,
  );
}

async function askToken(
  ask: Prompter,
  store: ConfigStore,
  paths: StatePaths,
  env: Record<string, string | undefined>,
  flags: SetupFlags,
): Promise<{ token?: string; rotate: boolean }> {
  if (flags.gatewayToken) return { token: flags.gatewayToken, rotate: false };
  const current = await currentToken(store, paths.tokenFile, env);
  if (current.source === "none") {
    console.log("A gateway token will be generated (clients use it to connect).");
    return { rotate: true };
  }
  if (current.source === "env") return { rotate: false };
  const keep = await ask.confirm(
    `Keep the gateway token ${maskSecret(current.token)} (from ${current.source})?`,
    !flags.rotateToken,
  );
  return { rotate: !keep };
}

async function askMcp(ask: Prompter, flags: SetupFlags): Promise<Record<string, McpServerAnswer>> {
  const servers: Record<string, McpServerAnswer> = Object.fromEntries(
    (flags.mcp ?? []).map(parseMcpSpec),
  );
  while (await ask.confirm("Add an MCP server (tools from another program)?", false)) {
    const spec = await ask.required(
      "name=command args\u2026 or name=https://url",
      undefined,
      (value) => {
        try {
          parseMcpSpec(value);
          return undefined;
        } catch (error) {
          return (error as Error).message;
        }
      },
    );
    const [name, server] = parseMcpSpec(spec);
    servers[name] = server;
  }
  return servers;
}
