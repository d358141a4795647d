/**
 * @module `cli/program.ts`: which errors end in one `Error:` line, what that line names, the
 * stack trace `PYCLAW_DEBUG=1` brings back, and option ranges taken from the methods' contracts.
 */

import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { runPyclaw } from "../_helpers/cli.ts";
import { buildProgram, isSystemError } from "../../cli/program.ts";
import { sessionsContract } from "../../core/protocol/methods/sessions.ts";
import { memoryContract } from "../../core/protocol/methods/memory.ts";
import { MEMORY_SEARCH_MAX_LIMIT, SESSIONS_PREVIEW_MAX_LIMIT } from "../../core/protocol/limits.ts";

Deno.test("isSystemError: the user's machine refusing something, not the runtime's errors that point to a bug", () => {
  const users = [
    new Deno.errors.NotFound("x"),
    new Deno.errors.PermissionDenied("x"),
    new Deno.errors.NotADirectory("x"),
    new Deno.errors.IsADirectory("x"),
    new Deno.errors.AlreadyExists("x"),
    new Deno.errors.AddrInUse("x"),
    new Deno.errors.ConnectionRefused("x"),
  ];
  for (const error of users) assert(isSystemError(error), error.name);
  const bugs = [
    new Deno.errors.BadResource("x"),
    new Deno.errors.Busy("x"),
    new Deno.errors.InvalidData("x"),
    new Deno.errors.Interrupted("x"),
    new Deno.errors.NotCapable("x"),
    new Deno.errors.WouldBlock("x"),
    new Error("x"),
    new TypeError("x"),
  ];
  for (const error of bugs) assert(!isSystemError(error), error.name);
  // A full disk is a plain Error from the runtime, with the OS's code.
  let full: unknown;
  try {
    Deno.writeTextFileSync("/dev/full", "x");
  } catch (error) {
    full = error;
  }
  if (full) assert(isSystemError(full), String(full));
});

Deno.test("pyclaw with a state dir that is a file names it and PYCLAW_STATE_DIR, in one line with exit 1", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-cli-program-" });
  try {
    const file = join(dir, "state-file");
    await Deno.writeTextFile(file, "");
    for (const args of [["sessions", "list"], ["memory", "status"], ["cron", "list"]]) {
      const run = await runPyclaw(args, { stateDir: file });
      assertEquals(run.code, 1, `${args.join(" ")}: ${run.stderr}`);
      assertEquals(
        run.stderr,
        `Error: The state dir ${file} (PYCLAW_STATE_DIR) is not a directory: point ` +
          "PYCLAW_STATE_DIR at a folder, or move the file away\n",
      );
    }
    const below = await runPyclaw(["agents", "list"], { stateDir: join(file, "sub") });
    assertEquals(below.code, 1);
    assertEquals(
      below.stderr,
      `Error: The state dir ${join(file, "sub")} (PYCLAW_STATE_DIR) cannot be used: a folder on ` +
        "its path is a file\n",
    );
    // The doctor reports it among its findings rather than refusing to run.
    const doctor = await runPyclaw(["doctor", "--json"], { stateDir: file });
    const report = JSON.parse(doctor.stdout);
    assertEquals(
      report.checks.find((c: { id: string }) => c.id === "state.writable")?.status,
      "fail",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pyclaw with PYCLAW_DEBUG=1 prints the stack trace before the one Error line", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-cli-program-" });
  try {
    const file = join(dir, "state-file");
    await Deno.writeTextFile(file, "");
    const plain = await runPyclaw(["sessions", "list"], { stateDir: file });
    assert(!plain.stderr.includes("    at "), plain.stderr);
    const debug = await runPyclaw(["sessions", "list"], {
      stateDir: file,
      env: { PYCLAW_DEBUG: "1" },
    });
    assertEquals(debug.code, 1);
    assertMatch(debug.stderr, /^Error: The state dir .*\n {4}at .*program\.ts/m);
    assertMatch(debug.stderr, /\nError: The state dir .* is not a directory: .*\n$/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** The parser of `--limit` on `pyclaw GROUP COMMAND`. */
function limitParser(group: string, command: string): (value: string) => unknown {
  const option = buildProgram().commands.find((c) => c.name() === group)?.commands
    .find((c) => c.name() === command)?.options.find((o) => o.long === "--limit");
  assert(option?.parseArg, `${group} ${command} --limit`);
  return (value) => option.parseArg!(value, undefined as never);
}

Deno.test("sessions show and memory search take as --limit exactly what their methods accept", () => {
  const cases = [
    {
      parse: limitParser("sessions", "show"),
      max: SESSIONS_PREVIEW_MAX_LIMIT,
      accepts: (limit: number) =>
        sessionsContract["sessions.preview"].params.safeParse({ path: "x.jsonl", limit }).success,
    },
    {
      parse: limitParser("memory", "search"),
      max: MEMORY_SEARCH_MAX_LIMIT,
      accepts: (limit: number) =>
        memoryContract["memory.search"].params.safeParse({ query: "x", limit }).success,
    },
  ];
  for (const { parse, max, accepts } of cases) {
    for (const limit of [0, 1, max, max + 1]) {
      let parsed = true;
      try {
        parse(String(limit));
      } catch {
        parsed = false;
      }
      assertEquals(parsed, accepts(limit), `--limit ${limit}`);
    }
  }
});
