/**
 * @module The gateway's open connections: the per-address cap, presence, and event delivery.
 * A session's events (`chat.*`) go to the connections that watch that session (they sent to it or
 * read it) and those that asked for every event at `connect`; other events go to every client.
 * Each event is serialised once, whoever receives it; each connection splices in its own `seq`.
 */

import type { BusEvent } from "../core/event_bus.ts";
import type { ClientAddress } from "./client_address.ts";
import { type Connection, encodeEvent } from "./connection.ts";
import type { ClientInfo } from "./context.ts";

/** How many sessions one connection may watch; the longest-unused one is forgotten first. */
const MAX_WATCHED_SESSIONS = 256;

/** Options for {@linkcode ConnectionRegistry}. */
export interface ConnectionRegistryOptions {
  /** `gateway.limits.maxConnectionsPerAddress`, read at each new connection. */
  maxPerAddress(): number;
  /** Called (coalesced, see `presenceDelayMs`) when the number of clients changed. */
  onPresence(connections: number): void;
  /** @default 1000 */
  presenceDelayMs?: number;
}

/** Every connection of one gateway, and who receives which event. */
export class ConnectionRegistry {
  #options: ConnectionRegistryOptions;
  #connections = new Map<string, Connection>();
  /**
   * The connections that finished `connect`, kept apart so that counting clients (every `health`
   * call, every presence change) costs nothing per open connection: 1,000 connections each
   * calling `health` once built a million client entries to count them.
   */
  #clients = new Set<Connection>();
  #perAddress = new Map<string, number>();
  /** Session key -> the connections watching it. */
  #watchers = new Map<string, Set<Connection>>();
  /** Connection -> the session keys it watches, oldest use first. */
  #watching = new Map<Connection, Set<string>>();
  /** Connections that asked for every session's events. */
  #everything = new Set<Connection>();
  /** Closed connections whose socket has not gone yet: each still holds its slot. */
  #leaving = new Set<Connection>();
  #presenceTimer: ReturnType<typeof setTimeout> | undefined;
  #closing = false;

  constructor(options: ConnectionRegistryOptions) {
    this.#options = options;
  }

  /**
   * Takes a slot for a new connection from `client`; false when the address has its limit open
   * (local clients are not counted against it). Pair with {@linkcode add}.
   */
  reserve(client: ClientAddress): boolean {
    const open = this.#perAddress.get(client.address) ?? 0;
    if (!client.local && open >= this.#options.maxPerAddress()) return false;
    this.#perAddress.set(client.address, open + 1);
    return true;
  }

  /** Gives back a slot {@linkcode reserve} took for a connection that never opened. */
  release(client: ClientAddress): void {
    this.#freeSlot(client.address);
  }

  /** Registers a connection whose slot {@linkcode reserve} took. */
  add(connection: Connection): void {
    this.#connections.set(connection.id, connection);
  }

  /** A connection finished `connect`: it counts in presence, and may want every event. */
  authenticated(connection: Connection): void {
    if (!this.#connections.has(connection.id)) return;
    this.#clients.add(connection);
    if (connection.wantsAllEvents) this.#everything.add(connection);
    this.#presenceChanged();
  }

  /**
   * Forgets a closed connection, and frees its slot once its socket has gone: closed or failed,
   * or, for a socket closed before its upgrade completed, `connectTimeoutMs` after the gateway
   * closed it (`Connection.whenSocketGone`). A client that never answers the close frame keeps
   * its socket open, and the per-address cap bounds how many of those one address can hold at
   * once; a handshake that never completed may never report its socket closed at all, and must
   * not keep the slot for good.
   */
  remove(connection: Connection): void {
    if (!this.#connections.delete(connection.id)) return;
    this.#leaving.add(connection);
    connection.whenSocketGone(() => {
      this.#leaving.delete(connection);
      this.#freeSlot(connection.address);
    });
    this.#everything.delete(connection);
    const wasClient = this.#clients.delete(connection);
    for (const key of this.#watching.get(connection) ?? []) this.#unwatch(connection, key);
    this.#watching.delete(connection);
    // Presence lists the clients: it changed only if this was one.
    if (wasClient) this.#presenceChanged();
  }

  /** From now on the session's events (`agentId/sessionId`, see `sessionKeyOf`) reach it. */
  watch(connection: Connection, sessionKey: string): void {
    if (!this.#connections.has(connection.id)) return;
    const keys = this.#watching.get(connection) ?? new Set<string>();
    this.#watching.set(connection, keys);
    keys.delete(sessionKey); // re-added last: the most recently used
    keys.add(sessionKey);
    if (keys.size > MAX_WATCHED_SESSIONS) {
      const oldest = keys.values().next().value!;
      this.#unwatch(connection, oldest);
    }
    const watchers = this.#watchers.get(sessionKey) ?? new Set<Connection>();
    this.#watchers.set(sessionKey, watchers);
    watchers.add(connection);
  }

  /** Delivers a bus event to the connections that should see it. */
  deliver(event: BusEvent): void {
    let encoded: ReturnType<typeof encodeEvent> | undefined;
    const send = (connection: Connection) => {
      if (!connection.authenticated) return;
      encoded ??= encodeEvent(event.event, event.payload);
      connection.sendEncoded(encoded);
    };
    if (event.sessionKey === undefined) {
      // A closing connection stays a client until `remove`: `send` still checks it.
      for (const connection of this.#clients) send(connection);
      return;
    }
    // A session's event (every streamed delta): its watchers, then those that want everything.
    const watchers = this.#watchers.get(event.sessionKey);
    if (watchers) { for (const connection of watchers) send(connection); }
    for (const connection of this.#everything) {
      if (!watchers?.has(connection)) send(connection);
    }
  }

  /** Every authenticated connection, as `system.presence` lists them. */
  clients(): ClientInfo[] {
    return Array.from(this.#clients, (connection) => connection.info);
  }

  /** How many connections finished `connect`: `clients().length`, without building them. */
  get clientCount(): number {
    return this.#clients.size;
  }

  /** Closes the connections `which` picks (rotated credentials, a revoked device). */
  closeWhere(which: (connection: Connection) => boolean, code: number, reason: string): void {
    for (const connection of [...this.#connections.values()]) {
      if (which(connection)) connection.close(code, reason);
    }
  }

  /** Closes every connection and stops the presence timer (gateway shutdown). */
  closeAll(code: number, reason: string): void {
    this.#closing = true;
    clearTimeout(this.#presenceTimer);
    this.#presenceTimer = undefined;
    this.closeWhere(() => true, code, reason);
    // Nothing of a stopped gateway waits for its clients' sockets.
    for (const connection of [...this.#leaving]) connection.letGoOfSocket();
  }

  get size(): number {
    return this.#connections.size;
  }

  #freeSlot(address: string): void {
    const count = (this.#perAddress.get(address) ?? 1) - 1;
    if (count <= 0) this.#perAddress.delete(address);
    else this.#perAddress.set(address, count);
  }

  #unwatch(connection: Connection, sessionKey: string): void {
    this.#watching.get(connection)?.delete(sessionKey);
    const watchers = this.#watchers.get(sessionKey);
    watchers?.delete(connection);
    if (watchers?.size === 0) this.#watchers.delete(sessionKey);
  }

  // A burst of connects must not become N² presence frames: changes are coalesced into one small
  // event a second; clients that want the entries call system.presence.
  #presenceChanged(): void {
    if (this.#closing) return;
    this.#presenceTimer ??= setTimeout(() => {
      this.#presenceTimer = undefined;
      this.#options.onPresence(this.#clients.size);
    }, this.#options.presenceDelayMs ?? 1_000);
  }
}
