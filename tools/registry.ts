/** @module The tool pool: built-in tools plus dynamic sources (MCP servers), looked up by name. */

import type { Tool } from "./tool.ts";

/** A provider of tools that may change over time (an MCP server's tool list). */
export type ToolSource = () => readonly Tool[];

/** Every tool an agent can call. */
export class ToolRegistry {
  #builtins = new Map<string, Tool>();
  #sources = new Map<string, ToolSource>();

  constructor(builtins: readonly Tool[] = []) {
    for (const tool of builtins) this.register(tool);
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

  /** Every tool now: built-ins first, then each source's. */
  list(): Tool[] {
    const tools = [...this.#builtins.values()];
    for (const source of this.#sources.values()) tools.push(...source());
    return tools;
  }

  get(name: string): Tool | undefined {
    return this.#builtins.get(name) ?? this.list().find((tool) => tool.name === name);
  }
}
