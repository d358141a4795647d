/**
 * @module Which tools an agent may use: `tools.allow` / `tools.deny` and the agent's own
 * `agents.list[].tools` lists, each entry a tool name, a glob (`mcp:*`), or a group
 * (`group:file`). A denied tool is neither offered to the model nor run when called.
 */

import { globMatch } from "../core/glob.ts";
import type { Tool } from "./tool.ts";

/** One allow/deny pair, as config writes it. */
export interface ToolPolicyList {
  allow?: readonly string[];
  deny?: readonly string[];
}

/** What a policy looks at. */
export type PolicySubject = Pick<Tool, "name" | "group">;

/** True when `entry` names the tool: by name or glob, or by its group (`group:web`, `group:*`). */
export function entryMatches(entry: string, tool: PolicySubject): boolean {
  const pattern = entry.trim();
  if (pattern.startsWith("group:")) {
    return tool.group !== undefined && globMatch(pattern, tool.group);
  }
  return globMatch(pattern, tool.name);
}

/**
 * True when the tool passes every list: no deny entry matches it, and every list that has an
 * allow list names it there. Deny wins over allow.
 */
export function toolAllowed(tool: PolicySubject, lists: readonly ToolPolicyList[]): boolean {
  for (const { allow, deny } of lists) {
    if (deny?.some((entry) => entryMatches(entry, tool))) return false;
    if (allow && !allow.some((entry) => entryMatches(entry, tool))) return false;
  }
  return true;
}
