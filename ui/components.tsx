/** @module Small pieces every screen shares: page frame, error and loading notes, formatting. */

import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { isGatewayError } from "../core/protocol/errors.ts";
import type { RpcResult } from "./gateway_context.ts";

let firstScreen = true;

/**
 * Focuses a screen's heading when the user navigated to it, so screen readers announce the new
 * screen; the first screen after loading leaves focus at the top of the page.
 */
export function useScreenFocus(heading: { current: HTMLElement | null }, title: string): void {
  useEffect(() => {
    if (firstScreen) {
      firstScreen = false;
      return;
    }
    heading.current?.focus();
  }, [title]);
}

/** A screen: its heading and actions. */
export function Page(
  props: { title: string; actions?: ComponentChildren; children: ComponentChildren },
) {
  const heading = useRef<HTMLHeadingElement>(null);
  useScreenFocus(heading, props.title);
  return (
    <section class="page" aria-labelledby="page-title">
      <header class="page-head">
        <h1 id="page-title" tabIndex={-1} ref={heading}>{props.title}</h1>
        {props.actions && <div class="actions">{props.actions}</div>}
      </header>
      {props.children}
    </section>
  );
}

/** An error from the gateway, in words. */
export function ErrorNote(props: { error: Error | undefined; what?: string }) {
  if (!props.error) return null;
  const code = isGatewayError(props.error) ? props.error.code : undefined;
  return (
    <p class="note error" role="alert">
      {props.what ? `${props.what}: ` : ""}
      {props.error.message}
      {code ? <span class="code">{code}</span> : null}
    </p>
  );
}

/** Shows loading, the error, or the children once `result` has data. */
export function Loaded<T>(
  props: { result: RpcResult<T>; what: string; children: (data: T) => ComponentChildren },
) {
  const { data, error, loading } = props.result;
  if (error && data === undefined) return <ErrorNote error={error} what={props.what} />;
  if (data === undefined) {
    return <p class="note" aria-busy="true">{loading ? "Loading…" : "Not connected"}</p>;
  }
  return (
    <>
      <ErrorNote error={error} what={props.what} />
      {props.children(data)}
    </>
  );
}

/** A refresh button for a screen's data. */
export function Refresh(props: { result: RpcResult<unknown>; label?: string }) {
  return (
    <button type="button" onClick={props.result.reload} disabled={props.result.loading}>
      {props.label ?? "Refresh"}
    </button>
  );
}

/** A status word as a coloured badge (the word itself carries the meaning). */
export function Badge(
  props: { tone: "ok" | "warn" | "fail" | "info"; children: ComponentChildren },
) {
  return <span class={`badge ${props.tone}`}>{props.children}</span>;
}

/** The badge tone of a status word from any screen. */
export function toneOf(status: string): "ok" | "warn" | "fail" | "info" {
  if (status === "running" || status === "ok") return "ok";
  if (status === "starting" || status === "reconnecting" || status === "warn") return "warn";
  if (status === "error" || status === "fail") return "fail";
  return "info";
}

/** Bytes as KiB/MiB. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** An ISO time as local date and time; a dash for none. */
export function formatTime(iso: string | number | null | undefined): string {
  if (iso === null || iso === undefined || iso === "") return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : date.toLocaleString();
}

/** US dollars with enough digits for fractions of a cent. */
export function formatCost(usd: number): string {
  return usd >= 1 ? `$${usd.toFixed(2)}` : `$${usd.toFixed(4)}`;
}

/** Any JSON value as readable text. */
export function formatJson(value: unknown): string {
  if (typeof value === "string") return value;
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}
