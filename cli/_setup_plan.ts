/**
 * @module What `pyclaw setup` knows about providers, and how its answers become a config patch:
 * the same answers whether they came from questions on a terminal or from flags and environment.
 */

import { isValidBind } from "../core/gateway_token.ts";

/** A provider setup offers by name. */
export interface KnownProvider {
  id: string;
  label: string;
  /** Environment variable that holds its key; none for keyless (local) providers. */
  keyEnv?: string;
  defaultModel: string;
  api?: "openai" | "anthropic";
}

export const KNOWN_PROVIDERS: readonly KnownProvider[] = [
  { id: "openai", label: "OpenAI", keyEnv: "OPENAI_API_KEY", defaultModel: "gpt-4o-mini" },
  {
    id: "anthropic",
    label: "Anthropic",
    keyEnv: "ANTHROPIC_API_KEY",
    defaultModel: "claude-sonnet-4-20250514",
    api: "anthropic",
  },
  { id: "deepseek", label: "DeepSeek", keyEnv: "DEEPSEEK_API_KEY", defaultModel: "deepseek-chat" },
  { id: "qwen", label: "Qwen (DashScope)", keyEnv: "DASHSCOPE_API_KEY", defaultModel: "qwen-plus" },
  {
    id: "moonshot",
    label: "Moonshot (Kimi)",
    keyEnv: "MOONSHOT_API_KEY",
    defaultModel: "moonshot-v1-8k",
  },
  { id: "groq", label: "Groq", keyEnv: "GROQ_API_KEY", defaultModel: "llama-3.3-70b-versatile" },
  {
    id: "openrouter",
    label: "OpenRouter",
    keyEnv: "OPENROUTER_API_KEY",
    defaultModel: "openai/gpt-4o-mini",
  },
  { id: "ollama", label: "Ollama (local server, no key)", defaultModel: "llama3.2" },
  { id: "llamacpp", label: "A downloaded local model (llama.cpp)", defaultModel: "" },
];

/** The provider id of downloaded GGUF models. */
export const LOCAL_PROVIDER = "llamacpp";

const PROVIDER_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function knownProvider(id: string): KnownProvider | undefined {
  return KNOWN_PROVIDERS.find((provider) => provider.id === id);
}

/** An MCP server from a `name=command args...` or `name=https://...` spec. */
export type McpServerAnswer =
  | { command: string; args: string[] }
  | { url: string };

/** Everything setup asks. */
export interface SetupAnswers {
  provider: string;
  /** Wire API of a provider setup does not know (default openai-compatible). */
  api?: "openai" | "anthropic";
  baseUrl?: string;
  apiKey?: string;
  /** The config already holds this provider's key, and no new one was given: keep it. */
  keepsSavedKey?: boolean;
  /** The model id as the provider knows it (a local model's id for llamacpp). */
  model: string;
  port?: number;
  bind?: string;
  /**
   * A token for `gateway.auth.token`: a bind others can reach needs one there (or in
   * PYCLAW_AUTH_TOKEN), since the gateway takes the token file on loopback only.
   */
  configToken?: string;
  mcpServers: Record<string, McpServerAnswer>;
}

/** A problem with an answer, named for the flag or question it came from. */
export class SetupInputError extends Error {}

/**
 * Checks the answers that do not need the network.
 *
 * @throws {SetupInputError} naming the bad value
 */
export function checkAnswers(answers: SetupAnswers): void {
  if (!PROVIDER_ID.test(answers.provider)) {
    throw new SetupInputError(
      `Invalid provider id: "${answers.provider}" (letters, digits, _ and -)`,
    );
  }
  const known = knownProvider(answers.provider);
  if (!known && !answers.baseUrl) {
    throw new SetupInputError(
      `Provider "${answers.provider}" is not one setup knows: give its --base-url ` +
        `(an OpenAI-compatible API), or one of ${KNOWN_PROVIDERS.map((p) => p.id).join(", ")}`,
    );
  }
  if (answers.baseUrl && !/^https?:\/\/[^/]/.test(answers.baseUrl)) {
    throw new SetupInputError(`Invalid base URL: "${answers.baseUrl}" (http:// or https://)`);
  }
  if (answers.bind !== undefined && !isValidBind(answers.bind)) {
    throw new SetupInputError(
      `--bind ${JSON.stringify(answers.bind)} is not an address: use loopback, lan, or an IP ` +
        "address such as 127.0.0.1 or 0.0.0.0",
    );
  }
  if (!answers.model.trim()) throw new SetupInputError("A default model is required (--model)");
  if (known?.keyEnv && !answers.apiKey && !answers.keepsSavedKey && !answers.baseUrl) {
    throw new SetupInputError(
      `${known.label} needs an API key: pass --api-key or set ${known.keyEnv}`,
    );
  }
}

/** The config patch (JSON merge patch) the answers make. */
export function answersToPatch(answers: SetupAnswers): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  const known = knownProvider(answers.provider);
  if (answers.provider !== LOCAL_PROVIDER) {
    const entry: Record<string, unknown> = {};
    // Known providers' default URLs are built in; writing one would hide a later change.
    if (answers.baseUrl) entry.baseUrl = answers.baseUrl;
    if (answers.apiKey) entry.apiKey = answers.apiKey;
    const api = answers.api ?? known?.api;
    if (api && api !== "openai") entry.api = api;
    patch.models = { providers: { [answers.provider]: entry } };
  }
  patch.agents = { defaults: { model: `${answers.provider}/${answers.model}` } };
  const gateway: Record<string, unknown> = {};
  if (answers.port !== undefined) gateway.port = answers.port;
  if (answers.bind) gateway.bind = answers.bind;
  if (answers.configToken) gateway.auth = { token: answers.configToken };
  if (Object.keys(gateway).length) patch.gateway = gateway;
  if (Object.keys(answers.mcpServers).length) patch.tools = { mcpServers: answers.mcpServers };
  return patch;
}

/**
 * Parses `name=command arg...` (words split on spaces, quotes group) or `name=https://...`.
 *
 * @throws {SetupInputError} for a spec without a name or a command
 */
export function parseMcpSpec(spec: string): [string, McpServerAnswer] {
  const eq = spec.indexOf("=");
  const name = eq > 0 ? spec.slice(0, eq).trim() : "";
  const rest = eq > 0 ? spec.slice(eq + 1).trim() : "";
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(name) || !rest) {
    throw new SetupInputError(
      `Invalid MCP server: "${spec}" (use name=command args\u2026 or name=https://host/path)`,
    );
  }
  if (/^https?:\/\//.test(rest)) return [name, { url: rest }];
  const words = splitWords(rest);
  return [name, { command: words[0], args: words.slice(1) }];
}

/** Splits a command line on spaces; single or double quotes keep spaces inside a word. */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  for (const match of line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) {
    words.push(match[1] ?? match[2] ?? match[3]);
  }
  return words;
}
