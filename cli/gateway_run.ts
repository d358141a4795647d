/**
 * @module `pyclaw gateway run`, up to listening: the config (remembered from the last start on
 * the same config, core/config/start_memo.ts, else validated), the bind check, the claim of the
 * state dir, the log, and the listeners (server/front.ts). The runtime, the services and the
 * request handler load after that (`gateway_serve.ts`), so the first answer does not wait for
 * them (issue 17); zod and the config schema load only where the config is validated.
 */

import type { ConfigStore } from "../core/config/store.ts";
import type { Config } from "../core/config/schema.ts";
import {
  configFromMemo,
  type MemoConfig,
  memoOfConfig,
  substitutedText,
} from "../core/config/config_memo.ts";
import {
  type ConfigIssue,
  parseConfigTextLazily,
  substitutedEnvNames,
  substituteEnv,
} from "../core/config/config_text.ts";
import {
  readStartMemo,
  startFacts,
  startMemoKey,
  writeStartMemo,
} from "../core/config/start_memo.ts";
import { authRefusal, bindAddress, isValidBind } from "../core/gateway_token.ts";
import { importInSteps, importLazily } from "../core/lazy_module.ts";
import { Logger } from "../core/logger.ts";
import { configPath, stateDir, statePaths } from "../core/paths.ts";
import { claimStateDir, StateDirBusyError, type StateDirClaim } from "../core/state_owner.ts";
import { type Front, openFront } from "../server/front.ts";
import { badBind, portInUse } from "./_gateway_messages.ts";

/**
 * What `gateway_serve.ts` loads, in steps (each a part of the next): the listeners answer
 * `/health` between steps, and only then. No zod: it loads with the first validation.
 */
const LOAD_STEPS = [
  "../core/config/store.ts",
  "../agent/memory/memory_service.ts",
  "../agent/chat_service.ts",
  "../agent/runtime.ts",
  "../server/services.ts",
  "../server/gateway.ts",
];

export interface RunOptions {
  port?: number;
  bind?: string;
  authToken?: string;
}

export async function runGateway(options: RunOptions): Promise<void> {
  const env = Deno.env.toObject();
  const paths = statePaths(stateDir(env));
  const file = configPath(env);
  if (options.bind !== undefined && !isValidBind(options.bind)) {
    console.error(`Error: ${badBind("--bind", options.bind)}`);
    Deno.exit(2);
  }
  // The text is read once: the facts, the memo's key and the validation all see the same one.
  const text = await readIfReadable(file);
  // Parsed before the key: the variables in it are the ones substitution reads from the parsed
  // strings (an escaped `${NAME}` too). Text that does not parse has no memo; validating says why.
  const raw = text === false ? undefined : await parsedOrUndefined(text, file);
  const names = raw && substitutedEnvNames(raw);
  const key = raw && names && await startMemoKey(file, text || undefined, names, env);
  const memo = key && await readStartMemo(paths.startMemoFile, key);
  const remembered = memo && raw && names ? fromMemo(memo, raw, names, env) : undefined;
  let configStore: ConfigStore | undefined;
  if (!remembered) {
    const { openGatewayConfig } = await importLazily<typeof import("./_gateway_config.ts")>(
      new URL("./_gateway_config.ts", import.meta.url),
    );
    configStore = await openGatewayConfig(file, env, text === false ? undefined : text ?? null);
  }
  const facts = startFacts(remembered?.config ?? configStore!.current);
  if (options.bind === undefined && !isValidBind(facts.bind)) {
    console.error(`Error: ${badBind("gateway.bind", facts.bind)}`);
    Deno.exit(1);
  }
  // Before anything starts (cron, channels, the log): two gateways on one state dir would fire
  // every job twice and write the same session files.
  let claim: StateDirClaim;
  try {
    claim = await claimStateDir(paths.root);
  } catch (error) {
    if (!(error instanceof StateDirBusyError)) throw error;
    console.error(`Error: ${error.message}`);
    configStore?.close();
    Deno.exit(1);
  }
  // A config that validated is remembered at once (the lock is held, so no other gateway
  // writes the memo now): a gateway stopped before it is ready still spares the next start.
  if (key && configStore) {
    await remember(paths.startMemoFile, key, configStore, text || undefined, env).catch(() => {});
  }
  const logger = new Logger({ file: paths.logFile, ...facts.logging });
  const hostname = bindAddress(options.bind ?? facts.bind);
  // Credentials the gateway would refuse are refused by the full start, before it listens.
  let front: Front | undefined;
  if (!authRefusal(facts.auth, { flagToken: options.authToken, env, bindHost: hostname })) {
    try {
      front = await openFront({
        hostname,
        port: options.port ?? facts.port,
        httpPort: facts.httpPort,
        logger,
      });
    } catch (error) {
      const wanted = options.port ?? facts.port;
      console.error(
        `Error: ${
          error instanceof Deno.errors.AddrInUse
            ? portInUse(wanted, options.port !== undefined, hostname, { httpPort: facts.httpPort })
            : (error as Error).message
        }`,
      );
      configStore?.close();
      logger.close();
      claim.release();
      Deno.exit(1);
    }
  }
  if (front) {
    await importInSteps(
      LOAD_STEPS.map((step) => step.startsWith(".") ? new URL(step, import.meta.url).href : step),
    );
  }
  const { serveGateway } = await importLazily<typeof import("./gateway_serve.ts")>(
    new URL("./gateway_serve.ts", import.meta.url),
  );
  await serveGateway({
    options,
    env,
    paths,
    file,
    text: text === false ? undefined : text ?? null,
    remembered,
    configStore,
    claim,
    logger,
    front,
  });
}

