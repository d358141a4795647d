/** @module `doctor.run`: the doctor's checks against the running gateway's config. */

import { z } from "zod";
import { runDoctor } from "../../agent/doctor/doctor.ts";
import { defineMethods } from "../method_table.ts";

export const doctorMethods = defineMethods({
  "doctor.run": {
    params: z.object({}).passthrough(),
    handler: (_params, ctx) =>
      runDoctor({
        configPath: ctx.configStore.path,
        config: ctx.config(),
        configWarnings: ctx.configStore.warnings,
        paths: ctx.gateway.paths,
        env: ctx.gateway.env,
        overrides: { bind: ctx.gateway.bindHost },
        activeAuth: ctx.gateway.auth,
        mcp: ctx.services.mcp,
      }),
  },
});
