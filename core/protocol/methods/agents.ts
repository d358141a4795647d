/** @module Contract of `agents.*`: the configured agents and the routing bindings. */

import { z } from "zod";
import { methods } from "../contract.ts";
import { noParams } from "./_shared.ts";

export const agentsContract = methods({
  "agents.list": {
    summary: "The configured agents",
    params: noParams,
    result: z.array(z.object({ id: z.string(), name: z.string(), model: z.string().nullable() })),
  },
  "agents.bindings": {
    summary: "Which agent answers which channel traffic",
    params: noParams,
    result: z.array(z.object({ pattern: z.string(), agentId: z.string() })),
  },
});
