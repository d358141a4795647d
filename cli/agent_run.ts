/**
 * @module `pyclaw agent`'s work: read the message, pick the route (gateway or in-process), print
 * the answer's text to stdout as it streams and tool calls compactly to stderr, and exit with a
 * code scripts can rely on (0 answered, 1 failed, 2 bad usage, 130 interrupted).
 */

import { DEFAULT_AGENT_ID, DEFAULT_SESSION_ID } from "../agent/agents.ts";
import type { AgentEvent, StopReason } from "../agent/run_types.ts";
import { stopNote } from "../agent/turn_runner.ts";
import { isGatewayError } from "../core/errors.ts";
import type { GatewayClient } from "../core/protocol/client.ts";
import { fail, printJson } from "./_output.ts";
import { type GatewayOrLocalFlags, openRoute } from "./_gateway_or_local.ts";
import { cyan, dim, red } from "./_style.ts";

export interface AgentFlags extends GatewayOrLocalFlags {
  agent?: string;
  session?: string;
  model?: string;
  json?: boolean;
}

/** What the turn produced, for `--json` and the exit code. */
interface TurnResult {
  ok: boolean;
  via: "gateway" | "local";
  agentId: string;
  sessionId: string;
  text: string;
  toolCalls: { tool: string; args: unknown; isError?: boolean }[];
  usage?: unknown;
  aborted?: boolean;
  error?: { code?: string; message: string };
  /** Why the answer ended with tool calls not run (`chat.done`'s `stopReason`). */
  stopReason?: StopReason;
}

const encoder = new TextEncoder();

export async function agentTurn(words: string[], flags: AgentFlags): Promise<void> {
  const message = await readMessage(words);
  const agentId = flags.agent ?? DEFAULT_AGENT_ID;
  const sessionId = flags.session ?? DEFAULT_SESSION_ID;
  let route;
  try {
    route = await openRoute(flags);
  } catch (error) {
    fail(error);
  }
  const result: TurnResult = {
    ok: false,
    via: route.via,
    agentId,
    sessionId,
    text: "",
    toolCalls: [],
  };
  const out = new StreamPrinter(!flags.json);
  const controller = new AbortController();
  const interrupt = () => controller.abort();
  Deno.addSignalListener("SIGINT", interrupt);
  // The deadline stops the run as Ctrl-C does, but it is a failure (exit 1), not an interrupt.
  let timedOut = false;
  const deadline = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, route.target.timeoutMs);
  try {
    const onEvent = (event: AgentEvent) => {
      if (event.type === "delta") {
        result.text += event.text;
        out.text(event.text);
      } else if (event.type === "tool_call") {
        result.toolCalls.push({ tool: event.tool, args: event.args });
        out.note(`${cyan("\u2699", Deno.stderr)} ${event.tool}(${compact(event.args)})`);
      } else if (event.type === "tool_result" && event.isError) {
        const call = result.toolCalls.findLast((c) => c.tool === event.tool);
        if (call) call.isError = true;
        out.note(red(`  \u2717 ${event.tool}: ${compact(event.result)}`, Deno.stderr));
      }
    };
    const request = { agentId, sessionId, message, model: flags.model };
    const options = { signal: controller.signal, timeoutMs: route.target.timeoutMs, onEvent };
    const outcome = route.via === "gateway"
      ? await sendTurn(route.client, request, options)
      : await sendLocally(request, options);
    result.usage = outcome.usage;
    result.aborted = outcome.aborted;
    if (outcome.error) result.error = outcome.error;
    if (outcome.stopReason) {
      // The answer is the model's own words; why it stops short is said beside it.
      result.stopReason = outcome.stopReason;
      out.note(stopNote(outcome.stopReason));
    }
    result.ok = !outcome.error && !outcome.aborted;
  } catch (error) {
    result.error = {
      code: isGatewayError(error) ? error.code : undefined,
      message: error instanceof Error ? error.message : String(error),
    };
  } finally {
    clearTimeout(deadline);
    Deno.removeSignalListener("SIGINT", interrupt);
    if (route.via === "gateway") {
      route.client.close();
      await route.client.closed;
    }
  }
  if (timedOut) {
    // The same words as the gateway client's own request timeout, whichever fired first.
    result.ok = false;
    delete result.aborted;
    result.error = {
      message: `Timed out after ${route.target.timeoutMs} ms waiting for chat.send`,
    };
  }
  out.end();
  if (flags.json) printJson(result);
  else if (result.error) {
    const code = result.error.code ? `${result.error.code}: ` : "";
    console.error(red(`Error: ${code}${result.error.message}`, Deno.stderr));
    if (/No model configured/.test(result.error.message)) {
      console.error("Run `pyclaw setup` to choose a provider and model, or pass --model");
    }
  } else if (result.aborted) console.error("Interrupted");
  Deno.exit(result.ok ? 0 : result.aborted && !result.error ? 130 : 1);
}

/**
 * The message: the arguments, then what is piped on stdin after a blank line, so that
 * `git diff | pyclaw agent "Review this change"` sends the instruction and the diff, as other
 * LLM CLIs (llm, aichat) do. Either part alone is the whole message.
 */
