/**
 * @module The tools every gateway registers by default (spec section 6, plus `exec`). Each
 * module is light to import; its heavy library loads on the tool's first call.
 */

import { browserTool } from "./browser/browser_tool.ts";
import { desktopScreenshot } from "./desktop_screenshot.ts";
import { execTool } from "./exec.ts";
import { applyPatchTool } from "./files/apply_patch.ts";
import { editTool } from "./files/edit.ts";
import { findTool } from "./files/find.ts";
import { grepTool } from "./files/grep.ts";
import { lsTool } from "./files/ls.ts";
import { readTool } from "./files/read.ts";
import { writeTool } from "./files/write.ts";
import { planTool } from "./plans/plan_tool.ts";
import { readDocx } from "./read_docx.ts";
import { readPdf } from "./read_pdf.ts";
import { readPptx } from "./read_pptx.ts";
import { readXlsx } from "./read_xlsx.ts";
import { sendFile } from "./send_file.ts";
import { readSkillTool } from "./skills/read_skill.ts";
import type { Tool } from "./tool.ts";

export const BUILTIN_TOOLS: readonly Tool[] = [
  readTool,
  writeTool,
  editTool,
  applyPatchTool,
  grepTool,
  findTool,
  lsTool,
  readPdf,
  readDocx,
  readXlsx,
  readPptx,
  sendFile,
  desktopScreenshot,
  browserTool,
  execTool,
  readSkillTool,
  planTool,
];
