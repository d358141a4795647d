/**
 * The CLI's "gateway or local" commands answer alike both ways: the same `--json` (up to ids,
 * times and the state dir's path), results that match the catalogue's schemas, and bad input
 * refused with the same code and message, changing nothing.
 */

import { join } from "node:path";
import { assertEquals } from "../_helpers/assert.ts";
import { type PyclawResult, runPyclaw } from "../_helpers/cli.ts";
import { contractDrift } from "../_helpers/contract.ts";
import { startFakeOpenAI } from "../_helpers/fake_openai.ts";
import { startTestGateway, type TestGateway } from "../_helpers/gateway.ts";
import { type MethodName, METHODS } from "../../core/protocol/methods.ts";
import { Logger } from "../../core/logger.ts";
import { PlanStore } from "../../agent/plans/plan_store.ts";

const CONFIG = {
  agents: { list: [{ id: "writer", name: "Writer", model: "openai/gpt-4o" }] },
  bindings: [{ pattern: "telegram:*", agentId: "writer" }],
  channels: { telegram: { enabled: true } },
};

async function seed(stateDir: string): Promise<void> {
  const sessions = join(stateDir, "agents", "main", "sessions");
  await Deno.mkdir(sessions, { recursive: true });
  const line = (role: string, content: string) =>
    JSON.stringify({ role, content, time: "2026-01-01T00:00:00.000Z" });
  const chat = [line("user", "What is 2+2?"), line("assistant", "It is 4.")].join("\n") + "\n";
  await Deno.writeTextFile(join(sessions, "chat.jsonl"), chat);
  await Deno.writeTextFile(join(sessions, "old.jsonl"), chat);
  // Newest first: the order must not hang on which file the clock saw first.
  await Deno.utime(join(sessions, "old.jsonl"), new Date(2026, 0, 1), new Date(2026, 0, 1));
  const workspace = join(stateDir, "workspace");
  await Deno.mkdir(join(workspace, "memory"), { recursive: true });
  await Deno.writeTextFile(join(workspace, "MEMORY.md"), "# Facts\nPassport renewal in March\n");
}

/** The same state dir twice: one served by a running gateway, one with no gateway at all. */
async function twoStateDirs(): Promise<{ gw: TestGateway; localDir: string }> {
  const gw = await startTestGateway({ config: CONFIG });
  await Deno.writeTextFile(
    gw.configPath,
    JSON.stringify({ ...CONFIG, gateway: { port: gw.gateway.port } }),
  );
  await seed(gw.stateDir);
  const localDir = await Deno.makeTempDir({ prefix: "pyclaw-cli-parity-" });
  // Port 9 (discard): nothing answers there.
  await Deno.writeTextFile(
    join(localDir, "pyclaw.json"),
    JSON.stringify({ ...CONFIG, gateway: { port: 9 } }),
  );
  await seed(localDir);
  return { gw, localDir };
}

const ID = /\bjob_[0-9a-f]{12}\b/g;
const TIME = /\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z\b/g;

/**
 * What may differ between the two runs: ids, times, durations, the state dir, the route, and
 * the `live` keys that report what runs (a gateway runs its channels; this process does not).
 */
function normalized(value: unknown, stateDir: string, live: string[] = []): unknown {
  if (typeof value === "string") {
    return value.replaceAll(stateDir, "<state>").replace(ID, "<id>").replace(TIME, "<time>");
  }
  if (Array.isArray(value)) return value.map((item) => normalized(item, stateDir, live));
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => key !== "via" && key !== "source")
        .map(([key, item]) => [
          key,
          key === "durationMs" || live.includes(key)
            ? "<varies>"
            : normalized(item, stateDir, live),
        ]),
    );
  }
  return value;
}

