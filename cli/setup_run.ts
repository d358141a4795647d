/**
 * @module `pyclaw setup`'s work: gather the answers (questions, or flags and environment), write
 * them through the config store (validated, all or nothing), make sure there is a gateway token,
 * and probe the chosen model. Secrets are shown masked, never in full.
 */

import { LocalModelStore } from "../agent/models/model_store.ts";
import { DEFAULT_BASE_URLS, ProviderRegistry } from "../agent/providers/registry.ts";
import { registerLocalProvider } from "../agent/providers/local_provider.ts";
import { ConfigError } from "../core/config/load.ts";
import { ConfigStore } from "../core/config/store.ts";
import { configPath, stateDir, statePaths } from "../core/paths.ts";
import { isGatewayError } from "../core/errors.ts";
import {
  bindAddress,
  generateToken,
  isLoopbackHost,
  readTokenFile,
} from "../core/gateway_token.ts";
import { fail, printJson } from "./_output.ts";
import { PromptClosed, Prompter } from "./_prompt.ts";
import {
  answersToPatch,
  checkAnswers,
  KNOWN_PROVIDERS,
  knownProvider,
  LOCAL_PROVIDER,
  parseMcpSpec,
  type SetupAnswers,
  SetupInputError,
} from "./_setup_plan.ts";
import { currentToken, replaceToken, type TokenInfo } from "./_token_store.ts";
import { askAnswers, type SetupFlags } from "./setup_questions.ts";
import { bold, green, maskSecret, yellow } from "./_style.ts";

/** What setup did, for the summary and `--json`. */
interface SetupReport {
  configPath: string;
  provider: string;
  model: string;
  baseUrl?: string;
  apiKey?: string;
  gateway: { port: number; bind: string; token: string; tokenSource: TokenInfo["source"] };
  mcpServers: string[];
  probe?: { available: boolean; latency: number; error?: string };
}

export async function runSetup(flags: SetupFlags): Promise<void> {
  const env = Deno.env.toObject();
  const paths = statePaths(stateDir(env));
  let store: ConfigStore;
  try {
    store = await ConfigStore.open(configPath(env), { env });
  } catch (error) {
    if (error instanceof ConfigError) {
      fail(new Error(`${error.message}\nFix or move the file, then run setup again`));
    }
    throw error;
  }
  const interactive = !flags.nonInteractive;
  if (interactive && !(Deno.stdin.isTerminal() && Deno.stdout.isTerminal())) {
    fail(new Error("Setup asks questions on a terminal: pass --non-interactive with flags"), 2);
  }
  let answers: SetupAnswers;
  let tokenChoice: { token?: string; rotate: boolean };
  try {
    if (interactive) {
      const asked = await askAnswers(new Prompter(), { store, paths, env, flags });
      answers = asked.answers;
      tokenChoice = asked.token;
    } else {
      answers = answersFromFlags(flags, env);
      answers.keepsSavedKey = !answers.apiKey &&
        Boolean(store.current.models.providers[answers.provider]?.apiKey);
      tokenChoice = { token: flags.gatewayToken, rotate: Boolean(flags.rotateToken) };
    }
    checkAnswers(answers);
    if (answers.provider === LOCAL_PROVIDER) await checkLocalModel(paths.modelsDir, answers.model);
  } catch (error) {
    if (error instanceof PromptClosed) fail(error, 130);
    if (error instanceof SetupInputError) fail(error, 2);
    throw error;
  }

  const configToken = await tokenForBind(store, answers, tokenChoice, paths.tokenFile, env);
  if (configToken) {
    answers.configToken = configToken;
    tokenChoice = { rotate: false };
  }
  try {
    await store.patch(answersToPatch(answers));
  } catch (error) {
    // Answers the gateway would refuse to start on (a LAN bind with auth mode "none", say):
    // bad answers, and nothing was written.
    fail(error, isGatewayError(error) && error.code === "INVALID_PARAMS" ? 2 : 1);
  }
  let token = await currentToken(store, paths.tokenFile, env);
  if (tokenChoice.token || tokenChoice.rotate || token.source === "none") {
    try {
      token = await replaceToken(store, paths.tokenFile, env, tokenChoice.token);
    } catch (error) {
      fail(error);
    }
  }

  const config = store.current;
  const report: SetupReport = {
    configPath: store.path,
    provider: answers.provider,
    model: `${answers.provider}/${answers.model}`,
    baseUrl: config.models.providers[answers.provider]?.baseUrl ??
      DEFAULT_BASE_URLS[answers.provider],
    apiKey: answers.apiKey ? maskSecret(answers.apiKey) : undefined,
    gateway: {
      port: config.gateway.port,
      bind: config.gateway.bind,
      token: maskSecret(token.token),
      tokenSource: token.source,
    },
    mcpServers: Object.keys(config.tools.mcpServers),
  };
  if (!flags.skipProbe) {
    if (!flags.json) console.log(`Probing ${report.model} \u2026`);
    report.probe = await probeModel(store, paths, env, answers);
  }
  store.close();
  if (flags.json) printJson(report);
  else printReport(report);
  Deno.exit(flags.strict && report.probe && !report.probe.available ? 1 : 0);
}

