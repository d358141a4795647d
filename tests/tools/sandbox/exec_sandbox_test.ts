import { join } from "node:path";
import { assert, assertEmptySoon, assertEquals, assertMatch } from "../../_helpers/assert.ts";
import { toolContext } from "../../_helpers/tool_context.ts";
import { execTool } from "../../../tools/exec.ts";
import { CommandSandbox } from "../../../tools/sandbox/command_sandbox.ts";
import { BackgroundProcesses } from "../../../tools/process/background_processes.ts";
import { processTool } from "../../../tools/process/process_tool.ts";

const HAS_BWRAP = (await new CommandSandbox({ hidden: [], env: {} }).availability()).available;
const ignore = !HAS_BWRAP;

/** A state dir holding a token and a config, with the agent's workspace inside it (the default). */
async function stateDirWithWorkspace() {
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "pyclaw-sbx-" }));
  await Deno.writeTextFile(join(root, "gateway.token"), "secret-token-123\n");
  await Deno.writeTextFile(join(root, "pyclaw.json"), '{ gateway: { auth: { token: "x" } } }');
  const workspace = join(root, "workspace");
  await Deno.mkdir(workspace);
  return { root, workspace };
}

async function sandboxedContext(
  execConfig: Record<string, unknown> = {},
  env: Record<string, string> = {},
) {
  const state = await stateDirWithWorkspace();
  const sandbox = new CommandSandbox({
    hidden: [state.root],
    env: { PATH: Deno.env.get("PATH"), ...env },
  });
  const t = await toolContext({
    config: { tools: { exec: { policy: "allow", ...execConfig } } },
    services: {
      sandbox,
      processes: new BackgroundProcesses(() => ({ maxRunning: 4, maxOutputChars: 10_000 })),
    },
  });
  // The workspace is the state dir's, as in a default install.
  t.ctx.workspaceDir = state.workspace;
  return {
    ...t,
    state,
    async [Symbol.asyncDispose]() {
      await t.ctx.services.processes?.close();
      await t[Symbol.asyncDispose]();
      await Deno.remove(state.root, { recursive: true }).catch(() => {});
    },
  };
}

async function run(t: Awaited<ReturnType<typeof sandboxedContext>>, command: string) {
  const result = await t.call(execTool, { command });
  return result.data as { exitCode: number; stdout: string; stderr: string; sandboxed: boolean };
}

Deno.test({
  name: "a sandboxed command cannot read the gateway token or the config",
  ignore,
  fn: async () => {
    await using t = await sandboxedContext();
    const token = await run(t, `cat ${join(t.state.root, "gateway.token")}`);
    assertEquals(token.sandboxed, true);
    assert(token.exitCode !== 0, JSON.stringify(token));
    assert(!token.stdout.includes("secret-token-123"));
    const config = await run(t, `cat ${join(t.state.root, "pyclaw.json")}; ls -a ${t.state.root}`);
    assert(!config.stdout.includes("gateway"), config.stdout);
    // The CVE-2026-28463 forms: expansion, `..` and `~` reach nothing either.
    const forms = await run(t, "cat ../gateway.token ../*.token ~/gateway.token 2>&1; echo $HOME");
    assert(!forms.stdout.includes("secret-token-123"), forms.stdout);
  },
});

Deno.test({
  name: "a sandboxed command writes in the workspace and nowhere else",
  ignore,
  fn: async () => {
    await using t = await sandboxedContext();
    const inside = await run(t, "echo kept > note.txt && mkdir -p sub && echo deep > sub/x");
    assertEquals(inside.exitCode, 0, inside.stderr);
    assertEquals(await Deno.readTextFile(join(t.state.workspace, "note.txt")), "kept\n");
    const marker = `pyclaw-sbx-${crypto.randomUUID().slice(0, 8)}`;
    const outside = await run(
      t,
      `echo x > ${join(t.state.root, marker)}; echo x > /usr/${marker}; echo x > /tmp/${marker}; ` +
        `echo x > /etc/${marker}; ls /tmp`,
    );
    // The system folders are read-only; the state dir is not there at all.
    assertMatch(outside.stderr, /usr\/pyclaw-sbx-\w+: Read-only file system/);
    assertMatch(outside.stderr, /etc\/pyclaw-sbx-\w+: Read-only file system/);
    await Deno.stat(join(t.state.root, marker)).then(() => assert(false, "wrote the state dir"))
      .catch((e) => assert(e instanceof Deno.errors.NotFound));
    // /tmp is private: what the command wrote there is not the host's /tmp.
    await Deno.stat(`/tmp/${marker}`).then(() => assert(false, "wrote the host /tmp"))
      .catch((e) => assert(e instanceof Deno.errors.NotFound));
  },
});

