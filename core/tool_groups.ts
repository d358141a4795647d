/**
 * @module The named tool groups (`group:file`, `group:web`, ...) that `tools.allow` / `tools.deny`
 * and each agent's lists may use instead of tool names. Names follow openclaw-py; each tool
 * declares its group, so a group means the same thing to the config check, the run loop and
 * `tools.list`.
 */

/** Every group, with what it holds (the built-in members, for docs and `tools.list`). */
export const TOOL_GROUPS = {
  "group:file": "Workspace files: read, write, edit, apply_patch, grep, find, ls",
  "group:exec": "Shell commands: exec, process",
  "group:web": "The web without a browser: web_fetch, web_search",
  "group:memory": "Long-term memory: memory_search, memory_get",
  "group:session": "Other sessions: sessions_list, sessions_send, session_status, \u2026",
  "group:subagent": "Sub-agents and agents: sessions_spawn, subagents, agents_list",
  "group:browser": "The Chromium browser: browser",
  "group:media": "Screens, images and speech: desktop_screenshot, \u2026",
  "group:cron": "Scheduled turns: cron",
  "group:message": "Sending to the user or a channel: message, send_file",
  "group:documents": "Office documents and PDFs: read_pdf, read_docx, read_xlsx, read_pptx",
  "group:mcp": "Every tool of every MCP server (mcp:<server>:<tool>)",
  "group:agent": "The agent's own aids: plan, read_skill",
} as const;

/** A tool group's name. */
export type ToolGroup = keyof typeof TOOL_GROUPS;

/** True when `name` is a known group. */
export function isToolGroup(name: string): name is ToolGroup {
  return Object.hasOwn(TOOL_GROUPS, name);
}

/**
 * Checks an allow/deny entry: a `group:` entry must name a known group (a typo in a deny list
 * would otherwise deny nothing).
 *
 * @returns an error message, or undefined when the entry is fine
 */
export function toolEntryProblem(entry: string): string | undefined {
  if (!entry.startsWith("group:") || entry.includes("*") || entry.includes("?")) return undefined;
  if (isToolGroup(entry)) return undefined;
  return `Unknown tool group: ${entry} (known: ${Object.keys(TOOL_GROUPS).join(", ")})`;
}
