/** @module `logs.tail`: the last lines of the gateway's log file. */

import { type LogRecord, readLastLines } from "../../core/logger.ts";
import { defineMethods } from "../method_table.ts";

export const logsMethods = defineMethods({
  "logs.tail": {
    handler: async ({ limit, json, localTime }, ctx) => {
      const path = ctx.gateway.paths.logFile;
      const raw = await readLastLines(path, limit);
      const lines = json ? raw : raw.map((line) => formatLine(line, localTime));
      return { lines, count: lines.length, path };
    },
  },
});

function formatLine(line: string, localTime: boolean): string {
  let record: LogRecord;
  try {
    record = JSON.parse(line);
  } catch {
    return line;
  }
  const { time, level, msg, ...fields } = record;
  const when = localTime ? new Date(time).toLocaleString() : time;
  const rest = Object.entries(fields).map(([k, v]) =>
    `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`
  );
  return [when, String(level).toUpperCase(), msg, ...rest].join(" ");
}
