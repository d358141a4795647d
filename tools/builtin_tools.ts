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
import { processTool } from "./process/process_tool.ts";
import { readDocx } from "./read_docx.ts";
import { readPdf } from "./read_pdf.ts";
import { readPptx } from "./read_pptx.ts";
import { readXlsx } from "./read_xlsx.ts";
import { sendFile } from "./send_file.ts";
import { readSkillTool } from "./skills/read_skill.ts";
import { memoryGetTool } from "./memory/memory_get.ts";
import { memorySearchTool } from "./memory/memory_search.ts";
import type { Tool } from "./tool.ts";
import { webFetch } from "./web/web_fetch.ts";
import { webSearch } from "./web/web_search.ts";
import { cronTool } from "./cron_tool.ts";
import { messageTool } from "./message_tool.ts";
import { agentsListTool } from "./sessions/agents_list.ts";
import { sessionStatusTool } from "./sessions/session_status.ts";
import { sessionsListTool } from "./sessions/sessions_list.ts";
import { sessionsSendTool } from "./sessions/sessions_send.ts";
import { sessionsSpawnTool } from "./sessions/sessions_spawn.ts";
import { subagentsTool } from "./sessions/subagents.ts";

export const BUILTIN_TOOLS: readonly Tool[] = [
  readTool,
  writeTool,
  editTool,
  applyPatchTool,
  grepTool,
  findTool,
  lsTool,
  webFetch,
  webSearch,
  readPdf,
  readDocx,
  readXlsx,
  readPptx,
  sendFile,
  desktopScreenshot,
  browserTool,
  execTool,
  processTool,
  readSkillTool,
  planTool,
  cronTool,
  messageTool,
  sessionsListTool,
  sessionsSendTool,
  sessionStatusTool,
  agentsListTool,
  sessionsSpawnTool,
  subagentsTool,
  memorySearchTool,
  memoryGetTool,
];