/**
 * The token to write into `gateway.auth.token` when the bind setup leaves is one others can reach
 * and nothing explicit names a token yet: the gateway refuses such a bind with only the token
 * file (core/gateway_token.ts `authProblem`). The token chosen (`--gateway-token`), else the
 * file's (clients already hold it) unless a new one was asked for, else a new one.
 */
async function tokenForBind(
  store: ConfigStore,
  answers: SetupAnswers,
  choice: { token?: string; rotate: boolean },
  tokenFile: string,
  env: Record<string, string | undefined>,
): Promise<string | undefined> {
  const auth = store.current.gateway.auth;
  const bind = answers.bind ?? store.current.gateway.bind;
  if (auth.mode !== "token" || auth.token || env.PYCLAW_AUTH_TOKEN) return undefined;
  if (isLoopbackHost(bindAddress(bind))) return undefined;
  return choice.token ?? (choice.rotate ? undefined : await readTokenFile(tokenFile)) ??
    generateToken();
}

/** Answers from flags, with the provider and key taken from the environment when not given. */
function answersFromFlags(
  flags: SetupFlags,
  env: Record<string, string | undefined>,
): SetupAnswers {
  const provider = flags.provider ??
    KNOWN_PROVIDERS.find((p) => p.keyEnv && env[p.keyEnv])?.id;
  if (!provider) {
    throw new SetupInputError(
      "No provider: pass --provider, or set a key such as OPENAI_API_KEY or ANTHROPIC_API_KEY",
    );
  }
  const known = knownProvider(provider);
  if (flags.api !== undefined && flags.api !== "openai" && flags.api !== "anthropic") {
    throw new SetupInputError(`Invalid --api: "${flags.api}" (openai or anthropic)`);
  }
  const mcpServers = Object.fromEntries((flags.mcp ?? []).map(parseMcpSpec));
  return {
    provider,
    api: flags.api as SetupAnswers["api"],
    baseUrl: flags.baseUrl,
    apiKey: flags.apiKey ?? (known?.keyEnv ? env[known.keyEnv] : undefined),
    model: flags.model ?? known?.defaultModel ?? "",
    port: flags.port,
    bind: flags.bind,
    mcpServers,
  };
}

async function checkLocalModel(modelsDir: string, id: string): Promise<void> {
  const models = await new LocalModelStore(modelsDir).list();
  if (!models.some((model) => model.id === id)) {
    const have = models.map((model) => model.id).join(", ") || "none";
    throw new SetupInputError(
      `Local model not downloaded: "${id}" (downloaded: ${have}); run \`pyclaw models download\``,
    );
  }
}

/** One minimal request to the chosen model, so a wrong key or URL shows up now. */
async function probeModel(
  store: ConfigStore,
  paths: ReturnType<typeof statePaths>,
  env: Record<string, string | undefined>,
  answers: SetupAnswers,
): Promise<NonNullable<SetupReport["probe"]>> {
  const providers = new ProviderRegistry({ config: () => store.current, env });
  registerLocalProvider(providers, {
    store: new LocalModelStore(paths.modelsDir),
    settings: () => store.current.models.local,
  });
  try {
    const result = await providers.probe(answers.model, answers.provider, 20_000);
    return { available: result.available, latency: result.latency, error: result.error };
  } catch (error) {
    return { available: false, latency: 0, error: (error as Error).message };
  } finally {
    await providers.close().catch(() => {});
  }
}

function printReport(report: SetupReport): void {
  console.log(`\n${bold("pyclaw is set up")}  (${report.configPath})`);
  console.log(`  Model      ${report.model}${report.baseUrl ? ` at ${report.baseUrl}` : ""}`);
  if (report.apiKey) console.log(`  API key    ${report.apiKey}`);
  console.log(
    `  Gateway    port ${report.gateway.port}, bind ${report.gateway.bind}, token ${report.gateway.token} (${report.gateway.tokenSource})`,
  );
  if (report.mcpServers.length) console.log(`  MCP        ${report.mcpServers.join(", ")}`);
  if (report.probe?.available) {
    console.log(green(`  Probe      OK, ${report.probe.latency} ms`));
  } else if (report.probe) {
    console.log(yellow(`  Probe      FAILED: ${report.probe.error}`));
    console.log("             The config is written; fix the key or URL with `pyclaw setup` again");
  }
  console.log(
    '\nNext: `pyclaw gateway run` (or `pyclaw gateway install`), then `pyclaw agent "Hello"`',
  );
}
