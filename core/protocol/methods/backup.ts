/** @module Contract of `backup.*`: export the state dir to a tar.gz, and list the exports. */

import { z } from "zod";
import { methods } from "../contract.ts";
import { isoTime, noParams } from "./_shared.ts";

export const backupContract = methods({
  "backup.export": {
    summary: "Write the state dir to `<state>/backups/*.tar.gz`",
    params: noParams,
    result: z.object({
      path: z.string(),
      files: z.array(z.string()),
      size: z.number(),
      createdAt: isoTime,
    }),
  },
  "backup.status": {
    summary: "The backups on disk and how many are kept",
    params: noParams,
    result: z.object({
      backups: z.array(z.object({ path: z.string(), size: z.number(), createdAt: isoTime })),
      count: z.number(),
      keep: z.number(),
    }),
  },
});
