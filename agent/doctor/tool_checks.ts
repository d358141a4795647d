/**
 * @module The doctor's checks of the built-in tools: the document libraries load (mammoth in its
 * `--unsafe-proto` subprocess, as `read_docx` runs it), a screenshot can be taken on this
 * platform, what the exec policy lets the agent do, and whether its commands are sandboxed.
 */

import { screenshotSupport } from "../../tools/desktop_screenshot.ts";
import { runDocxWorker } from "../../tools/read_docx.ts";
import { CommandSandbox } from "../../tools/sandbox/command_sandbox.ts";
import { type DoctorCheck, type DoctorInput, firstEntries } from "./doctor_types.ts";

/** Each document library, imported as its tool imports it. */
const LIBRARIES: [string, () => Promise<unknown>][] = [
  ["pdfjs-dist", () => import("pdfjs-dist/legacy/build/pdf.mjs")],
  ["exceljs", () => import("exceljs")],
  ["fflate", () => import("fflate")],
  ["fast-xml-parser", () => import("fast-xml-parser")],
  ["file-type", () => import("file-type")],
];

export async function checkDocumentLibraries(_input: DoctorInput): Promise<DoctorCheck> {
  const failed: string[] = [];
  for (const [name, load] of LIBRARIES) {
    await load().catch((error) => failed.push(`${name} (${(error as Error).message})`));
  }
  const probe = await runDocxWorker("probe", new Uint8Array()).catch((error) => ({
    ok: false as const,
    error: (error as Error).message,
  }));
  if (!probe.ok) failed.push(`mammoth (${"error" in probe ? probe.error : "did not load"})`);
  if (failed.length > 0) {
    return {
      id: "tools.documents",
      name: "Document tools",
      status: "fail",
      message: `Could not load: ${failed.join("; ")}`,
      hint: "Run 'npm ci' in the pyclaw folder to reinstall its libraries",
    };
  }
  return {
    id: "tools.documents",
    name: "Document tools",
    status: "ok",
    message: "read_pdf, read_docx, read_xlsx, read_pptx and send_file have their libraries",
  };
}

export async function checkScreenshot(input: DoctorInput): Promise<DoctorCheck> {
  const support = await screenshotSupport(input.env);
  return support.ok
    ? {
      id: "tools.screenshot",
      name: "Desktop screenshot",
      status: "ok",
      message: `desktop_screenshot uses ${support.message}`,
    }
    : {
      // A server without a desktop is normal: only this one tool is affected.
      id: "tools.screenshot",
      name: "Desktop screenshot",
      status: "warn",
      message: `desktop_screenshot is unavailable: ${support.message}`,
      hint: "Run the gateway in a desktop session (Linux: X11 with ImageMagick, or Wayland " +
        "with grim) to let the agent see the screen",
    };
}

export function checkExecPolicy(input: DoctorInput): Promise<DoctorCheck> {
  const exec = input.config?.tools.exec;
  if (!exec) {
    return Promise.resolve({
      id: "tools.exec",
      name: "Exec policy",
      status: "warn",
      message: "Unknown: the config could not be loaded",
    });
  }
  const patterns = exec.allowPatterns.length
    ? ` (${exec.allowPatterns.length} allow pattern(s) run without asking)`
    : "";
  return Promise.resolve(
    exec.policy === "allow"
      ? {
        id: "tools.exec",
        name: "Exec policy",
        status: "warn",
        message: "tools.exec.policy is allow: the agent runs any shell command without asking",
        hint: 'Set tools.exec.policy to "ask" to approve each command',
      }
      : {
        id: "tools.exec",
        name: "Exec policy",
        status: "ok",
        message: `tools.exec.policy is ${exec.policy}${patterns}`,
      },
  );
}

/**
 * Whether `exec`/`process` commands run in bubblewrap: ok when they do, warn when they run on the
 * host (by choice or because bubblewrap does not work here), fail when the config requires the
 * sandbox and it does not work (every command is then refused).
 */
export async function checkExecSandbox(input: DoctorInput): Promise<DoctorCheck> {
  const id = "tools.sandbox";
  const name = "Command sandbox";
  const exec = input.config?.tools.exec;
  if (!exec) {
    return { id, name, status: "warn", message: "Unknown: the config could not be loaded" };
  }
  // Each agent as the gateway runs it: the first entry with its id (a later one is ignored).
  const onHost = firstEntries(input.config?.agents.list ?? [])
    .filter((agent) => agent.tools?.exec?.sandbox === "none")
    .map((agent) => agent.id);
  if (exec.sandbox === "none") {
    return {
      id,
      name,
      status: "warn",
      message: "tools.exec.sandbox is none: commands run on the host with the gateway's rights",
      hint: 'Remove tools.exec.sandbox (or set it to "bwrap") to confine commands to the workspace',
    };
  }
  const availability = await new CommandSandbox({ hidden: [], env: input.env }).availability();
  if (!availability.available) {
    return exec.sandbox === "bwrap"
      ? {
        id,
        name,
        status: "fail",
        message:
          `tools.exec.sandbox is bwrap, but ${availability.reason}: every command is refused`,
        hint: "Install bubblewrap (Debian: apt install bubblewrap) or allow user namespaces",
      }
      : {
        id,
        name,
        status: "warn",
        message: `Commands run unsandboxed: ${availability.reason}`,
        hint: "Install bubblewrap (Debian: apt install bubblewrap) to confine commands",
      };
  }
  const network = exec.network ? "with network" : "no network";
  const exceptions = onHost.length ? `; on the host for agent(s) ${onHost.join(", ")}` : "";
  return {
    id,
    name,
    status: onHost.length ? "warn" : "ok",
    message: `Commands run in bubblewrap (${availability.version}): workspace read-write, ` +
      `state dir and home hidden, ${network}${exceptions}`,
  };
}
