/**
 * @module The agent run loop: one user turn through the model and its tool calls, emitting
 * `delta | tool_call | tool_result | done | error` and appending each finished message to the
 * session file as it goes.
 */

import { resolve } from "../core/path.ts";
import { errorMessage, isAbortError, isGatewayError } from "../core/errors.ts";
import type { ToolContext } from "../tools/tool.ts";
import { costOf, priceOf } from "./pricing.ts";
import { buildSystemPrompt } from "./prompt.ts";
import { startTurn, withoutImages } from "./turn_input.ts";
import {
  contextBudget,
  estimateMessageTokens,
  estimateTextTokens,
  estimateToolTokens,
  fitToBudget,
} from "./context_window.ts";
import { contextMessages } from "./session_context.ts";
import { turnContext, withSummary } from "./turn_context.ts";
import { memoryFlush } from "./memory_flush.ts";
import { configSecrets, gatewayCodeOf, redactText, upstreamStatusOf } from "./providers/errors.ts";
import type { ResolvedModel } from "./providers/registry.ts";
import type { ChatMessage, ContentPart, FinishReason, ToolCall, Usage } from "./providers/types.ts";
import type { SessionMessage } from "./sessions/session_store.ts";
import { buildToolSet, runToolCall, type ToolSet } from "./tool_calls.ts";
import { LEAN_SCHEMA_WINDOW } from "./tool_schema.ts";
import { skillsPrompt } from "./skills.ts";
import { memoryPromptSection } from "./memory/memory_prompt.ts";
import type { AgentEvent, AgentRunDeps, PreparedRun, StopReason } from "./run_types.ts";

export type { AgentEvent, AgentRunDeps, AgentRunRequest, PreparedRun } from "./run_types.ts";

export { prepareRun } from "./run_prepare.ts";

const ZERO: Usage = { promptTokens: 0, completionTokens: 0, totalTokens: 0 };
const NO_TOOLS: ToolSet = { specs: [], byWireName: new Map(), denied: new Set(), names: new Set() };

/**
 * Runs one turn, handing each event to `emit` as it happens. Never rejects: failures end the turn
 * with an `error` event, and a throw from `emit` itself is logged while the turn goes on. A
 * callback, not an async generator: every streamed delta went through one more generator hop (a
 * promise and its microtasks) between the provider and the socket (issue 17).
 */