/** The parsed config text ({} for none); undefined when it does not parse. */
async function parsedOrUndefined(
  text: string | undefined,
  file: string,
): Promise<Record<string, unknown> | undefined> {
  return text === undefined ? {} : await parseConfigTextLazily(text, file).catch(() => undefined);
}

/**
 * What the start memo stands for, with the text's strings read again; undefined if it cannot.
 * Substitution sees only the variables in the key (`names`): one read that is not there, or
 * any issue (a variable not set), means the memo does not cover this input, so the config is
 * validated and the issue reported as without a memo.
 */
function fromMemo(
  memo: MemoConfig,
  raw: Record<string, unknown>,
  names: readonly string[],
  env: Record<string, string>,
): Remembered | undefined {
  const keyed = Object.fromEntries(
    names.filter((name) => Object.hasOwn(env, name)).map((name) => [name, env[name]]),
  );
  const issues: ConfigIssue[] = [];
  const substituted = substituteEnv(raw, keyed, issues);
  if (issues.length) return undefined;
  const config = configFromMemo(memo, substituted);
  return config && { config, raw, warnings: memo.warnings };
}

/** Remembers the config just validated, unless it would not come back exactly. */
async function remember(
  memoFile: string,
  key: string,
  store: ConfigStore,
  text: string | undefined,
  env: Record<string, string>,
): Promise<void> {
  const { substituted } = await substitutedText(text, env, store.path);
  const memo = memoOfConfig(store.current, substituted, store.warnings);
  if (memo) await writeStartMemo(memoFile, key, memo);
}

/** A config from the start memo, as ConfigStore.fromValidated takes it. */
export interface Remembered {
  config: Config;
  raw: Record<string, unknown>;
  warnings: ConfigIssue[];
}

/** The file's text; undefined when there is none, false when it cannot be read. */
async function readIfReadable(file: string): Promise<string | undefined | false> {
  try {
    return await Deno.readTextFile(file);
  } catch (error) {
    // Unreadable: validating reports why, as before.
    return error instanceof Deno.errors.NotFound ? undefined : false;
  }
}
