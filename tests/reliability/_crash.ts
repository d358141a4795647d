/**
 * @module One kill -9 round against a real `pyclaw gateway run` process (completed chats, then
 * slow streams, SIGKILL mid-stream) and the restart check: shared by crash_test.ts and
 * `scripts/crash_loop.ts`.
 */

import { assert, assertEquals, waitFor } from "../_helpers/assert.ts";
import { startFakeOpenAI } from "../_helpers/fake_openai.ts";
import { everythingStdio } from "../_helpers/mcp.ts";
import type { GatewayClient } from "../../core/protocol/client.ts";
import { connectChecked } from "../_helpers/contract.ts";
import {
  commandLine,
  descendants,
  PROCESS_TOKEN,
  startGatewayProcess,
  waitGone,
} from "./_gateway_process.ts";

type History = { messages: { role: string; content: string }[] };
type Listed = { sessions: { file: string; path: string }[] };

/** A config with the stand-in provider, a stdio MCP server and the browser. */
export function crashConfig(upstreamUrl: string): Record<string, unknown> {
  return {
    models: {
      providers: {
        fake: {
          api: "openai",
          baseUrl: upstreamUrl,
          apiKey: "sk-fake",
          models: [{ id: "gpt-test" }],
        },
      },
    },
    agents: { defaults: { model: "fake/gpt-test" } },
    tools: { mcpServers: { everything: everythingStdio() }, exec: { policy: "deny" } },
    browser: { executablePath: "/usr/bin/chromium" },
    gateway: { http: { port: false } },
  };
}

/** Waits until the MCP server reports connected; returns its pid. */
export async function mcpPid(client: GatewayClient): Promise<number> {
  let status: unknown;
  return await waitFor(async () => {
    const current = await client.request("mcp.status");
    status = current;
    const server = current.servers[0];
    return server?.state === "connected" ? server.pid : undefined;
  }, 20_000).catch(() => {
    throw new Error(`MCP server not connected: ${JSON.stringify(status)}`);
  });
}

/**
 * One crash round over `stateDir`: completed chats in `sessions`, then slow streams in all of
 * them, SIGKILL mid-stream. Returns what was completed (sessionId → its messages) and the
 * processes the gateway had started that were still alive 5 s after the kill.
 */
export async function crashRound(
  stateDir: string,
  upstream: Awaited<ReturnType<typeof startFakeOpenAI>>,
  round: number,
  sessions: string[],
  withBrowser: boolean,
): Promise<{ completed: Map<string, string[]>; leftovers: string[]; children: string[] }> {
  const gateway = await startGatewayProcess(stateDir);
  const clients: GatewayClient[] = [];
  const completed = new Map<string, string[]>();
  try {
    const client = await connectChecked(gateway.url, {
      token: PROCESS_TOKEN,
      clientName: "crash",
    });
    clients.push(client);
    const mcp = await mcpPid(client);
    if (withBrowser) await client.request("browser.start");
    upstream.setDefault((request) => ({ text: `Answer to ${lastUser(request.body)}` }));
    await Promise.all(sessions.map(async (sessionId) => {
      const message = `round ${round} in ${sessionId}`;
      await client.request("chat.send", { message, sessionId });
      completed.set(sessionId, [message, `Answer to ${message}`]);
    }));
    // Now streams everywhere that hold after their first chunk (until the kill ends them), and
    // the kill once each has started: paced ones (5 s) could finish first on a loaded machine.
    upstream.setDefault({
      chunks: Array.from({ length: 50 }, (_, i) => `w${i} `),
      holdAfter: 1,
    });
    let streaming = 0;
    const started = new Promise<void>((resolve) =>
      client.onEvent((frame) => {
        if (frame.event === "chat.delta" && ++streaming >= sessions.length) resolve();
      })
    );
    const pending = sessions.map((sessionId) =>
      client.request("chat.send", { message: `unfinished ${round}`, sessionId }).catch(() => "cut")
    );
    await started;
    const children = await descendants(gateway.pid);
    assert(children.includes(mcp), `MCP server ${mcp} runs under the gateway`);
    const commands = await Promise.all(children.map(commandLine));
    if (withBrowser) {
      assert(commands.some((c) => /chrom/i.test(c)), `Chromium runs: ${commands.join("; ")}`);
    }
    await gateway.kill();
    assertEquals(new Set(await Promise.all(pending)), new Set(["cut"]));
    const alive = await waitGone(children, 5_000);
    const leftovers = await Promise.all(
      alive.map(async (pid) => `${pid} ${await commandLine(pid)}`),
    );
    for (const pid of alive) Deno.kill(pid, "SIGKILL");
    return { completed, leftovers, children: commands };
  } finally {
    for (const client of clients) client.close();
    await gateway.kill();
  }
}

function lastUser(body: { messages?: { role: string; content: unknown }[] }): string {
  const last = [...body.messages ?? []].reverse().find((m) => m.role === "user");
  return typeof last?.content === "string" ? last.content : "";
}

/** Restarts over `stateDir` and checks every session file loads with its completed messages. */
export async function verifySessions(
  stateDir: string,
  completed: Map<string, string[][]>,
): Promise<number> {
  const gateway = await startGatewayProcess(stateDir);
  const client = await connectChecked(gateway.url, {
    token: PROCESS_TOKEN,
    clientName: "verify",
  });
  try {
    const listed = await client.request("sessions.list");
    assertEquals(
      listed.sessions.map((s) => s.file).sort(),
      [...completed.keys()].map((id) => `${id}.jsonl`).sort(),
    );
    let messages = 0;
    for (const session of listed.sessions) {
      // Every file loads through both readers.
      await client.request("sessions.preview", { path: session.path, limit: 10_000 });
      const sessionId = session.file.replace(/\.jsonl$/, "");
      const history = await client.request("chat.history", { sessionId, limit: 10_000 });
      const contents = history.messages.map((m) => m.content);
      for (const pair of completed.get(sessionId)!) {
        for (const text of pair) assert(contents.includes(text), `${sessionId} lost "${text}"`);
        messages += pair.length;
      }
    }
    return messages;
  } finally {
    client.close();
    await client.closed;
    await gateway.stop();
  }
}
