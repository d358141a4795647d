/**
 * @module Limits and names the protocol's schemas enforce and the agent checks again, in a
 * module of their own: importing them from a method's contract would build that family's zod
 * schemas (and those it borrows) at every gateway start (issue 17).
 */

/** The longest user message accepted, in characters. */
export const MAX_MESSAGE_CHARS = 100_000;

/**
 * The longest system prompt, in characters: of `chat.send` and of `agents.*.systemPrompt` in the
 * config alike, so what the config holds could also be sent.
 */
export const MAX_SYSTEM_PROMPT_CHARS = 100_000;

/** The roles a paired device may hold (what each may do: `agent/devices/device_roles.ts`). */
export const DEVICE_ROLES = ["viewer", "operator", "admin"] as const;

/** The most days `usage.get` may ask for (ten years): totals of older days need not be kept. */
export const USAGE_MAX_DAYS = 3650;

/** The most messages one `sessions.preview` page may ask for (`pyclaw sessions show --limit`). */
export const SESSIONS_PREVIEW_MAX_LIMIT = 10_000;

/** The most hits `memory.search` may ask for (`pyclaw memory search --limit`). */
export const MEMORY_SEARCH_MAX_LIMIT = 50;