export async function runAgent(
  deps: AgentRunDeps,
  run: PreparedRun,
  emit: (event: AgentEvent) => void,
): Promise<void> {
  const { request, agent, resolved } = run;
  const { agentId, sessionId } = request;
  // A consumer's failure is its own, as with the bus's listeners: it neither fails the turn (no
  // error line written for it) nor makes this reject; it is logged once per turn.
  let consumerFailed = false;
  const send = (event: AgentEvent) => {
    try {
      emit(event);
    } catch (error) {
      if (!consumerFailed) {
        deps.logger.error("a turn's event consumer failed", {
          agentId,
          sessionId,
          event: event.type,
          error: errorMessage(error),
        });
      }
      consumerFailed = true;
    }
  };
  const session = { sessionId, agentId };
  const signal = request.signal ?? new AbortController().signal;
  const config = deps.config();
  const vision = resolved.entry?.vision !== false;
  const workspaceDir = agent.workspace
    ? resolve(deps.paths.root, agent.workspace)
    : deps.paths.workspaceDir;
  const total: Usage = { ...ZERO };
  let partial = "";
  // The turn's message was appended with a check; its later lines need none (appendToTurn).
  const append = (...messages: SessionMessage[]) =>
    deps.sessions.appendToTurn(agentId, sessionId, ...messages);
  try {
    // Skills are listed by name and description; the agent loads one with `read_skill`. The
    // listing does not wait for the user's message to be stored: the two file reads overlap.
    const started = Promise.all([
      startTurn(deps, request, { vision, workspaceDir }).then((turn) => {
        // Logged whatever else happens: a turn that fails before it awaits `written` would
        // otherwise report only its own error, and the lost message would go unseen.
        turn.written?.catch((error) =>
          deps.logger.error("the user's message could not be stored", {
            agentId,
            sessionId,
            error: errorMessage(error),
          })
        );
        return turn;
      }),
      request.tools !== false && deps.toolServices?.skills
        ? skillsPrompt(deps.toolServices.skills, workspaceDir)
        : "",
    ]);
    // Awaited below; a failure meanwhile (the tools still loading) is not left unhandled.
    started.catch(() => {});
    // What does not depend on the session is built while its file is checked and the message
    // written (issue 17, turn overhead): the budget, the tool set and its token count.
    const budget = contextBudget(resolved, config);
    // A small window gets lean tool schemas: every token of them is paid on every request.
    if (request.tools !== false) await deps.tools?.ready();
    const toolSet = request.tools === false || !deps.tools
      ? NO_TOOLS
      : buildToolSet(deps.tools.list(), [config.tools, agent.tools], {
        lean: budget.window <= LEAN_SCHEMA_WINDOW,
      });
    const toolTokens = estimateToolTokens(toolSet.specs);
    const [{ tail, written }, skills] = await started;
    const system = [
      buildSystemPrompt({
        base: request.systemPrompt ?? agent.systemPrompt,
        now: new Date(),
        timezone: agent.timezone ?? config.cron.timezone,
        events: deps.systemEvents?.drain(),
      }),
      skills,
      config.agents.defaults.memorySearch.enabled ? memoryPromptSection(toolSet.names) : "",
    ].filter(Boolean).join("\n\n");
    const toolContext: ToolContext = {
      signal,
      agentId,
      sessionId,
      workspaceDir,
      restrictToWorkspace: config.tools.restrictToWorkspace,
      config: deps.config,
      logger: deps.logger,
      emit: (event) => deps.onRunEvent?.(session, event),
      services: deps.toolServices ?? {},
    };
    const systemTokens = estimateTextTokens(system);
    const context = await turnContext(deps, run, {
      budget,
      fixedTokens: systemTokens + toolTokens,
      signal,
      tail,
      flush: (messages) =>
        memoryFlush(deps, run, { system, messages, toolSet, toolContext, budget }),
    });
    const first: ChatMessage = { role: "system", content: withSummary(system, context.compaction) };
    // A stored message's kept estimate counts all it holds; the provider gets that or less.
    let tokensAtMost = context.messages.reduce(
      (n, located) => n + located.tokens,
      context.compaction ? estimateMessageTokens(first) : systemTokens + 4,
    );
    const messages: ChatMessage[] = [
      first,
      ...(await contextMessages(
        deps.sessions,
        agentId,
        context.messages.map((located) => located.message),
        { vision },
      )),
    ];
    // The user's message was being written while the context was built; it is in the file
    // before the model sees it.
    await written;
    // The request's token limit is the whole turn's: each call gets what the earlier ones left.
    let tokensLeft = request.maxTokens;
    for (let round = 0;; round++) {
      // The last allowed round offers no tools, so the model has to answer in words.
      const offerTools = toolSet.specs.length > 0 && round < agent.maxIterations - 1;
      const calls: ToolCall[] = [];
      let usage: Usage | undefined;
      let finish: FinishReason = "stop";
      partial = "";
      const cap = resolved.entry?.maxTokens ?? budget.reserve;
      // This call's limit is what the turn's budget left, not the model's own.
      const budgetCaps = tokensLeft !== undefined && tokensLeft <= cap;
      for await (
        const event of resolved.provider.stream({
          model: resolved.model,
          messages: fitToBudget(
            vision ? messages : messages.map(withoutImages),
            budget.prompt - (offerTools ? toolTokens : 0),
            tokensAtMost,
          ),
          ...(offerTools ? { tools: toolSet.specs } : {}),
          temperature: request.temperature ?? agent.temperature,
          maxTokens: Math.min(tokensLeft ?? Infinity, cap),
          signal,
        })
      ) {
        if (event.type === "text") {
          partial += event.text;
          send({ type: "delta", text: event.text });
        } else if (event.type === "tool_call") {
          calls.push(event.call);
        } else if (event.type === "finish") {
          usage = event.usage;
          finish = event.reason;
        }
      }
      if (usage) addUsage(deps, run, total, usage);
      if (tokensLeft !== undefined) {
        // The provider's count where it gave one, else an estimate of what the model wrote.
        tokensLeft -= usage?.completionTokens ??
          estimateTextTokens(partial + calls.map((call) => call.name + call.arguments).join(""));
      }
      // A turn whose own budget (the request's maxTokens) is spent, by this call's stopping at
      // it or by the provider's count, leaves the model no tokens to read its tools' results: the
      // turn ends here, and says why. Its calls are not run. A model stopped at its own limit
      // (the model entry's maxTokens, the context's reserve) still has its calls run: one whose
      // arguments were cut short comes back as the tool's error, and the model carries on.
      const cut = calls.length > 0 && tokensLeft !== undefined &&
        (tokensLeft <= 0 || (finish === "length" && budgetCaps));
      const uncalled = cut ? calls.splice(0) : undefined;
      if (uncalled) {
        deps.logger.warn("a turn ended at its token limit with tool calls not run", {
          agentId,
          sessionId,
          reason: "the request's maxTokens spent",
          tools: uncalled.map((call) => call.name),
        });
      }
      // A round that offered no tools is the last: calls the model makes anyway are not run
      // (a model that ignores the missing tools would otherwise call them round after round).
      // The answer stays the model's own words; why it stopped travels as `stopReason` (the
      // line, `done`), and text-only clients add a note from it (turn_runner.ts `stopNote`).
      const unrun = offerTools || !calls.length ? uncalled : calls.splice(0);
      // The limit is to blame only when an earlier round of this turn offered tools.
      const stopReason: StopReason | undefined = !unrun || uncalled
        ? undefined
        : round > 0 && toolSet.specs.length > 0
        ? "toolLimit"
        : "noTools";
      if (unrun && !uncalled) {
        deps.logger.warn("a turn ended with tool calls not run", {
          agentId,
          sessionId,
          reason: stopReason,
          maxIterations: agent.maxIterations,
          tools: unrun.map((call) => call.name),
        });
      }
      const assistant: SessionMessage = {
        role: "assistant",
        content: partial,
        time: new Date().toISOString(),
        provider: resolved.providerId,
        model: resolved.model,
        ...(usage ? { usage } : {}),
        ...(calls.length ? { toolCalls: calls } : {}),
        ...(unrun ? { unrunToolCalls: unrun, stopReason } : {}),
      };
      await append(assistant);
      const text = partial;
      partial = "";
      if (!calls.length) {
        send({
          type: "done",
          usage: total,
          text,
          aborted: false,
          ...names(resolved),
          finishReason: cut || finish === "length" ? "length" : "stop",
          ...(stopReason ? { stopReason } : {}),
        });
        return;
      }
      messages.push({ role: "assistant", content: text, toolCalls: calls });
      tokensAtMost += estimateMessageTokens(messages.at(-1)!);
      for (const call of calls) {
        const tool = toolSet.byWireName.get(call.name);
        const toolName = tool?.name ?? call.name;
        send({ type: "tool_call", id: call.id, tool: toolName, args: parseArgs(call.arguments) });
        let outcome;
        try {
          outcome = await runToolCall(tool, call, toolContext, {
            denied: toolSet.denied.has(call.name),
          });
        } catch (error) {
          await append(toolMessage(call, toolName, "Aborted before the tool finished", true));
          throw error;
        }
        const { output } = outcome;
        send({
          type: "tool_result",
          id: call.id,
          tool: toolName,
          result: output.data ?? output.content,
          output: eventOutput(output.content, output.images?.length ?? 0),
          isError: output.isError === true,
        });
        const content: string | ContentPart[] = output.images?.length
          ? [
            { type: "text", text: output.content },
            ...output.images.map((image) => ({ type: "image" as const, ...image })),
          ]
          : output.content;
        await append(toolMessage(call, toolName, content, output.isError === true));
        messages.push({ role: "tool", toolCallId: call.id, name: toolName, content });
        tokensAtMost += estimateMessageTokens(messages.at(-1)!);
      }
    }
  } catch (error) {
    const aborted = signal.aborted || isAbortError(error);
    // A provider's words say what its upstream echoed (`Invalid key=sk-...`): no secret of the
    // config, nor anything shaped like a key, goes on to clients or into the session.
    const secrets = configSecrets(deps.config());
    if (partial) {
      await append({
        role: "assistant",
        content: partial,
        time: new Date().toISOString(),
        provider: resolved.providerId,
        model: resolved.model,
        ...(aborted ? { aborted: true } : { error: redactText(errorMessage(error), secrets) }),
      }).catch((e) => deps.logger.error("session append failed", { error: errorMessage(e) }));
    }
    if (aborted) {
      send({ type: "done", usage: total, text: partial, aborted: true, ...names(resolved) });
      return;
    }
    if (!isGatewayError(error)) {
      deps.logger.warn("agent run failed", {
        agentId,
        sessionId,
        error: redactText(errorMessage(error), secrets),
      });
    }
    const upstreamStatus = upstreamStatusOf(error);
    const failure = gatewayCodeOf(error);
    // The gateway's own messages (an unknown model's id) are not an upstream's echo.
    if (!isGatewayError(error)) failure.message = redactText(failure.message, secrets);
    send({
      type: "error",
      error: failure,
      text: partial,
      ...(upstreamStatus !== undefined ? { upstreamStatus } : {}),
    });
  }
}

