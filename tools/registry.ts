/** @module The tool pool: built-in tools plus dynamic sources (MCP servers), looked up by name. */

import { loadOnce } from "../core/lazy_module.ts";
import type { Tool } from "./tool.ts";

/** A provider of tools that may change over time (an MCP server's tool list). */
export type ToolSource = () => readonly Tool[];

/** The built-in tools, or what loads them: the gateway imports their modules on first use. */
export type BuiltinTools = readonly Tool[] | (() => Promise<readonly Tool[]>);

/** Every tool an agent can call. */
export class ToolRegistry {
  #builtins = new Map<string, Tool>();
  #sources = new Map<string, ToolSource>();
  /** Set while the built-ins given as a loader are still to load. */
  #ready: (() => Promise<void>) | undefined;

  constructor(builtins: BuiltinTools = []) {
    if (typeof builtins !== "function") { for (const tool of builtins) this.register(tool); }
    else {
      this.#ready = loadOnce(async () => {
        for (const tool of await builtins()) this.register(tool);
        this.#ready = undefined;
      });
    }
  }

  /**
   * Loads the built-ins given as a loader, once; {@linkcode list} and {@linkcode get} need it
   * first. Every tool module (and its parameter schemas) thus stays off the gateway's start-up.
   */
  ready(): Promise<void> {
    return this.#ready?.() ?? Promise.resolve();
  }

  /** Adds a built-in tool. @throws {Error} if the name is taken */
  register(tool: Tool): void {
    if (this.#builtins.has(tool.name)) throw new Error(`Tool registered twice: ${tool.name}`);
    this.#builtins.set(tool.name, tool);
  }

  /** Adds or replaces a named dynamic source. Returns a function that removes it. */
  addSource(name: string, source: ToolSource): () => void {
    this.#sources.set(name, source);
    return () => this.#sources.delete(name);
  }

  /** Every tool now: built-ins first, then each source's. @throws {Error} before `ready()` */
  list(): Tool[] {
    if (this.#ready) throw new Error("The built-in tools are not loaded: await ready() first");
    const tools = [...this.#builtins.values()];
    for (const source of this.#sources.values()) tools.push(...source());
    return tools;
  }

  /** The tool named `name`. @throws {Error} before `ready()` */
  get(name: string): Tool | undefined {
    if (this.#ready) throw new Error("The built-in tools are not loaded: await ready() first");
    return this.#builtins.get(name) ?? this.list().find((tool) => tool.name === name);
  }
}
