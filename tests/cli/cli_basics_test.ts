import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { runPyclaw } from "../_helpers/cli.ts";
import { TerminalSession } from "../_helpers/terminal.ts";

const root = new URL("../..", import.meta.url).pathname;
const ESC = "\x1b[";

Deno.test("pyclaw --help lists every command group and each group's help has an example", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-cli-basics-" });
  try {
    const help = await runPyclaw(["--help"], { stateDir: dir });
    for (
      const group of [
        "setup",
        "agent",
        "config",
        "agents",
        "sessions",
        "channels",
        "logs",
        "backup",
        "cron",
        "status",
        "token",
        "gateway",
        "completion",
      ]
    ) {
      assertMatch(help.stdout, new RegExp(`^  ${group}\\b`, "m"));
    }
    for (
      const group of [
        "setup",
        "agent",
        "config",
        "sessions",
        "channels",
        "logs",
        "cron",
        "status",
        "token",
        "completion",
        "gateway",
        "models",
        "backup",
        "mcp",
        "agents",
        "memory",
        "doctor",
      ]
    ) {
      const text = (await runPyclaw([group, "--help"], { stateDir: dir })).stdout;
      assertMatch(text, /Examples?:\n {2}pyclaw /, `${group} --help has no example`);
    }
    const version = await runPyclaw(["--version"], { stateDir: dir });
    assertMatch(version.stdout, /^\d+\.\d+\.\d+/);
    const unknown = await runPyclaw(["frobnicate"], { stateDir: dir });
    assertEquals(unknown.code, 2);
    assertMatch(unknown.stderr, /unknown command 'frobnicate'/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pyclaw exits 2 on every bad usage and 0 on --help", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-cli-basics-" });
  try {
    const usage: [string[], RegExp][] = [
      [["frobnicate"], /unknown command 'frobnicate'/],
      [["gateway", "call"], /missing required argument 'method'/],
      [["config", "set", "gateway.port"], /missing required argument 'value'/],
      [["gateway", "run", "--port", "abc"], /argument 'abc' is invalid/],
      [["logs", "--level", "loud"], /argument 'loud' is invalid/],
      [["gateway", "--bogus"], /unknown option '--bogus'/],
      [["token"], /Usage: pyclaw token/],
      [["completion", "tcsh"], /Unknown shell/],
      [["sessions", "show", "main", "--limit", "0"], /Not an integer 1 to 10000: 0/],
      [["memory", "search", "x", "--limit", "0"], /Not an integer 1 to 50: 0/],
      [["models", "download", "bad repo id"], /Not a repo id: "bad repo id"/],
      [["sessions", "show", "/etc/passwd"], /Not a session: "\/etc\/passwd"/],
      [["sessions", "show", "a/b/c"], /Not a session: "a\/b\/c"/],
      [["sessions", "delete", "main/"], /Not a session: "main\/"/],
      // Not an id the session store takes, as typed or as either part of AGENT/ID.
      [["sessions", "show", "bad id"], /Not a session: "bad id"/],
      [["sessions", "compact", "main/-x"], /Not a session: "main\/-x"/],
      [["sessions", "delete", "a..b"], /Not a session: "a\.\.b"/],
    ];
    for (const [args, message] of usage) {
      const run = await runPyclaw(args, { stateDir: dir });
      assertEquals(run.code, 2, `pyclaw ${args.join(" ")}: ${run.stderr}`);
      assertMatch(run.stderr, message);
      // An argument's parser refused it, so the command's usage follows.
      if (args[0] === "sessions" || args[0] === "models") {
        assertMatch(run.stderr, new RegExp(`Usage: pyclaw ${args[0]} ${args[1]} `), args.join(" "));
      }
    }
    for (const args of [["--help"], ["gateway", "--help"], ["--version"]]) {
      assertEquals((await runPyclaw(args, { stateDir: dir })).code, 0, args.join(" "));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pyclaw completion bash offers the subcommands and options of the command typed so far", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-cli-basics-" });
  try {
    const script = await runPyclaw(["completion", "bash"], { stateDir: dir });
    assertEquals(script.code, 0);
    const file = join(dir, "pyclaw.bash");
    await Deno.writeTextFile(file, script.stdout);
    const complete = async (...words: string[]) => {
      const line = `source ${file}; COMP_WORDS=(pyclaw ${words.map((w) => `'${w}'`).join(" ")}); ` +
        `COMP_CWORD=${words.length}; _pyclaw; echo "\${COMPREPLY[*]}"`;
      const out = await new Deno.Command("bash", { args: ["-c", line], stdout: "piped" }).output();
      return new TextDecoder().decode(out.stdout).trim().split(" ");
    };
    assertEquals(await complete("gateway", "st"), ["status", "stop"]);
    assertEquals(await complete("sess"), ["sessions"]);
    assert((await complete("agent", "--")).includes("--session"));
    assert((await complete("--json", "config", "set", "--")).includes("--string"));

    const zsh = await runPyclaw(["completion", "zsh"], { stateDir: dir });
    assertMatch(zsh.stdout, /^#compdef pyclaw\n.*bashcompinit/s);
    const fish = await runPyclaw(["completion", "fish"], { stateDir: dir });
    assertMatch(fish.stdout, /complete -c pyclaw -n '__fish_use_subcommand' -a setup/);
    assertMatch(
      fish.stdout,
      /__fish_seen_subcommand_from token; and not __fish_seen_subcommand_from show rotate' -a rotate/,
    );
    const bad = await runPyclaw(["completion", "tcsh"], { stateDir: dir });
    assertEquals(bad.code, 2);
    assertMatch(bad.stderr, /Unknown shell: "tcsh"/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("colours appear only on a terminal, and never with NO_COLOR", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-cli-basics-" });
  try {
    await Deno.writeTextFile(join(dir, "pyclaw.json"), "{ gateway: { port: 9 } }");
    const piped = await runPyclaw(["config", "validate"], { stateDir: dir, env: { NO_COLOR: "" } });
    assertEquals(piped.code, 0);
    assert(!piped.stdout.includes(ESC), "colour codes in piped output");
    if (!TerminalSession.available()) return;
    const pyclaw = join(root, "scripts/pyclaw");
    {
      await using term = await TerminalSession.start(pyclaw, ["config", "validate"], {
        PYCLAW_STATE_DIR: dir,
      });
      await term.waitFor("EXIT=0");
      assert(
        (await term.screen({ escapes: true })).includes(`${ESC}32mValid`),
        "no colour on a terminal",
      );
    }
    {
      await using term = await TerminalSession.start(pyclaw, ["config", "validate"], {
        PYCLAW_STATE_DIR: dir,
        NO_COLOR: "1",
      });
      await term.waitFor("EXIT=0");
      assert(
        !(await term.screen({ escapes: true })).includes(`${ESC}32m`),
        "colour despite NO_COLOR",
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
