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
 * Tools that do what another does, by another way: denying the other by name denies them too.
 * `process start` runs commands as `exec` does, so `deny: ["exec"]` leaves no way to run one.
 */
const DENIED_WITH: Readonly<Record<string, readonly string[]>> = { process: ["exec"] };

/** True when a deny entry names the tool, or a tool it is denied with. */
function denies(entry: string, tool: PolicySubject): boolean {
  if (entryMatches(entry, tool)) return true;
  const others = Object.hasOwn(DENIED_WITH, tool.name) ? DENIED_WITH[tool.name] : [];
  return others.some((name) => entryMatches(entry, { name, group: tool.group }));
}

/**
 * True when the tool passes every list: no deny entry matches it (or a tool it is denied with,
 * as `exec` for `process`), and every list that has an allow list names it there. Deny wins
 * over allow.
 */
export function toolAllowed(tool: PolicySubject, lists: readonly ToolPolicyList[]): boolean {
  for (const { allow, deny } of lists) {
    if (deny?.some((entry) => denies(entry, tool))) return false;
    if (allow && !allow.some((entry) => entryMatches(entry, tool))) return false;
  }
  return true;
}
