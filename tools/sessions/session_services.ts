/**
 * @module What the session and sub-agent tools need from the gateway: a directory of sessions
 * and agents (`ToolServices.sessionDirectory`) and the sub-agent registry
 * (`ToolServices.subagents`). The agent layer implements both; tools see only these shapes.
 */

/** A session's address. */
export interface SessionKey {
  agentId: string;
  sessionId: string;
}

/** A session as `sessions_list` shows it. */
export interface SessionSummary extends SessionKey {
  size: number;
  updatedAt: string | null;
  /** A run is in progress or waiting. */
  active: boolean;
}

/** An agent as `agents_list` shows it. */
export interface AgentSummary {
  id: string;
  name: string;
  model: string | null;
  sessions: number;
}

/** What `session_status` reports. */
export interface SessionStatusInfo extends SessionKey {
  /** `provider/model` of the last answer, else the agent's configured model. */
  model: string | null;
  messages: number;
  tokens: { prompt: number; completion: number; total: number };
  /** USD, when the model's price is known. */
  cost: number | null;
  now: string;
  startedAt: string | null;
  updatedAt: string | null;
  /** Tokens of the last model call (prompt + answer) against the model's context window. */
  context: { tokens: number; window: number | null; percent: number | null };
}

/** Sessions and agents, for the session tools. */
export interface SessionDirectory {
  list(filter: { agentId?: string; limit: number }): Promise<SessionSummary[]>;
  /**
   * Runs `message` as a turn in another session. With `wait`, resolves with its answer (or
   * `timedOut` while it still runs); without, once the turn is queued.
   *
   * @throws {GatewayError} NOT_FOUND for an unknown agent; INVALID_PARAMS for the caller's own
   * session or a wait that would close a cycle of sessions waiting on each other
   */
  send(input: {
    from: SessionKey;
    to: SessionKey;
    message: string;
    wait: boolean;
    timeoutMs: number;
    signal: AbortSignal;
  }): Promise<{ answer?: string; timedOut?: boolean }>;
  status(key: SessionKey): Promise<SessionStatusInfo>;
  agents(): Promise<AgentSummary[]>;
}

/** `running`, then one of the others. */
export type SubagentState = "running" | "completed" | "failed" | "killed";

/** A sub-agent as `subagents` lists it. Its id is its session id. */
export interface SubagentInfo extends SessionKey {
  label?: string;
  parent: SessionKey;
  depth: number;
  state: SubagentState;
  startedAt: string;
  endedAt?: string;
  /** The start of its final answer, or why it failed. */
  preview?: string;
}

/** Sub-agents: spawn, list, kill and steer the children of a session. */
export interface SubagentControl {
  /**
   * Starts a sub-agent in the background; its result is announced to `parent` when done.
   *
   * @throws {GatewayError} NOT_FOUND (agent, model); INVALID_PARAMS when the depth or count
   * limits (`agents.defaults.subagents`) are reached
   */
  spawn(input: {
    parent: SessionKey;
    prompt: string;
    agentId?: string;
    label?: string;
    model?: string;
    /** The parent's run: its abort reaches the child. */
    signal: AbortSignal;
  }): SubagentInfo;
  /** The children of `parent`, running first. */
  list(parent: SessionKey): SubagentInfo[];
  /** @throws {GatewayError} NOT_FOUND for an id that is not a child of `parent` */
  kill(parent: SessionKey, id: string): SubagentInfo;
  /** Redirects a running child: its current run stops and a new one starts with `instruction`. */
  steer(parent: SessionKey, id: string, instruction: string): SubagentInfo;
}