async function readMessage(words: string[]): Promise<string> {
  const typed = words.join(" ").trim();
  const piped = Deno.stdin.isTerminal()
    ? ""
    : (await new Response(Deno.stdin.readable).text()).replace(/^\s*\n/, "").trimEnd();
  const message = [typed, piped].filter(Boolean).join("\n\n");
  if (!message.trim()) {
    fail(new Error('No message: pass one (pyclaw agent "Hello") or pipe it on stdin'), 2);
  }
  return message;
}

interface TurnRequest {
  agentId: string;
  sessionId: string;
  message: string;
  model?: string;
}

interface Outcome {
  usage?: unknown;
  aborted: boolean;
  error?: { code?: string; message: string };
  stopReason?: StopReason;
}

interface TurnOptions {
  signal: AbortSignal;
  timeoutMs: number;
  onEvent(event: AgentEvent): void;
}

/** `chat.send` on a gateway, turning its `chat.*` events for this session into run events. */
async function sendTurn(
  client: GatewayClient,
  request: TurnRequest,
  options: TurnOptions,
): Promise<Outcome> {
  let stopReason: StopReason | undefined;
  const stop = client.onEvent((frame) => {
    if (
      frame.event !== "chat.delta" && frame.event !== "chat.tool_call" &&
      frame.event !== "chat.tool_result" && frame.event !== "chat.done"
    ) return;
    const p = frame.payload;
    if (p.sessionId !== request.sessionId || p.agentId !== request.agentId) return;
    if (frame.event === "chat.done") {
      stopReason = frame.payload.stopReason;
    } else if (frame.event === "chat.delta") {
      options.onEvent({ type: "delta", text: frame.payload.delta });
    } else if (frame.event === "chat.tool_call") {
      options.onEvent({
        type: "tool_call",
        id: frame.payload.callId,
        tool: frame.payload.tool,
        args: frame.payload.args,
      });
    } else {
      options.onEvent({
        type: "tool_result",
        id: frame.payload.callId,
        tool: frame.payload.tool,
        result: frame.payload.result,
        output: frame.payload.output,
        isError: frame.payload.isError,
      });
    }
  });
  // Ctrl-C stops the run on the gateway too, not just this client.
  const abort = () =>
    client.request("chat.abort", { sessionId: request.sessionId, agentId: request.agentId })
      .catch(() => {});
  options.signal.addEventListener("abort", abort, { once: true });
  try {
    const answer = await client.request("chat.send", {
      message: request.message,
      agentId: request.agentId,
      sessionId: request.sessionId,
      ...(request.model ? { model: request.model } : {}),
    }, { timeoutMs: options.timeoutMs });
    return {
      usage: answer.usage,
      aborted: Boolean(answer.aborted),
      error: answer.error,
      ...(stopReason ? { stopReason } : {}),
    };
  } finally {
    stop();
    options.signal.removeEventListener("abort", abort);
  }
}

/**
 * The same `chat.send` on the gateway's services started in this process: the same runtime,
 * system prompt and tools (MCP servers connected first), but no schedulers and no client to
 * approve `exec`.
 */
async function sendLocally(request: TurnRequest, options: TurnOptions): Promise<Outcome> {
  const { openLocalGateway } = await import("./_local_gateway.ts");
  const local = await openLocalGateway({ connectMcp: true });
  try {
    return await sendTurn(local.client, request, options);
  } finally {
    await local.close();
  }
}

/** One line of arguments or result, cut to fit. */
function compact(value: unknown, max = 100): string {
  let text: string;
  try {
    text = typeof value === "string" ? value : JSON.stringify(value) ?? "";
  } catch {
    text = String(value);
  }
  text = text.replace(/\s+/g, " ");
  return text.length > max ? text.slice(0, max - 1) + "\u2026" : text;
}

/**
 * Writes streamed text to stdout and notes to stderr on their own lines. A reader that goes
 * away (`| head -1`) silences it instead of crashing the run.
 */
class StreamPrinter {
  #enabled: boolean;
  #midLine = false;

  constructor(enabled: boolean) {
    this.#enabled = enabled;
  }

  #write(stream: typeof Deno.stdout | typeof Deno.stderr, text: string): void {
    try {
      stream.writeSync(encoder.encode(text));
    } catch (error) {
      if (!(error instanceof Deno.errors.BrokenPipe)) throw error;
      this.#enabled = false;
    }
  }

  text(chunk: string): void {
    if (!this.#enabled || !chunk) return;
    this.#write(Deno.stdout, chunk);
    this.#midLine = !chunk.endsWith("\n");
  }

  note(line: string): void {
    if (!this.#enabled) return;
    // On a terminal both streams share the screen: start the note on its own line.
    if (this.#midLine && Deno.stdout.isTerminal()) {
      this.#write(Deno.stdout, "\n");
      this.#midLine = false;
    }
    this.#write(Deno.stderr, dim(line, Deno.stderr) + "\n");
  }

  end(): void {
    if (this.#enabled && this.#midLine) this.#write(Deno.stdout, "\n");
  }
}
