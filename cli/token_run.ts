/** @module The `pyclaw token` commands' work, on the token's own home (config or token file). */

import { ConfigError } from "../core/config/load.ts";
import { ConfigStore } from "../core/config/store.ts";
import { isGatewayError } from "../core/errors.ts";
import { configPath } from "../core/paths.ts";
import { GatewayClient } from "../core/protocol/client.ts";
import { fail, printJson } from "./_output.ts";
import { CLI_CLIENT_NAME, resolveTarget } from "./_gateway_client.ts";
import { localPaths } from "./_local_state.ts";
import { maskSecret } from "./_style.ts";
import { currentToken, replaceToken, type TokenInfo, tokenUnused } from "./_token_store.ts";
import { stateDirOwner } from "../core/state_owner.ts";

type Flags = { reveal?: boolean; json?: boolean };

async function openStore(): Promise<ConfigStore> {
  const env = Deno.env.toObject();
  try {
    return await ConfigStore.open(configPath(env), { env });
  } catch (error) {
    if (error instanceof ConfigError) fail(error);
    throw error;
  }
}

function view(info: TokenInfo, reveal?: boolean) {
  return {
    mode: info.mode,
    source: info.source,
    location: info.location,
    token: reveal ? info.token : info.token ? maskSecret(info.token) : undefined,
  };
}

export async function tokenShow(flags: Flags): Promise<void> {
  const store = await openStore();
  const info = await currentToken(store, localPaths().tokenFile, Deno.env.toObject());
  store.close();
  const shown = view(info, flags.reveal);
  // What is in force may not be this token: no token at all, or the running gateway's own
  // `--auth-token`, which is not written down anywhere this command could read it.
  const flagged = await flaggedGateway();
  const note = tokenUnused(info.mode) ??
    (flagged ? `${flagged}: that token is in force, and it is not written down` : undefined);
  if (flags.json) {
    printJson({ ...shown, inForce: !note && info.source !== "none", ...(note ? { note } : {}) });
    return;
  }
  if (note) console.log(note);
  if (info.source === "none") {
    if (!note) {
      console.log(`No token yet: the gateway generates ${info.location} on its first start`);
    }
  } else {
    const line = `${shown.token}  (from ${info.source}${
      info.location ? `: ${info.location}` : ""
    })`;
    console.log(note ? `Written down, not used now: ${line}` : line);
  }
}

/**
 * "The running gateway (pid N) was started with --auth-token" when the state dir's gateway was:
 * it uses that token, whatever the config or the token file says.
 */
async function flaggedGateway(): Promise<string | undefined> {
  const owner = await stateDirOwner(localPaths().root);
  const record = owner.owned ? owner.record : undefined;
  return record?.flags?.authToken
    ? `The running gateway (pid ${record.pid}) was started with --auth-token`
    : undefined;
}

export async function tokenRotate(flags: Flags): Promise<void> {
  // Rotating the token written down would change nothing that gateway accepts.
  const flagged = await flaggedGateway();
  if (flagged) {
    fail(
      new Error(
        `${flagged}, which it uses instead of a token written down, so a new one would not ` +
          "take effect: give it a new one with pyclaw gateway restart --auth-token <token>, or " +
          "stop it (pyclaw gateway stop), start it without --auth-token, then rotate",
      ),
    );
  }
  const store = await openStore();
  const env = Deno.env.toObject();
  let info: TokenInfo;
  try {
    info = await replaceToken(store, localPaths().tokenFile, env);
  } catch (error) {
    store.close();
    fail(error);
  }
  store.close();
  const gateway = await confirmGateway(info.token!);
  const result = { rotated: true, ...view(info, flags.reveal), gateway };
  if (flags.json) printJson(result);
  else {
    console.log(`New token ${result.token} written to ${info.location}`);
    if (gateway.running) {
      console.log(
        gateway.accepted
          ? `The gateway at ${gateway.url} accepts it; the old token no longer works`
          : `The gateway at ${gateway.url} did not accept it yet: ${gateway.error}`,
      );
    } else console.log("No gateway is running; it will use the new token when it starts");
  }
  if (gateway.running && !gateway.accepted) Deno.exit(1);
}

/**
 * Checks that the running gateway, if any, took the new token. Few, spaced tries: each refused
 * `connect` counts against this address's failed-auth limit.
 */
async function confirmGateway(token: string) {
  const target = await resolveTarget({ token });
  let lastError = "";
  for (const delayMs of [300, 700, 1_500]) {
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    try {
      const client = await GatewayClient.connect(target.url, {
        token,
        clientName: CLI_CLIENT_NAME,
        timeoutMs: 1_500,
      });
      client.close();
      await client.closed;
      return { running: true, accepted: true, url: target.url };
    } catch (error) {
      if (!isGatewayError(error)) return { running: false, url: target.url };
      lastError = error.message;
      if (error.code === "RATE_LIMITED") break;
    }
  }
  return { running: true, accepted: false, url: target.url, error: lastError };
}