/** Adds a model call to the turn's total and records it; the record is written in the background. */
function addUsage(deps: AgentRunDeps, run: PreparedRun, total: Usage, usage: Usage): void {
  total.promptTokens += usage.promptTokens;
  total.completionTokens += usage.completionTokens;
  total.totalTokens += usage.totalTokens;
  const cost = costOf(usage, priceOf(run.resolved.model, run.resolved.entry?.cost));
  deps.usage?.record({
    agentId: run.request.agentId,
    sessionId: run.request.sessionId,
    provider: run.resolved.providerId,
    model: run.resolved.model,
    promptTokens: usage.promptTokens,
    completionTokens: usage.completionTokens,
    ...(cost !== undefined ? { cost } : {}),
  }).catch((error) => deps.logger.error("usage record failed", { error: errorMessage(error) }));
}

function toolMessage(
  call: ToolCall,
  name: string,
  content: string | ContentPart[],
  isError: boolean,
): SessionMessage {
  return {
    role: "tool",
    toolCallId: call.id,
    name,
    content,
    time: new Date().toISOString(),
    ...(isError ? { isError } : {}),
  };
}

function parseArgs(text: string): unknown {
  try {
    return JSON.parse(text || "{}");
  } catch {
    return text;
  }
}

function names(resolved: ResolvedModel) {
  return { provider: resolved.providerId, model: resolved.model };
}

/** Most characters of a tool's text sent in a `chat.tool_result` event. */
export const EVENT_OUTPUT_MAX_CHARS = 32_000;

/**
 * The tool's text as a client sees it in `chat.tool_result`: what the model read, so a client can
 * show it (a document tool's `data` holds only its path and page count), capped with a marker so
 * one large read does not flood every watching client.
 */
export function eventOutput(content: string, images: number): string {
  const note = images ? `\n[${images} image${images > 1 ? "s" : ""} sent to the model]` : "";
  if (content.length <= EVENT_OUTPUT_MAX_CHARS) return content + note;
  const rest = content.length - EVENT_OUTPUT_MAX_CHARS;
  return content.slice(0, EVENT_OUTPUT_MAX_CHARS) +
    `\n[\u2026 ${rest} more characters not shown here; the model read all ${content.length}]` +
    note;
}
