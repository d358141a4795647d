/**
 * @module What every screen uses to talk to the gateway: the connection in a Preact context,
 * `useRpc` (call a method, reload when the connection comes back) and `useGatewayEvent`.
 */

import { createContext } from "preact";
import { useCallback, useContext, useEffect, useRef, useState } from "preact/hooks";
import type { EventName, TypedEventFrame } from "../core/protocol/events.ts";
import type { MethodName, MethodParams, MethodResult } from "../core/protocol/methods.ts";
import type { ConnectionState } from "./gateway_connection.ts";

/** A signed-in gateway as screens see it. */
export interface GatewayApi {
  state: ConnectionState;
  /** Bumps each time a connection opens, so screens reload after a reconnect. */
  generation: number;
  /** Calls a method of the catalogue; params and result are typed from it. */
  call<M extends MethodName>(
    method: M,
    params?: MethodParams<M>,
    timeoutMs?: number,
  ): Promise<MethodResult<M>>;
  /** Listens to every event frame, typed by its name; returns the unsubscribe function. */
  subscribe(listener: (frame: TypedEventFrame) => void): () => void;
}

export const GatewayContext = createContext<GatewayApi | null>(null);

/** The gateway of the signed-in app. */
export function useGateway(): GatewayApi {
  const api = useContext(GatewayContext);
  if (!api) throw new Error("useGateway outside the signed-in app");
  return api;
}

/** A method's result as a screen shows it. */
export interface RpcResult<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  reload(): void;
}

/**
 * Calls `method` when the screen opens, whenever `params` change (by JSON) and after each
 * reconnect; `reload()` calls it again.
 */
export function useRpc<M extends MethodName>(
  method: M,
  params: MethodParams<M> = {} as MethodParams<M>,
  timeoutMs?: number,
): RpcResult<MethodResult<M>> {
  type T = MethodResult<M>;
  const gateway = useGateway();
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const [nonce, setNonce] = useState(0);
  const key = JSON.stringify(params);
  const open = gateway.state.kind === "open";
  useEffect(() => {
    if (!open) return;
    let live = true;
    setLoading(true);
    gateway.call(method, JSON.parse(key), timeoutMs).then(
      (result) => {
        if (!live) return;
        setData(result);
        setError(undefined);
      },
      (failure: Error) => live && setError(failure),
    ).finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [method, key, nonce, open, gateway.generation]);
  const reload = useCallback(() => setNonce((n) => n + 1), []);
  return { data, error, loading, reload };
}

/** An event frame of one of the names `E`; a check of `frame.event` narrows its payload. */
export type EventFrameOf<E extends EventName> = Extract<TypedEventFrame, { event: E }>;

/** Runs `listener` for every event named in `names` while the component is mounted. */
export function useGatewayEvent<E extends EventName>(
  names: readonly E[],
  listener: (frame: EventFrameOf<E>) => void,
): void {
  const gateway = useGateway();
  const latest = useRef(listener);
  latest.current = listener;
  const key = names.join(",");
  useEffect(
    () =>
      gateway.subscribe((frame) => {
        if (isOneOf(frame, names)) latest.current(frame);
      }),
    [key],
  );
}

function isOneOf<E extends EventName>(
  frame: TypedEventFrame,
  names: readonly E[],
): frame is EventFrameOf<E> {
  return (names as readonly string[]).includes(frame.event);
}
