/**
 * @module Limits the protocol's schemas enforce and the agent checks again, in a module of
 * their own: importing them from a method's contract would build that family's zod schemas
 * (and those it borrows) at every gateway start (issue 17).
 */

/** The longest user message accepted, in characters. */
export const MAX_MESSAGE_CHARS = 100_000;
