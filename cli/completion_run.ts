/**
 * @module Completion scripts built from the command tree itself, so every command and option
 * that exists is offered and nothing else. zsh reuses the bash script through bashcompinit.
 */

import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import { fail } from "./_output.ts";

interface Node {
  /** Space-separated command path, "" for the root. */
  path: string;
  description: string;
  subcommands: { name: string; description: string }[];
  options: { flags: string[]; description: string }[];
}

function walk(command: CommandUnknownOpts, path = ""): Node[] {
  const visible = command.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden);
  const node: Node = {
    path,
    description: command.description(),
    subcommands: visible.map((c) => ({ name: c.name(), description: c.description() })),
    options: [
      ...command.options.filter((o) => !o.hidden).map((o) => ({
        flags: [o.long, o.short].filter((f): f is string => Boolean(f)),
        description: o.description,
      })),
      { flags: ["--help"], description: "show help" },
    ],
  };
  return [
    node,
    ...visible.flatMap((c) => walk(c, path ? `${path} ${c.name()}` : c.name())),
  ];
}

function shellWords(words: string[]): string {
  return words.join(" ").replace(/'/g, "");
}

/** bash: the command path so far picks the words to offer. */
export function bashCompletion(root: CommandUnknownOpts): string {
  const nodes = walk(root);
  const known = nodes.map((n) => n.path).filter(Boolean);
  const cases = nodes.map((n) =>
    `    '${n.path}') words='${
      shellWords([...n.subcommands.map((s) => s.name), ...n.options.flatMap((o) => o.flags)])
    }' ;;`
  );
  return `# pyclaw completion for bash (pyclaw completion bash)
_pyclaw() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" word words="" i
  local known='|${known.join("|")}|'
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    [[ "$word" == -* ]] && continue
    if [[ "$known" == *"|\${path:+$path }$word|"* ]]; then path="\${path:+$path }$word"; fi
  done
  case "$path" in
${cases.join("\n")}
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _pyclaw pyclaw
`;
}

/** zsh: the bash function through bashcompinit, which zsh ships. */
export function zshCompletion(root: CommandUnknownOpts): string {
  return `#compdef pyclaw
# pyclaw completion for zsh (pyclaw completion zsh)
autoload -U +X bashcompinit && bashcompinit
${bashCompletion(root).split("\n").slice(1).join("\n")}`;
}

function fishQuote(text: string): string {
  return `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/** fish: one `complete` line per subcommand and option, gated on the command path. */
export function fishCompletion(root: CommandUnknownOpts): string {
  const lines = ["# pyclaw completion for fish (pyclaw completion fish)", "complete -c pyclaw -f"];
  for (const node of walk(root)) {
    const words = node.path ? node.path.split(" ") : [];
    const children = node.subcommands.map((s) => s.name).join(" ");
    // fish has no notion of a command path: require each word of it, and none of the children.
    const condition = [
      words.length === 0
        ? "__fish_use_subcommand"
        : words.map((w) => `__fish_seen_subcommand_from ${w}`).join("; and "),
      ...(words.length && children ? [`not __fish_seen_subcommand_from ${children}`] : []),
    ].join("; and ");
    for (const sub of node.subcommands) {
      lines.push(
        `complete -c pyclaw -n ${fishQuote(condition)} -a ${sub.name} -d ${
          fishQuote(sub.description.slice(0, 80))
        }`,
      );
    }
    for (const option of node.options) {
      const long = option.flags.find((f) => f.startsWith("--"))?.slice(2);
      const short = option.flags.find((f) => /^-[^-]/.test(f))?.slice(1);
      if (!long) continue;
      lines.push(
        `complete -c pyclaw -n ${fishQuote(condition)} -l ${long}${
          short ? ` -s ${short}` : ""
        } -d ${fishQuote(option.description.slice(0, 80))}`,
      );
    }
  }
  return lines.join("\n") + "\n";
}

export function printCompletion(shell: string, root: CommandUnknownOpts): void {
  const script = shell === "bash"
    ? bashCompletion(root)
    : shell === "zsh"
    ? zshCompletion(root)
    : shell === "fish"
    ? fishCompletion(root)
    : fail(new Error(`Unknown shell: "${shell}" (bash, zsh or fish)`), 2);
  Deno.stdout.writeSync(new TextEncoder().encode(script));
}
