/**
 * @module Questions on a terminal for `pyclaw setup`: a line with a default, a choice from a
 * list, yes/no, and a secret read without echo. Ctrl-C (or end of input) stops the program.
 */

import { bold, dim } from "./_style.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function write(text: string): void {
  Deno.stdout.writeSync(encoder.encode(text));
}

/** Reads stdin a line at a time, keeping what arrived past the line for the next read. */
class LineReader {
  #pending = "";
  #buffer = new Uint8Array(4096);

  async line(): Promise<string> {
    for (;;) {
      const end = this.#pending.search(/\r?\n/);
      if (end >= 0) {
        const line = this.#pending.slice(0, end);
        this.#pending = this.#pending.slice(end + (this.#pending[end] === "\r" ? 2 : 1));
        return line;
      }
      const n = await Deno.stdin.read(this.#buffer);
      if (n === null) {
        write("\n");
        throw new PromptClosed();
      }
      this.#pending += decoder.decode(this.#buffer.subarray(0, n), { stream: true });
    }
  }

  /** Reads keys one by one with echo off, printing `*` for each. */
  async secret(): Promise<string> {
    Deno.stdin.setRaw(true);
    let value = "";
    try {
      for (;;) {
        const n = await Deno.stdin.read(this.#buffer);
        if (n === null) throw new PromptClosed();
        for (const char of decoder.decode(this.#buffer.subarray(0, n))) {
          if (char === "\r" || char === "\n") {
            write("\n");
            return value;
          }
          if (char === "\x03" || char === "\x04") throw new PromptClosed();
          if (char === "\x7f" || char === "\b") {
            if (value) {
              value = value.slice(0, -1);
              write("\b \b");
            }
          } else if (char >= " ") {
            value += char;
            write("*");
          }
        }
      }
    } finally {
      Deno.stdin.setRaw(false);
    }
  }
}

/** The person left (Ctrl-C or end of input) before answering. */
export class PromptClosed extends Error {
  constructor() {
    super("Setup cancelled");
  }
}

/** Asks questions on the terminal. */
export class Prompter {
  #reader = new LineReader();

  /** A line of text; Enter keeps `fallback`. */
  async text(question: string, fallback?: string): Promise<string> {
    const hint = fallback ? dim(` [${fallback}]`) : "";
    write(`${bold("?")} ${question}${hint} `);
    const answer = (await this.#reader.line()).trim();
    return answer || fallback || "";
  }

  /** A line of text that must not be empty and must pass `check` (which returns a problem). */
  async required(
    question: string,
    fallback?: string,
    check?: (value: string) => string | undefined,
  ): Promise<string> {
    for (;;) {
      const value = await this.text(question, fallback);
      const problem = value ? check?.(value) : "An answer is required";
      if (!problem) return value;
      write(`  ${problem}\n`);
    }
  }

  /** A secret, not echoed; Enter keeps `fallback` (shown masked by the caller's hint). */
  async secret(question: string, hint?: string): Promise<string> {
    write(`${bold("?")} ${question}${hint ? dim(` [${hint}]`) : ""} `);
    return (await this.#reader.secret()).trim();
  }

  /** One of `choices`, by number or by value; Enter keeps `fallback`. */
  async choose<T extends string>(
    question: string,
    choices: readonly { value: T; label: string }[],
    fallback?: T,
  ): Promise<T> {
    write(`${bold("?")} ${question}\n`);
    choices.forEach((choice, i) => write(`  ${i + 1}) ${choice.label}\n`));
    for (;;) {
      const answer = await this.text("Choose", fallback);
      const byNumber = choices[Number(answer) - 1];
      const found = byNumber ?? choices.find((choice) => choice.value === answer);
      if (found) return found.value;
      write(`  Answer with a number from 1 to ${choices.length}\n`);
    }
  }

  /** Yes or no; Enter keeps `fallback`. */
  async confirm(question: string, fallback: boolean): Promise<boolean> {
    for (;;) {
      const answer = (await this.text(`${question} ${fallback ? "(Y/n)" : "(y/N)"}`)).toLowerCase();
      if (!answer) return fallback;
      if (["y", "yes"].includes(answer)) return true;
      if (["n", "no"].includes(answer)) return false;
    }
  }
}
