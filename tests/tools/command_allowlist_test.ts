import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { toolContext } from "../_helpers/tool_context.ts";
import { execTool } from "../../tools/exec.ts";
import { matchesAllowPattern } from "../../tools/_command_allowlist.ts";

const ws = "/home/u/.pyclaw/workspace";
const place = { workspaceDir: ws, cwd: `${ws}/src` };
const readers = ["cat *", "grep *", "ls *", "wc *", "git *"];

function vouched(command: string, patterns = readers): boolean {
  return matchesAllowPattern(command, patterns, place);
}

Deno.test("allow patterns vouch for plain commands inside the workspace", () => {
  assert(vouched("cat a.txt"));
  assert(vouched("cat *"));
  assert(vouched("cat 'two words.txt' lib/*.ts"));
  assert(vouched("grep -rn 'a;b' ."));
  assert(vouched("ls -la | wc -l"));
  assert(vouched("cat a.txt && wc -l a.txt || ls -a"));
  assert(vouched("git log HEAD~3 --oneline"));
  assert(vouched(`cat ${ws}/notes.md`));
  assert(vouched("grep -r x . 2>/dev/null"));
  assert(vouched("cat a.txt > copy.txt 2>&1"));
  assert(vouched("ls -a &"));
});

Deno.test("allow patterns never vouch for a chained command that is not allowed itself", () => {
  assert(!vouched("cat a.txt; rm -rf src"));
  assert(!vouched("cat a.txt && curl http://127.0.0.1/x"));
  assert(!vouched("ls || sh"));
  assert(!vouched("cat a.txt | sh"));
  assert(!vouched("cat a.txt |& sh"));
  assert(!vouched("ls & rm -rf ."));
  assert(!vouched("cat a.txt\nrm -rf ."));
  // A pattern that chains matches a command of its shape, part by part, and nothing longer.
  assert(matchesAllowPattern("ls | wc -l", ["ls | wc -l"], place));
  assert(matchesAllowPattern("ls src | sort", ["ls * | sort"], place));
  assert(!matchesAllowPattern("sort", ["ls * | sort"], place));
  assert(!matchesAllowPattern("ls src | sort | sh", ["ls * | *"], place));
  assert(!matchesAllowPattern("ls src && sh", ["ls * | *"], place));
  assert(!matchesAllowPattern("ls src | sort; rm -rf .", ["ls * | *"], place));
  // Patterns lose their quotes as commands do; a quoted `|` or `;` is a word, not an operator.
  assert(matchesAllowPattern(`sh -c "make test"`, ["sh -c 'make *'"], place));
  assert(!matchesAllowPattern("sh -c 'make x; rm -rf .' | sh", ["sh -c 'make *; *'"], place));
});

Deno.test("allow patterns never vouch for substitution, subshells or here-docs", () => {
  assert(!vouched("cat $(echo /etc/passwd)"));
  assert(!vouched('cat "$(id)"'));
  assert(!vouched("cat `id`"));
  assert(!vouched("cat <(id)"));
  assert(!vouched("cat >(tee x)"));
  assert(!vouched("(cat a.txt)"));
  assert(!vouched("cat <<EOF"));
  assert(!vouched("echo $((1+2))", ["echo *"]));
  assert(!vouched("cat a.txt # ; rm -rf ."));
});

Deno.test("allow patterns never vouch for environment tricks or expansions", () => {
  assert(!vouched("LD_PRELOAD=./evil.so cat a.txt"));
  assert(!vouched("PATH=. ls"));
  assert(!vouched("GIT_DIR=x git status"));
  assert(!vouched("cat $HOME/.pyclaw/gateway.token"));
  assert(!vouched("cat ${HOME}/x"));
  assert(!vouched('cat "$X"'));
  assert(!vouched("cat $'\\x2e\\x2e'/t"));
  assert(!vouched("cat {a,/etc/passwd}"));
});

