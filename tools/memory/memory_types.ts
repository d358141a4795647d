/** @module The memory service as the `memory_search` and `memory_get` tools see it. */

/** Where a hit came from. */
export type MemoryHitSource = "memory" | "sessions";

/** One search hit: a chunk of a memory file or of a past session. */
export interface MemoryHit {
  /** Pass to `memory_get` for the text around the hit: `MEMORY.md#L3-L9`. */
  id: string;
  /** `MEMORY.md`, `memory/...md` (relative to the workspace) or `sessions/<id>.jsonl`. */
  path: string;
  source: MemoryHitSource;
  startLine: number;
  endLine: number;
  /** 0-1, higher is better. */
  score: number;
  snippet: string;
  /** Sessions: which one, and when the chunk's first message was written. */
  sessionId?: string;
  time?: string;
}

/** What a search answers. */
export interface MemorySearchResult {
  results: MemoryHit[];
  /** `text` (FTS5 only) or `hybrid` (FTS5 and vectors). */
  mode: "text" | "hybrid";
  /** The embedding model used, in hybrid mode. */
  embedding?: { provider: string; model: string };
  /** True when `memorySearch.enabled` is false. */
  disabled?: boolean;
  /** Why the search fell back to full text (the embedding provider failed). */
  warning?: string;
}

/** What `memory_get` reads: a hit's id, or a file and a line range. */
export interface MemoryGetRequest {
  id?: string;
  path?: string;
  /** First line, 1-based. @default 1 */
  from?: number;
  /** How many lines. @default 200 */
  lines?: number;
}

/** Lines of a memory file or a session, as text. */
export interface MemoryGetResult {
  path: string;
  source: MemoryHitSource;
  from: number;
  to: number;
  /** Lines in the file (messages' lines for a session). */
  totalLines: number;
  text: string;
}

/** How a search is narrowed. */
export interface MemorySearchOptions {
  /** Most hits. @default agents.defaults.memorySearch.query.maxResults */
  maxResults?: number;
  /**
   * Sessions whose transcripts are not searched, by id (the one asking, whose turns are in
   * context). @default none: every session is searched
   */
  excludeSessions?: readonly string[];
  /** Ends the search early (an embedding request in flight included). @default never */
  signal?: AbortSignal;
}

/** The memory service (`ToolServices.memory`). */
export interface MemoryBackend {
  search(
    agentId: string,
    query: string,
    options?: MemorySearchOptions,
  ): Promise<MemorySearchResult>;
  get(agentId: string, request: MemoryGetRequest): Promise<MemoryGetResult>;
}
