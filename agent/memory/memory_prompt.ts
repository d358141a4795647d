/**
 * @module The system prompt's memory section, present when the agent may call `memory_search`:
 * users of OpenClaw found memory that is never recalled, so the prompt says when to search and
 * where to write what should be remembered.
 */

/** The memory section for the tools a turn offers, or "" when `memory_search` is not one. */
export function memoryPromptSection(toolNames: ReadonlySet<string>): string {
  if (!toolNames.has("memory_search")) return "";
  const lines = [
    "## Memory",
    "You have long-term memory: MEMORY.md and memory/*.md in your workspace, and your past " +
    "conversations. Before answering about earlier work, decisions, dates, people, " +
    "preferences or todos, call memory_search first (and memory_get to read more around a " +
    "hit); say so when nothing is found rather than guessing.",
  ];
  if (toolNames.has("write") || toolNames.has("edit")) {
    lines.push(
      "When the user asks you to remember something, or you learn a lasting fact or " +
        "preference, write it down: durable facts in MEMORY.md, notes of the day in " +
        "memory/YYYY-MM-DD.md. What is not written is forgotten when the session ends.",
    );
  }
  return lines.join("\n");
}