Deno.test("gateway or local commands print the same --json both ways, in the catalogue's shapes", async () => {
  const { gw, localDir } = await twoStateDirs();
  await using _gw = gw;
  try {
    const env = { PYCLAW_AUTH_TOKEN: gw.token! };
    /** Runs `args` through the gateway and with `--local`; both must succeed and agree. */
    const both = async (
      args: string[],
      contract?: { method: MethodName; pick?: Pick; live?: string[] },
    ) => {
      const [viaGateway, viaLocal] = await Promise.all([
        runPyclaw(args, { stateDir: gw.stateDir, env }),
        runPyclaw([...args, "--local"], { stateDir: localDir }),
      ]);
      const gateway = parsed(viaGateway, args, "gateway");
      const local = parsed(viaLocal, args, "--local");
      assertEquals(
        normalized(local, localDir, contract?.live),
        normalized(gateway, gw.stateDir, contract?.live),
        `${args.join(" ")}: --local differs from the gateway`,
      );
      if (contract) {
        const pick = contract.pick ?? ((json: unknown) => json);
        for (const [route, json] of [["gateway", gateway], ["--local", local]] as const) {
          const drift = contractDrift(METHODS[contract.method].result, pick(json));
          assertEquals(drift, undefined, `${args.join(" ")} (${route}) vs ${contract.method}`);
        }
      }
      return { gateway, local };
    };
    const withoutVia = (json: unknown) => {
      const { via: _via, ...rest } = json as Record<string, unknown>;
      return rest;
    };

    await both(["agents", "list", "--json"], { method: "agents.list" });
    await both(["agents", "list", "--bindings", "--json"], {
      method: "agents.bindings",
      pick: (json) => (json as { bindings: unknown }).bindings,
    });

    await both(["sessions", "list", "--json"], {
      method: "sessions.list",
      pick: (json) => ({ sessions: (json as { sessions: unknown }).sessions }),
    });
    await both(["sessions", "show", "main/chat", "--limit", "1", "--json"], {
      method: "sessions.preview",
      pick: (json) => {
        const { path: _path, ...page } = json as Record<string, unknown>;
        return page;
      },
    });
    await both(["sessions", "delete", "old", "--json"], { method: "sessions.delete" });

    const live = ["status", "running"];
    await both(["channels", "list", "--json"], { method: "channels.list", live });
    await both(["channels", "status", "webchat", "--json"], { method: "channels.status", live });
    await both(["channels", "status", "telegram", "--json"], { method: "channels.status" });

    const added = await both(["cron", "add", "0 8 * * *", "Good morning", "--tz", "UTC", "--json"]);
    await both(["cron", "list", "--json"], { method: "cron.list" });
    const gatewayJob = (added.gateway as { id: string }).id;
    const localJob = (added.local as { id: string }).id;
    const [removedViaGateway, removedLocally] = await Promise.all([
      runPyclaw(["cron", "remove", gatewayJob, "--json"], { stateDir: gw.stateDir, env }),
      runPyclaw(["cron", "remove", localJob, "--json", "--local"], { stateDir: localDir }),
    ]);
    assertEquals(
      normalized(parsed(removedLocally, ["cron", "remove"], "--local"), localDir),
      normalized(parsed(removedViaGateway, ["cron", "remove"], "gateway"), gw.stateDir),
    );

    await both(["memory", "reindex", "--json"], {
      method: "memory.reindex",
      pick: withoutVia,
    });
    await both(["memory", "search", "passport", "--json"], {
      method: "memory.search",
      pick: withoutVia,
    });
    // The last sync is what this process did: the gateway's own reindex, or the local one's.
    await both(["memory", "status", "--json"], {
      method: "memory.status",
      pick: withoutVia,
      live: ["lastSync"],
    });

    const { gateway: servers } = await both(["mcp", "status", "--json"]);
    assertEquals(servers, { source: gw.url, servers: [], count: 0 });
    await both(["mcp", "list-tools", "--json"]);
  } finally {
    await Deno.remove(localDir, { recursive: true });
  }
});

type Pick = (json: unknown) => unknown;

