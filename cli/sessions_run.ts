/**
 * @module The `pyclaw sessions` commands' work: `sessions.*` on the gateway, else on the same
 * services in this process.
 */

import { fail, printJson } from "./_output.ts";
import { gatewayOrLocal, type GatewayOrLocalFlags } from "./_gateway_or_local.ts";
import { bold, dim } from "./_style.ts";

type Flags = GatewayOrLocalFlags & { json?: boolean; agent?: string };

/**
 * The session's file, relative to the state dir, which the gateway and the store both take.
 * `session` has passed `sessions.ts`' `sessionRef`: at most one `/`.
 */
export function sessionPath(session: string, agent?: string): string {
  if (session.endsWith(".jsonl")) return session;
  const [agentId, sessionId] = session.includes("/")
    ? session.split("/")
    : [agent ?? "main", session];
  return `agents/${agentId}/sessions/${sessionId}.jsonl`;
}

export async function sessionsList(flags: Flags): Promise<void> {
  const { result: { sessions } } = await gatewayOrLocal(
    flags,
    (client, target) =>
      client.request("sessions.list", flags.agent ? { agentId: flags.agent } : {}, {
        timeoutMs: target.timeoutMs,
      }),
    { readOnly: true },
  ).catch((error) => fail(error));
  if (flags.json) {
    printJson({ sessions, count: sessions.length });
    return;
  }
  if (sessions.length === 0) console.log("No sessions yet");
  for (const s of sessions) {
    console.log(
      `${`${s.agentId}/${s.sessionId}`.padEnd(32)} ${String(s.size).padStart(9)} B  ${
        s.updatedAt ?? ""
      }`,
    );
  }
}

export async function sessionsShow(
  session: string,
  flags: Flags & { limit: number; cursor?: string },
): Promise<void> {
  const path = sessionPath(session, flags.agent);
  const params = { path, limit: flags.limit, ...(flags.cursor ? { cursor: flags.cursor } : {}) };
  const { result: { messages, nextCursor } } = await gatewayOrLocal(
    flags,
    (client, target) => client.request("sessions.preview", params, { timeoutMs: target.timeoutMs }),
    { readOnly: true },
  ).catch((error) => fail(error));
  if (flags.json) {
    printJson({ path, messages, nextCursor });
    return;
  }
  for (const message of messages) {
    if (message.role === "compaction") {
      console.log(`${bold("compaction")} ${dim(message.time ?? "")}`);
      console.log(dim(`(summary of ${message.messagesCompacted} earlier messages)`));
      console.log(message.content);
      console.log();
      continue;
    }
    const who = message.role === "tool" ? `tool ${message.name ?? ""}` : message.role;
    console.log(`${bold(who)} ${dim(message.time ?? "")}`);
    const text = typeof message.content === "string"
      ? message.content
      : message.content.map((part) => part.type === "text" ? part.text : `[${part.type}]`).join(
        "",
      );
    if (text) console.log(text);
    for (const call of message.toolCalls ?? []) {
      console.log(dim(`\u2699 ${call.name}(${call.arguments.replace(/\s+/g, " ").slice(0, 100)})`));
    }
    if (message.error) console.log(`error: ${message.error}`);
    console.log();
  }
  if (nextCursor) console.log(dim(`Older messages: --cursor ${nextCursor}`));
}

export async function sessionsCompact(session: string, flags: Flags): Promise<void> {
  const path = sessionPath(session, flags.agent);
  try {
    const { result } = await gatewayOrLocal(
      flags,
      (client, target) =>
        client.request("sessions.compact", { path }, {
          timeoutMs: Math.max(target.timeoutMs, 300_000),
        }),
    );
    if (flags.json) printJson(result);
    else if (!result.compacted) console.log(`Not compacted: ${result.reason ?? "nothing to do"}`);
    else {
      console.log(
        `Compacted ${result.messagesCompacted} messages of ${result.path} ` +
          `(about ${result.tokensBefore} \u2192 ${result.tokensAfter} tokens)`,
      );
    }
  } catch (error) {
    fail(error);
  }
}

export async function sessionsDelete(session: string, flags: Flags): Promise<void> {
  const path = sessionPath(session, flags.agent);
  try {
    const { result } = await gatewayOrLocal(
      flags,
      (client, target) =>
        client.request("sessions.delete", { path }, { timeoutMs: target.timeoutMs }),
    );
    if (flags.json) printJson(result);
    else console.log(`Deleted ${result.path}`);
  } catch (error) {
    fail(error);
  }
}
