/**
 * @module `doctor.run`: the doctor's checks against the running gateway's config. The checks
 * (and what they pull in: backups, MCP, browser probes) load on the first run, not at start.
 */

import { defineMethods } from "../method_table.ts";

export const doctorMethods = defineMethods({
  "doctor.run": {
    handler: async (_params, ctx) => {
      const { runDoctor } = await import("../../agent/doctor/doctor.ts");
      return await runDoctor({
        configPath: ctx.configStore.path,
        config: ctx.config(),
        configWarnings: ctx.configStore.warnings,
        paths: ctx.gateway.paths,
        env: ctx.gateway.env,
        overrides: { bind: ctx.gateway.bindHost },
        activeAuth: ctx.gateway.auth,
        mcp: ctx.services.mcp,
      });
    },
  },
});
