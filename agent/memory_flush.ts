/**
 * @module The memory flush: before an automatic compaction folds older turns into a summary,
 * the agent gets one quiet turn to write what should outlive it into its memory files
 * (`MEMORY.md`, `memory/YYYY-MM-DD.md`) with its file tools, as OpenClaw does. Configured by
 * `agents.defaults.compaction.memoryFlush`; it runs only when the agent can write files, is
 * not written to the session, and never fails the turn.
 */

import { errorMessage, isAbortError } from "../core/errors.ts";
import type { ToolContext } from "../tools/tool.ts";
import { type ContextBudget, estimateToolTokens, fitToBudget } from "./context_window.ts";
import type { AgentRunDeps, PreparedRun } from "./run_types.ts";
import { contextMessages } from "./session_context.ts";
import type { SessionMessage } from "./sessions/session_store.ts";
import { runToolCall, type ToolSet } from "./tool_calls.ts";
import type { ChatMessage, ToolCall } from "./providers/types.ts";

/** Tools that can write a memory file; without one of them there is nothing to flush with. */
const WRITING_TOOLS = new Set(["write", "edit", "apply_patch"]);
const MAX_ROUNDS = 4;

/** The flush turn's instruction when config has none. */
export const DEFAULT_FLUSH_PROMPT =
  "Pre-compaction memory flush: the older part of this conversation is about to be replaced " +
  "by a summary. Write anything worth keeping for the long term (decisions, preferences, " +
  "facts about the user, open tasks) to your memory files now: append to " +
  "memory/YYYY-MM-DD.md (today's date) or update MEMORY.md, using your file tools. If there " +
  "is nothing to store, reply NO_REPLY.";

/** What the flush works with: the turn's prompt, tools and budget. */
export interface FlushInput {
  system: string;
  messages: SessionMessage[];
  toolSet: ToolSet;
  toolContext: ToolContext;
  budget: ContextBudget;
}

/** Runs the flush turn when configured and possible; returns whether it ran. */
export async function memoryFlush(
  deps: AgentRunDeps,
  run: PreparedRun,
  input: FlushInput,
): Promise<boolean> {
  const settings = deps.config().agents.defaults.compaction.memoryFlush;
  if (!settings.enabled) return false;
  const tools = [...input.toolSet.byWireName.entries()]
    .filter(([, tool]) => WRITING_TOOLS.has(tool.name));
  if (!tools.length) return false;
  const { resolved } = run;
  const specs = input.toolSet.specs.filter((spec) => tools.some(([name]) => name === spec.name));
  const messages: ChatMessage[] = [
    {
      role: "system",
      content: [input.system, settings.systemPrompt].filter(Boolean).join("\n\n"),
    },
    ...(await contextMessages(deps.sessions, run.request.agentId, input.messages, {
      vision: false,
    })),
    { role: "user", content: settings.prompt ?? DEFAULT_FLUSH_PROMPT },
  ];
  try {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const calls: ToolCall[] = [];
      let text = "";
      for await (
        const event of resolved.provider.stream({
          model: resolved.model,
          messages: fitToBudget(messages, input.budget.prompt - estimateToolTokens(specs)),
          tools: specs,
          maxTokens: input.budget.reserve,
          signal: input.toolContext.signal,
        })
      ) {
        if (event.type === "text") text += event.text;
        else if (event.type === "tool_call") calls.push(event.call);
      }
      if (!calls.length) break;
      messages.push({ role: "assistant", content: text, toolCalls: calls });
      for (const call of calls) {
        const tool = input.toolSet.byWireName.get(call.name);
        const allowed = tool && WRITING_TOOLS.has(tool.name) ? tool : undefined;
        const { output } = await runToolCall(allowed, call, input.toolContext);
        messages.push({
          role: "tool",
          toolCallId: call.id,
          name: tool?.name ?? call.name,
          content: output.content,
        });
      }
    }
    deps.logger.info("memory flush ran", { agentId: run.request.agentId });
  } catch (error) {
    if (input.toolContext.signal.aborted || isAbortError(error)) throw error;
    deps.logger.warn("memory flush failed", { error: errorMessage(error) });
  }
  return true;
}
