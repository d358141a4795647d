/**
 * @module The app shell: sign-in, the connection (one per tab, reconnecting), navigation by
 * `#/route`, the pending exec approvals every screen can see, and the screens themselves.
 */

import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { type ApprovalRequest, ApprovalsView, useApprovalQueue } from "./approvals.tsx";
import { ChatView } from "./chat/chat_view.tsx";
import type { TypedEventFrame } from "../core/protocol/events.ts";
import { type ConnectionState, GatewayConnection, gatewayUrl } from "./gateway_connection.ts";
import { type GatewayApi, GatewayContext } from "./gateway_context.ts";
import { SessionsView } from "./sessions_view.tsx";
import { SignIn } from "./sign_in.tsx";
import { ChannelsView } from "./status/channels_view.tsx";
import { CronView } from "./status/cron_view.tsx";
import { DoctorView } from "./status/doctor_view.tsx";
import { LogsView } from "./status/logs_view.tsx";
import { ModelsView } from "./status/models_view.tsx";
import { ToolsView } from "./status/tools_view.tsx";
import { UsageView } from "./status/usage_view.tsx";

const TOKEN_KEY = "pyclaw.control.token";

const ROUTES = [
  ["chat", "Chat"],
  ["sessions", "Sessions"],
  ["approvals", "Approvals"],
  ["models", "Models"],
  ["tools", "Tools & MCP"],
  ["channels", "Channels"],
  ["cron", "Cron"],
  ["usage", "Usage"],
  ["logs", "Logs"],
  ["doctor", "Doctor"],
] as const;
type Route = typeof ROUTES[number][0];

function readRoute(): { route: Route; query: URLSearchParams } {
  const [path, search] = location.hash.replace(/^#\/?/, "").split("?");
  const route = ROUTES.some(([id]) => id === path) ? path as Route : "chat";
  return { route, query: new URLSearchParams(search ?? "") };
}

export function App() {
  const [token, setToken] = useState<string | null>(() => sessionStorage.getItem(TOKEN_KEY));
  const [problem, setProblem] = useState<string | undefined>(undefined);
  if (!token) {
    return (
      <SignIn
        problem={problem}
        onSubmit={(value) => {
          sessionStorage.setItem(TOKEN_KEY, value);
          setProblem(undefined);
          setToken(value);
        }}
      />
    );
  }
  return (
    <SignedIn
      token={token}
      onSignOut={(reason) => {
        sessionStorage.removeItem(TOKEN_KEY);
        setProblem(reason);
        setToken(null);
      }}
    />
  );
}

function SignedIn(props: { token: string; onSignOut(reason?: string): void }) {
  const [state, setState] = useState<ConnectionState>({ kind: "connecting", attempt: 1 });
  const [generation, setGeneration] = useState(0);
  const listeners = useRef(new Set<(frame: TypedEventFrame) => void>());
  const connection = useRef<GatewayConnection | null>(null);
  useEffect(() => {
    const conn = new GatewayConnection({
      url: gatewayUrl(location),
      token: props.token,
      onState: (next) => {
        setState(next);
        if (next.kind === "open") setGeneration((n) => n + 1);
        if (next.kind === "refused") {
          props.onSignOut(
            next.code === "AUTH_REQUIRED"
              ? `The gateway refused the token: ${next.message}`
              : `The gateway refused to sign in: ${next.message}`,
          );
        }
      },
      onEvent: (frame) => {
        for (const listener of listeners.current) listener(frame);
      },
    });
    connection.current = conn;
    return () => conn.close();
  }, [props.token]);

  const api = useMemo<GatewayApi>(() => ({
    state,
    generation,
    call: (method, params, timeoutMs) =>
      connection.current
        ? connection.current.request(method, params, { timeoutMs })
        : Promise.reject(new Error("Not connected")),
    subscribe: (listener) => {
      listeners.current.add(listener);
      return () => listeners.current.delete(listener);
    },
  }), [state, generation]);

  const [{ route, query }, setRoute] = useState(readRoute);
  useEffect(() => {
    const onHash = () => setRoute(readRoute());
    addEventListener("hashchange", onHash);
    return () => removeEventListener("hashchange", onHash);
  }, []);

  return (
    <GatewayContext.Provider value={api}>
      <Shell
        route={route}
        query={query}
        state={state}
        onSignOut={() => props.onSignOut()}
      />
    </GatewayContext.Provider>
  );
}

function Shell(
  props: { route: Route; query: URLSearchParams; state: ConnectionState; onSignOut(): void },
) {
  const approvals = useApprovalQueue();
  const waiting = approvals.pending.length;
  return (
    <>
      <a class="skip" href="#main" onClick={skipToMain}>Skip to content</a>
      {/* Announced from any screen: a command is waiting for the user. */}
      <p class="visually-hidden" role="alert" aria-live="assertive">
        {waiting ? `${waiting} command${waiting > 1 ? "s" : ""} waiting for approval` : ""}
      </p>
      <header class="top">
        <div class="brand">pyclaw</div>
        <nav aria-label="Screens">
          <ul>
            {ROUTES.map(([id, label]) => (
              <li key={id}>
                <a href={`#/${id}`} aria-current={props.route === id ? "page" : undefined}>
                  {label}
                  {id === "approvals" && approvals.pending.length > 0 && (
                    <span class="count" aria-label={`${approvals.pending.length} pending`}>
                      {approvals.pending.length}
                    </span>
                  )}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <ConnectionBadge state={props.state} />
        <button type="button" class="link" onClick={props.onSignOut}>Sign out</button>
      </header>
      <main id="main" tabIndex={-1}>
        <Screen route={props.route} query={props.query} approvals={approvals.pending} />
      </main>
    </>
  );
}

function skipToMain(event: Event) {
  event.preventDefault();
  document.getElementById("main")?.focus();
}

function Screen(props: { route: Route; query: URLSearchParams; approvals: ApprovalRequest[] }) {
  switch (props.route) {
    case "chat":
      return <ChatView query={props.query} approvals={props.approvals} />;
    case "sessions":
      return <SessionsView />;
    case "approvals":
      return <ApprovalsView pending={props.approvals} />;
    case "models":
      return <ModelsView />;
    case "tools":
      return <ToolsView />;
    case "channels":
      return <ChannelsView />;
    case "cron":
      return <CronView />;
    case "usage":
      return <UsageView />;
    case "logs":
      return <LogsView />;
    case "doctor":
      return <DoctorView />;
  }
}

function ConnectionBadge(props: { state: ConnectionState }) {
  const { state } = props;
  const [text, tone] = state.kind === "open"
    ? ["Connected", "ok"]
    : state.kind === "connecting"
    ? [state.attempt > 1 ? `Reconnecting (attempt ${state.attempt})…` : "Connecting…", "warn"]
    : state.kind === "waiting"
    ? [`${state.reason}; retrying in ${Math.ceil(state.retryInMs / 1000)} s`, "fail"]
    : state.kind === "refused"
    ? [state.message, "fail"]
    : ["Signed out", "info"];
  return (
    <p class={`conn ${tone}`} role="status" aria-live="polite" title={text}>
      <span class="dot" aria-hidden="true" />
      <span class="conn-text">{text}</span>
    </p>
  );
}