Deno.test("allow patterns never vouch for paths or globs that reach outside the workspace", () => {
  // CVE-2026-28463: an allowed `cat *` / `grep *` reading the gateway token.
  assert(!vouched("cat ../gateway.token"));
  assert(!vouched("cat ../../gateway.token"));
  assert(!vouched("cat src/../../gateway.token"));
  assert(!vouched("cat ../*"));
  assert(!vouched("grep -r token ../.."));
  assert(!vouched("cat ~/.pyclaw/gateway.token"));
  assert(!vouched("cat ~root/.pyclaw/gateway.token"));
  assert(!vouched("grep --file=~/.pyclaw/gateway.token x"));
  assert(!vouched("cat /home/u/.pyclaw/gateway.token"));
  assert(!vouched("cat /home/u/.pyclaw/*"));
  assert(!vouched(`cat ${ws}*/x`));
  assert(!vouched("grep --file=/etc/shadow x"));
  assert(!vouched("grep -f/etc/shadow x"));
  assert(!vouched("cat .*/gateway.token"));
  assert(!vouched("cat [.]*/gateway.token"));
  assert(!vouched("cat a.txt > /etc/cron.d/x"));
  assert(!vouched("cat < ../gateway.token"));
  assert(!vouched("cat a.txt >& ../out"));
  assert(!vouched("cat a.txt 2> ../err"));
  assert(!vouched("cat a.txt 2>> /etc/x"));
  assert(!vouched("cat a.txt >| ../out"));
  assert(!vouched("cat a.txt <> ../gateway.token"));
  assert(!vouched("cat <<< ../gateway.token"));
  assert(vouched("cat a.txt >&3"));
  assert(vouched("cat a.txt 2>&1 > out.txt"));
  // Without a workspace to compare against, no absolute path is vouched for.
  assert(!matchesAllowPattern(`cat ${ws}/a`, readers));
});

Deno.test("allow patterns never vouch for a command made only of a redirection", () => {
  for (
    const command of [
      "cat x; >/tmp/victim.txt",
      "cat x; > /etc/passwd",
      "cat x ;>>../victim",
      "cat x & >/abs",
      "cat x &>../gateway.token",
      "cat x &>>../gateway.token",
      "cat x && >../v",
      "cat x || >>../v",
      "cat x | >../v",
      "cat x; 2>../v",
      "cat x; >&../v",
      "cat x; <../gateway.token",
      // Inside the workspace too: the empty command truncates a file no pattern shows.
      "cat x; >notes.txt",
      "cat x &>log.txt",
      ">notes.txt",
      ">notes.txt; cat x",
    ]
  ) {
    assert(!matchesAllowPattern(command, ["cat *"], place), command);
  }
  assert(vouched("cat x;"));
  assert(vouched("cat x &"));
});

Deno.test("exec under policy ask runs no redirection-only command unasked", async () => {
  await using t = await toolContext({
    config: { tools: { exec: { policy: "ask", sandbox: "none", allowPatterns: ["cat *"] } } },
  });
  const workspace = join(t.dir, "workspace");
  await Deno.mkdir(workspace);
  t.ctx.workspaceDir = workspace;
  const victim = join(t.dir, "victim.txt");
  await Deno.writeTextFile(victim, "keep me");
  await Deno.writeTextFile(join(workspace, "x"), "x");

  for (const command of [`cat x; >${victim}`, "cat x &>../victim.txt", "cat x; >>../victim.txt"]) {
    const result = await t.call(execTool, { command });
    assertMatch(result.content, /approval is required/, command);
    assertEquals(await Deno.readTextFile(victim), "keep me", command);
  }
});

Deno.test("exec under policy deny with cat */grep * cannot read the state dir's token", async () => {
  await using t = await toolContext({
    config: { tools: { exec: { policy: "deny", allowPatterns: ["cat *", "grep *"] } } },
  });
  // The real layout: the workspace sits inside the state dir beside gateway.token.
  const state = t.dir;
  const workspace = join(state, "workspace");
  await Deno.mkdir(workspace);
  await Deno.writeTextFile(join(state, "gateway.token"), "secret-token-value");
  await Deno.writeTextFile(join(workspace, "notes.txt"), "hello notes");
  t.ctx.workspaceDir = workspace;

  const ok = await t.call(execTool, { command: "cat notes.txt" });
  assertEquals(ok.isError, false);
  assertMatch(ok.content, /hello notes/);

  for (
    const command of [
      "cat ../gateway.token",
      "cat ../*",
      "grep -r secret ..",
      `cat ${state}/gateway.token`,
      `grep -r secret ${state}`,
      "cat $PWD/../gateway.token",
      "cat ~/../..$PWD/../gateway.token",
      "cat notes.txt; cat ../gateway.token",
    ]
  ) {
    const result = await t.call(execTool, { command });
    assertEquals(result.isError, true, command);
    assertMatch(result.content, /policy is deny and no allowPatterns entry matches/);
    assert(!result.content.includes("secret-token-value"), command);
  }
});