Deno.test({
  name: "a sandboxed command reaches no network unless the config allows it",
  ignore,
  fn: async () => {
    await using server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      () => new Response("reached"),
    );
    const probe = `bash -c 'exec 3<>/dev/tcp/127.0.0.1/${server.addr.port} && ` +
      `printf "GET / HTTP/1.0\\r\\n\\r\\n" >&3 && cat <&3' 2>&1 | tail -n 1`;
    {
      await using t = await sandboxedContext();
      const off = await run(t, probe);
      assert(!off.stdout.includes("reached"), off.stdout);
      assertMatch(off.stdout, /refused|Cannot assign|unreachable/i);
    }
    {
      await using t = await sandboxedContext({ network: true });
      const on = await run(t, probe);
      assertEquals(on.stdout.trim(), "reached");
    }
  },
});

/** Command lines of running processes that mention `marker`. */
async function running(marker: string): Promise<string[]> {
  const ps = await new Deno.Command("ps", { args: ["-eo", "args"], stdout: "piped" }).output();
  return new TextDecoder().decode(ps.stdout).split("\n").filter((line) => line.includes(marker));
}

Deno.test({
  name: "a sandboxed command leaves nothing running, setsid children included",
  ignore,
  fn: async () => {
    await using t = await sandboxedContext();
    const marker = `pyclaw-sbx-${crypto.randomUUID().slice(0, 8)}`;
    const result = await run(
      t,
      `setsid sh -c 'sleep 300; echo ${marker}' > /dev/null 2>&1 & echo started`,
    );
    assertEquals(result.stdout, "started\n");
    await assertEmptySoon(() => running(marker), "the sandbox's processes");
    // A background process too: kill ends its whole namespace.
    const started = await t.call(processTool, {
      action: "start",
      command: `setsid sh -c 'sleep 300; echo ${marker}' & echo ready; wait`,
    });
    const pid = (started.data as { pid: number }).pid;
    const polled = await t.call(processTool, { action: "poll", pid, timeout: 5_000 });
    assertMatch(polled.content, /ready/);
    await t.call(processTool, { action: "kill", pid });
    await assertEmptySoon(() => running(marker), "the sandbox's processes");
  },
});

Deno.test({
  name: "a sandboxed command gets no secrets from the gateway's environment, and has limits",
  ignore,
  fn: async () => {
    await using t = await sandboxedContext({ limits: { cpuSeconds: 77, memoryMb: 300 } }, {
      PYCLAW_AUTH_TOKEN: "env-secret",
      OPENAI_API_KEY: "sk-env-secret",
    });
    const result = await run(t, "env; ulimit -t; ulimit -d");
    assert(!result.stdout.includes("env-secret"), result.stdout);
    assertMatch(result.stdout, /^77$/m);
    assertMatch(result.stdout, /^307200$/m);
    const hog = await run(t, "python3 -c 'x = bytearray(600 * 1024 * 1024)' 2>&1");
    assert(hog.exitCode !== 0, "allocating past the memory limit must fail");
  },
});

Deno.test({
  name: "the same command works on the host with sandbox none",
  ignore,
  fn: async () => {
    await using t = await sandboxedContext({ sandbox: "none" });
    const token = await run(t, `cat ${join(t.state.root, "gateway.token")}`);
    assertEquals(token.sandboxed, false);
    assertEquals(token.stdout, "secret-token-123\n");
  },
});

Deno.test("an agent's own sandbox setting wins over tools.exec", async () => {
  await using t = await sandboxedContext();
  const base = t.ctx.config();
  t.ctx.config = () => ({
    ...base,
    agents: { ...base.agents, list: [{ id: "main", tools: { exec: { sandbox: "none" } } }] },
  });
  const result = await run(t, "true");
  assertEquals(result.sandboxed, false);
});

Deno.test("without bubblewrap, commands run on the host by default and refuse when bwrap is required", async () => {
  const missing = new CommandSandbox({ hidden: [], env: {}, bwrap: "/nonexistent/bwrap" });
  const availability = await missing.availability();
  assertEquals(availability.available, false);
  assertMatch(availability.available ? "" : availability.reason, /not installed/);
  await using t = await toolContext({
    config: { tools: { exec: { policy: "allow" } } },
    services: { sandbox: missing },
  });
  const host = await t.call(execTool, { command: "echo on-host" });
  assertEquals((host.data as { sandboxed: boolean }).sandboxed, false);
  await using strict = await toolContext({
    config: { tools: { exec: { policy: "allow", sandbox: "bwrap" } } },
    services: { sandbox: missing },
  });
  let error: Error | undefined;
  await strict.call(execTool, { command: "echo never" }).catch((e) => error = e);
  assertMatch(String(error?.message), /sandbox is "bwrap" but .*not installed/);
});
