/**
 * @module Keeps the gateway's credentials in step with where they live: when the token file or
 * the config's `gateway.auth` changes (`pyclaw token rotate`, an edit), the credentials are
 * resolved again, and the new ones apply to every later `connect` and HTTP request.
 */

import { basename, dirname } from "../core/path.ts";
import type { ConfigStore } from "../core/config/store.ts";
import type { Logger } from "../core/logger.ts";
import type { GatewayAuth } from "./auth.ts";

/** Options for {@linkcode watchGatewayAuth}. */
export interface AuthReloadOptions {
  tokenFile: string;
  configStore: ConfigStore;
  /** Resolves the credentials from flags, environment, config and token file, as at start. */
  resolve(): Promise<GatewayAuth>;
  current(): GatewayAuth;
  /** Called with credentials that differ from the current ones. */
  apply(next: GatewayAuth): void;
  logger: Logger;
  /** Quiet period after the last file event. @default 100 */
  debounceMs?: number;
}

/** True when both accept exactly the same secret. */
export function sameCredentials(a: GatewayAuth, b: GatewayAuth): boolean {
  if (a.mode !== b.mode) return false;
  if (a.mode === "token" && b.mode === "token") return a.token === b.token;
  if (a.mode === "password" && b.mode === "password") return a.password === b.password;
  return true;
}

/** Starts watching; returns the function that stops it. */
export function watchGatewayAuth(options: AuthReloadOptions): () => void {
  let queue: Promise<void> = Promise.resolve();
  let stopped = false;
  const recheck = (why: string) => {
    queue = queue.then(async () => {
      if (stopped) return;
      let next: GatewayAuth;
      try {
        next = await options.resolve();
      } catch (error) {
        options.logger.error("new gateway credentials refused; keeping the current ones", {
          error: (error as Error).message,
        });
        return;
      }
      if (stopped || sameCredentials(next, options.current())) return;
      options.logger.info("gateway credentials changed; the old ones no longer work", {
        why,
        mode: next.mode,
      });
      options.apply(next);
    });
  };

  const unsubscribe = options.configStore.subscribe((next, previous) => {
    if (JSON.stringify(next.gateway.auth) !== JSON.stringify(previous.gateway.auth)) {
      recheck("config");
    }
  });

  // The folder is watched, not the file: the token file is replaced by a rename.
  let watcher: Deno.FsWatcher | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    Deno.mkdirSync(dirname(options.tokenFile), { recursive: true, mode: 0o700 });
    watcher = Deno.watchFs(dirname(options.tokenFile), { recursive: false });
  } catch (error) {
    options.logger.warn("cannot watch the token file; a rotated token applies after a restart", {
      error: (error as Error).message,
    });
  }
  const name = basename(options.tokenFile);
  if (watcher) {
    (async () => {
      for await (const event of watcher) {
        if (!event.paths.some((path) => basename(path) === name)) continue;
        clearTimeout(timer);
        timer = setTimeout(() => recheck("token file"), options.debounceMs ?? 100);
      }
    })().catch(() => {});
  }

  return () => {
    stopped = true;
    clearTimeout(timer);
    unsubscribe();
    watcher?.close();
  };
}
