/**
 * @module Who can read the gateway's secrets: `gateway run` makes its state dir and token
 * owner-only, tightens a token file others can read (and logs it), and doctor warns, with the
 * fix, about a token or a secret-holding config that others can read.
 */

import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { PYCLAW, runPyclaw } from "../_helpers/cli.ts";

const IGNORE = Deno.build.os === "windows";

const modeOf = async (path: string) => (await Deno.stat(path)).mode! & 0o777;

/** Runs `gateway run` until it is ready, then stops it with SIGTERM. */
async function startAndStop(stateDir: string, home: string): Promise<void> {
  const child = new Deno.Command(PYCLAW, {
    args: ["gateway", "run", "--port", "0"],
    env: { PYCLAW_STATE_DIR: stateDir, NO_COLOR: "1", HOME: home },
    clearEnv: true,
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!out.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    out += value;
  }
  assertMatch(out, /^pyclaw gateway ready/);
  child.kill("SIGTERM");
  await reader.cancel();
  await child.status;
}

Deno.test({
  name:
    "gateway run makes a new state dir 0700 and its token 0600, and makes a loose token file owner-only with a log line",
  ignore: IGNORE,
  fn: async () => {
    const work = await Deno.makeTempDir({ prefix: "pyclaw-modes-" });
    const stateDir = join(work, "state");
    try {
      await startAndStop(stateDir, work);
      assertEquals(await modeOf(stateDir), 0o700);
      const token = join(stateDir, "gateway.token");
      assertEquals(await modeOf(token), 0o600);

      await Deno.chmod(token, 0o644);
      await startAndStop(stateDir, work);
      assertEquals(await modeOf(token), 0o600);
      const log = await Deno.readTextFile(join(stateDir, "logs", "pyclaw.log"));
      assertMatch(log, /the gateway token file was readable by others: made it owner-only/);
      assertMatch(log, /0644/);
    } finally {
      await Deno.remove(work, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "doctor warns about a token file or a secret-holding config that others can read, with the chmod",
  ignore: IGNORE,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "pyclaw-modes-" });
    const token = join(dir, "gateway.token");
    const config = join(dir, "pyclaw.json");
    const check = async () => {
      const run = await runPyclaw(["doctor", "--json"], { stateDir: dir });
      return JSON.parse(run.stdout).checks.find((c: { id: string }) =>
        c.id === "files.permissions"
      );
    };
    try {
      await Deno.writeTextFile(token, "t".repeat(43) + "\n", { mode: 0o644 });
      await Deno.chmod(token, 0o644);
      // A reference to a variable is no secret in the file.
      await Deno.writeTextFile(
        config,
        '{ models: { providers: { openai: { apiKey: "${KEY}" } } } }',
      );
      await Deno.chmod(config, 0o644);
      const tokenOnly = await check();
      assertEquals(tokenOnly.status, "warn");
      assertEquals(tokenOnly.message, `Others on this machine can read: ${token} (0644)`);
      assertEquals(tokenOnly.hint, `chmod 600 '${token}'`);

      await Deno.writeTextFile(
        config,
        '{ models: { providers: { openai: { apiKey: "sk-abc" } } } }',
      );
      const both = await check();
      assertMatch(both.message, new RegExp(`${config.replaceAll(".", "\\.")} \\(0644\\)`));
      assert(both.hint.includes(`chmod 600 '${config}'`), both.hint);

      await Deno.chmod(token, 0o600);
      await Deno.chmod(config, 0o600);
      assertEquals((await check()).status, "ok");
      // The token is in use all the same: doctor says so beside the warning.
      const doctor = await runPyclaw(["doctor"], { stateDir: dir });
      assertMatch(
        doctor.stdout,
        /Secret file permissions: The token, config and state dir are private/,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
