/**
 * @module `read_xlsx`: cells of an Excel workbook as a markdown table or CSV, through exceljs
 * (loaded on first use). Formulas show their computed results, as Excel saved them.
 */

import { z } from "zod";
import { readToolFile } from "./tool_paths.ts";
import { capText, DEFAULT_MAX_CHARS } from "./text_cap.ts";
import { defineTool } from "./tool.ts";
import { type CellRange, formatCell, parseCellRange } from "./_xlsx_cells.ts";
import { wrapExternal } from "./external_content.ts";

const parameters = z.strictObject({
  path: z.string().min(1).describe("XLSX file, relative to the workspace"),
  sheet: z.union([z.string().min(1), z.number().int().positive()]).optional()
    .describe("Sheet name or 1-based index; default every sheet"),
  range: z.string().optional().describe('Cells such as "A1:D20", "B:C" or "2:10"; default all'),
  format: z.enum(["markdown", "csv"]).default("markdown"),
  maxRows: z.number().int().positive().max(100_000).default(1_000)
    .describe("Most rows per sheet"),
  maxChars: z.number().int().min(100).max(2_000_000).default(DEFAULT_MAX_CHARS),
});

export const readXlsx = defineTool({
  name: "read_xlsx",
  group: "group:documents",
  description: "Read cells of an Excel (.xlsx) workbook as a markdown table or CSV. Choose a " +
    "sheet and a range; formulas show their results.",
  parameters,
  async run({ path, sheet, range, format, maxRows, maxChars }, ctx) {
    const { bytes } = await readToolFile(ctx, path);
    const { default: ExcelJS } = await import("exceljs");
    const workbook = new ExcelJS.Workbook();
    try {
      await workbook.xlsx.load(bytes.buffer as ArrayBuffer);
    } catch (error) {
      throw new Error(
        `Not a readable XLSX (corrupt or not a workbook): ${path}: ${(error as Error).message}`,
      );
    }
    const names = workbook.worksheets.map((ws) => ws.name);
    const selected = sheet === undefined ? workbook.worksheets : [pickSheet(workbook, sheet)];
    const wanted = range === undefined ? undefined : parseCellRange(range);
    const parts: string[] = [];
    const sheets: { name: string; rows: number; columns: number; truncatedRows: boolean }[] = [];
    for (const worksheet of selected) {
      ctx.signal.throwIfAborted();
      const area: CellRange = {
        top: wanted?.top ?? 1,
        left: wanted?.left ?? 1,
        bottom: wanted?.bottom ?? worksheet.rowCount,
        right: wanted?.right ?? worksheet.columnCount,
      };
      const bottom = Math.min(area.bottom, area.top + maxRows - 1);
      const rows: string[][] = [];
      for (let r = area.top; r <= bottom; r++) {
        const row = worksheet.getRow(r);
        const cells: string[] = [];
        for (let c = area.left; c <= area.right; c++) cells.push(formatCell(row.getCell(c).value));
        rows.push(cells);
      }
      const truncatedRows = bottom < area.bottom;
      sheets.push({
        name: worksheet.name,
        rows: rows.length,
        columns: Math.max(0, area.right - area.left + 1),
        truncatedRows,
      });
      const table = format === "csv" ? toCsv(rows) : toMarkdown(rows);
      const more = truncatedRows ? `\n[${area.bottom - bottom} more row(s) not shown]` : "";
      parts.push(`## Sheet: ${worksheet.name}\n\n${table || "(empty)"}${more}`);
    }
    const capped = capText(parts.join("\n\n"), maxChars);
    return {
      content: wrapExternal(capped.text, { tool: "read_xlsx", from: path }),
      data: { path, sheetNames: names, sheets, format, truncated: capped.truncated },
    };
  },
});

type Workbook = import("exceljs").Workbook;

function pickSheet(workbook: Workbook, sheet: string | number) {
  const found = typeof sheet === "number"
    ? workbook.worksheets[sheet - 1]
    : workbook.worksheets.find((ws) => ws.name === sheet) ??
      workbook.worksheets.find((ws) => ws.name.toLowerCase() === sheet.toLowerCase());
  if (!found) {
    const names = workbook.worksheets.map((ws) => JSON.stringify(ws.name)).join(", ");
    throw new Error(`Sheet not found: ${JSON.stringify(sheet)} (the workbook has ${names})`);
  }
  return found;
}

function toMarkdown(rows: string[][]): string {
  if (rows.length === 0 || rows[0].length === 0) return "";
  const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\r?\n/g, "<br>");
  const line = (cells: string[]) => `| ${cells.map(cell).join(" | ")} |`;
  return [line(rows[0]), line(rows[0].map(() => "---")), ...rows.slice(1).map(line)].join("\n");
}

function toCsv(rows: string[][]): string {
  const cell = (text: string) => /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  return rows.map((cells) => cells.map(cell).join(",")).join("\n");
}
