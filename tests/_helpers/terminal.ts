/**
 * @module A real pseudo-terminal for interactive CLI tests, through tmux: start a command in a
 * detached session on a private server, type into it, and read the screen.
 */

/** A command running in a tmux pane. */
export class TerminalSession {
  #socket: string;

  private constructor(socket: string) {
    this.#socket = socket;
  }

  /** True when tmux is installed. */
  static available(): boolean {
    try {
      return new Deno.Command("tmux", { args: ["-V"], stdout: "null", stderr: "null" })
        .outputSync().success;
    } catch {
      return false;
    }
  }

  /** Starts `command args` in a 160×50 terminal with exactly `env` (plus PATH and HOME). */
  static async start(
    command: string,
    args: string[],
    env: Record<string, string>,
  ): Promise<TerminalSession> {
    const socket = `pyclaw-test-${crypto.randomUUID().slice(0, 8)}`;
    const vars = {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: Deno.env.get("HOME") ?? "/tmp",
      TERM: "xterm",
      ...env,
    };
    const quoted = [command, ...args].map(shellQuote).join(" ");
    const envText = Object.entries(vars).map(([k, v]) => `${k}=${shellQuote(v)}`).join(" ");
    // The pane stays after the command ends, showing its exit code.
    const line = `env -i ${envText} ${quoted}; echo EXIT=$?; sleep 600`;
    const session = new TerminalSession(socket);
    await session.#tmux("new-session", "-d", "-s", "t", "-x", "160", "-y", "50", line);
    return session;
  }

  /** Types `text` and Enter. */
  async type(text: string): Promise<void> {
    if (text) await this.#tmux("send-keys", "-t", "t", "-l", text);
    await this.#tmux("send-keys", "-t", "t", "Enter");
  }

  /** The screen and scrollback as text; with `escapes`, colours stay as ANSI sequences. */
  async screen(options: { escapes?: boolean } = {}): Promise<string> {
    const escapes = options.escapes ? ["-e"] : [];
    return await this.#tmux("capture-pane", "-p", "-J", ...escapes, "-t", "t", "-S", "-200");
  }

  /**
   * Waits until the screen shows `what`; returns the screen. The bound only ends a failure: a
   * step that spawns a process can take seconds on a loaded 2-core machine.
   */
  async waitFor(what: string | RegExp, timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = await this.screen();
      if (typeof what === "string" ? screen.includes(what) : what.test(screen)) return screen;
      if (Date.now() > deadline) {
        throw new Error(`Timed out waiting for ${what} on the terminal:\n${screen}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#tmux("kill-server").catch(() => {});
  }

  async #tmux(...args: string[]): Promise<string> {
    const output = await new Deno.Command("tmux", {
      args: ["-L", this.#socket, ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!output.success) {
      throw new Error(`tmux ${args[0]} failed: ${new TextDecoder().decode(output.stderr)}`);
    }
    return new TextDecoder().decode(output.stdout);
  }
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