function parsed(run: PyclawResult, args: string[], route: string): unknown {
  assertEquals(run.code, 0, `${args.join(" ")} (${route}) failed: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

Deno.test("gateway or local commands refuse bad input with the same code and message, changing nothing", async () => {
  const { gw, localDir } = await twoStateDirs();
  await using _gw = gw;
  try {
    const env = { PYCLAW_AUTH_TOKEN: gw.token! };
    const refusedAlike = async (args: string[], code: string) => {
      const [viaGateway, viaLocal] = await Promise.all([
        runPyclaw(args, { stateDir: gw.stateDir, env }),
        runPyclaw([...args, "--local"], { stateDir: localDir }),
      ]);
      const what = args.join(" ");
      assertEquals([viaGateway.code, viaLocal.code], [1, 1], `${what} must fail both ways`);
      const error = (run: PyclawResult, dir: string) =>
        normalized(run.stderr.trim().split("\n").at(-1), dir);
      assertEquals(error(viaLocal, localDir), error(viaGateway, gw.stateDir), what);
      assertEquals(
        String(error(viaGateway, gw.stateDir)).startsWith(`Error: ${code}: `),
        true,
        `${what}: ${viaGateway.stderr}`,
      );
    };

    // The catalogue's params schemas: the local route used to accept these.
    await refusedAlike(["cron", "add", "* * * * *", "   "], "INVALID_PARAMS");
    // A --limit out of the schema's range is bad usage (exit 2) before either route is asked.
    for (
      const args of [
        ["sessions", "show", "chat", "--limit", "20000"],
        ["memory", "search", "passport", "--limit", "51"],
      ]
    ) {
      const run = await runPyclaw(args, { stateDir: gw.stateDir, env });
      assertEquals(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
    }
    // The services' own checks.
    await refusedAlike(["cron", "add", "not a schedule", "x"], "INVALID_PARAMS");
    await refusedAlike(["cron", "add", "* * * * *", "x", "--agent", "ghost"], "NOT_FOUND");
    await refusedAlike(["cron", "remove", "job_000000000000"], "NOT_FOUND");
    await refusedAlike(["sessions", "show", "../../../etc/passwd.jsonl"], "INVALID_PARAMS");
    await refusedAlike(["sessions", "delete", "nope"], "NOT_FOUND");
    await refusedAlike(["sessions", "compact", "chat"], "INVALID_PARAMS");
    await refusedAlike(["channels", "status", "irc"], "NOT_FOUND");
    await refusedAlike(["memory", "search", "x", "--agent", "ghost"], "NOT_FOUND");

    // Nothing changed: no job was saved, and the sessions are both still there.
    for (const dir of [gw.stateDir, localDir]) {
      const jobs = await runPyclaw(["cron", "list", "--json", "--local"], { stateDir: dir });
      assertEquals(JSON.parse(jobs.stdout), []);
      const sessions = await runPyclaw(["sessions", "list", "--json", "--local"], {
        stateDir: dir,
      });
      assertEquals(JSON.parse(sessions.stdout).count, 2);
    }
  } finally {
    await Deno.remove(localDir, { recursive: true });
  }
});

Deno.test("agent --json answers alike through the gateway and in-process, with the same tools", async () => {
  await using upstream = await startFakeOpenAI({ models: ["gpt-test"], apiKey: "sk-test" });
  const config = (port: number) => ({
    gateway: { port },
    models: { providers: { fake: { baseUrl: upstream.url, apiKey: "sk-test" } } },
    agents: { defaults: { model: "fake/gpt-test" } },
    tools: { exec: { policy: "allow" } },
  });
  await using gw = await startTestGateway({ config: config(9) });
  await Deno.writeTextFile(gw.configPath, JSON.stringify(config(gw.gateway.port)));
  const localDir = await Deno.makeTempDir({ prefix: "pyclaw-cli-parity-" });
  try {
    await Deno.writeTextFile(join(localDir, "pyclaw.json"), JSON.stringify(config(9)));
    const turn = async (stateDir: string, extra: string[], env?: Record<string, string>) => {
      const first = upstream.requests.length;
      upstream.reply(
        { toolCalls: [{ name: "exec", arguments: { command: "echo parity" } }] },
        { chunks: ["Same ", "answer"] },
      );
      const run = await runPyclaw(["agent", "--json", "--session", "parity", "Hi", ...extra], {
        stateDir,
        env,
      });
      const tools = upstream.requests[first].body.tools.map((t: { function: { name: string } }) =>
        t.function.name
      );
      return { json: parsed(run, ["agent"], stateDir), tools };
    };
    const viaGateway = await turn(gw.stateDir, [], { PYCLAW_AUTH_TOKEN: gw.token! });
    const viaLocal = await turn(localDir, ["--local"]);
    assertEquals((viaGateway.json as { via: string }).via, "gateway");
    assertEquals((viaLocal.json as { via: string }).via, "local");
    assertEquals(normalized(viaLocal.json, localDir), normalized(viaGateway.json, gw.stateDir));
    assertEquals(viaLocal.tools, viaGateway.tools);

    const [ghostViaGateway, ghostLocally] = await Promise.all([
      runPyclaw(["agent", "--json", "--agent", "ghost", "Hi"], {
        stateDir: gw.stateDir,
        env: { PYCLAW_AUTH_TOKEN: gw.token! },
      }),
      runPyclaw(["agent", "--json", "--agent", "ghost", "Hi", "--local"], { stateDir: localDir }),
    ]);
    assertEquals([ghostViaGateway.code, ghostLocally.code], [1, 1]);
    const error = (run: PyclawResult) => JSON.parse(run.stdout).error;
    assertEquals(error(ghostLocally), error(ghostViaGateway));
    assertEquals(error(ghostViaGateway).code, "NOT_FOUND");
  } finally {
    await Deno.remove(localDir, { recursive: true });
  }
});

Deno.test("an in-process command leaves plans it did not write alone", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-cli-parity-" });
  try {
    await Deno.writeTextFile(join(dir, "pyclaw.json"), JSON.stringify({ gateway: { port: 9 } }));
    // A plan a gateway was working on when it stopped: the next gateway's to resume or pause.
    const plans = new PlanStore({
      dir: join(dir, "plans"),
      logger: new Logger({ consoleLevel: "silent" }),
    });
    const plan = await plans.create({ agentId: "main", sessionId: "s", title: "T", steps: ["a"] });
    const listed = await runPyclaw(["sessions", "list", "--json"], { stateDir: dir });
    assertEquals(listed.code, 0, listed.stderr);
    assertEquals((await plans.get(plan.id)).status, "active");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
