/**
 * @module The files that make the gateway a user service: a systemd user unit (Linux), a
 * launchd agent plist (macOS), a Task Scheduler task (Windows). Pure text from a description, so
 * tests check exactly what would be installed.
 */

/** The service manager of a platform. */
export type ServiceManager = "systemd" | "launchd" | "schtasks";

/** What the service runs, and with what environment. */
export interface ServiceSpec {
  /** Program and arguments: the gateway in the foreground. */
  command: string[];
  /** Variables the gateway needs (state dir, config path, PATH for tools). */
  env: Record<string, string>;
  workingDir: string;
  /** Where launchd writes the console output (systemd uses the journal). */
  logFile: string;
}

/** Names of the service on each platform. */
export const SERVICE_NAME = {
  systemd: "pyclaw-gateway.service",
  launchd: "ai.pyclaw.gateway",
  schtasks: "pyclaw-gateway",
} as const;

/** systemd quoting: double quotes, with backslash, quote, `$` and `%` escaped. */
function systemdQuote(value: string): string {
  const escaped = value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\$/g, "$$$$")
    .replace(/%/g, "%%");
  return `"${escaped}"`;
}

/** A systemd user unit: restarts on failure, starts with the user's session. */
export function systemdUnit(spec: ServiceSpec): string {
  const env = Object.entries(spec.env).map(([key, value]) =>
    `Environment=${systemdQuote(`${key}=${value}`)}`
  );
  return [
    "[Unit]",
    "Description=pyclaw gateway (personal AI gateway)",
    "Documentation=https://github.com/pyclaw/pyclaw",
    "After=network-online.target",
    "Wants=network-online.target",
    "",
    "[Service]",
    "Type=simple",
    `ExecStart=${spec.command.map(systemdQuote).join(" ")}`,
    // Not quoted: this setting takes the rest of the line as the path.
    `WorkingDirectory=${spec.workingDir.replace(/%/g, "%%")}`,
    ...env,
    "Restart=on-failure",
    "RestartSec=5",
    // The gateway stops cleanly on SIGTERM within 5 s; give it a little more.
    "TimeoutStopSec=15",
    "",
    "[Install]",
    "WantedBy=default.target",
    "",
  ].join("\n");
}

function xmlEscape(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;").replace(/'/g, "&apos;");
}

/** A launchd agent: runs at login, restarted when it exits with an error. */
export function launchdPlist(spec: ServiceSpec): string {
  const strings = (values: string[]) => values.map((v) => `    <string>${xmlEscape(v)}</string>`);
  const env = Object.entries(spec.env).flatMap(([key, value]) => [
    `    <key>${xmlEscape(key)}</key>`,
    `    <string>${xmlEscape(value)}</string>`,
  ]);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<plist version="1.0">',
    "<dict>",
    "  <key>Label</key>",
    `  <string>${SERVICE_NAME.launchd}</string>`,
    "  <key>ProgramArguments</key>",
    "  <array>",
    ...strings(spec.command),
    "  </array>",
    "  <key>EnvironmentVariables</key>",
    "  <dict>",
    ...env,
    "  </dict>",
    "  <key>WorkingDirectory</key>",
    `  <string>${xmlEscape(spec.workingDir)}</string>`,
    "  <key>RunAtLoad</key>",
    "  <true/>",
    "  <key>KeepAlive</key>",
    "  <dict>",
    "    <key>SuccessfulExit</key>",
    "    <false/>",
    "  </dict>",
    "  <key>StandardOutPath</key>",
    `  <string>${xmlEscape(spec.logFile)}</string>`,
    "  <key>StandardErrorPath</key>",
    `  <string>${xmlEscape(spec.logFile)}</string>`,
    "</dict>",
    "</plist>",
    "",
  ].join("\n");
}

/** Windows command-line quoting for one argument. */
function windowsQuote(value: string): string {
  if (value && !/[\s"]/.test(value)) return value;
  return `"${value.replace(/(\\*)"/g, '$1$1\\"').replace(/(\\+)$/, "$1$1")}"`;
}

/**
 * A Task Scheduler task (XML for `schtasks /Create /XML`): starts at logon, restarts on
 * failure, no time limit. Tasks cannot set environment variables, so the command runs through
 * `cmd /c set ...&& ...`.
 */
export function scheduledTaskXml(spec: ServiceSpec): string {
  const sets = Object.entries(spec.env).map(([key, value]) => `set "${key}=${value}"&& `).join("");
  const args = `/d /c ${sets}${spec.command.map(windowsQuote).join(" ")}`;
  return [
    '<?xml version="1.0" encoding="UTF-16"?>',
    '<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">',
    "  <RegistrationInfo>",
    "    <Description>pyclaw gateway (personal AI gateway)</Description>",
    "  </RegistrationInfo>",
    "  <Triggers>",
    "    <LogonTrigger><Enabled>true</Enabled></LogonTrigger>",
    "  </Triggers>",
    "  <Principals>",
    '    <Principal id="Author"><LogonType>InteractiveToken</LogonType><RunLevel>LeastPrivilege</RunLevel></Principal>',
    "  </Principals>",
    "  <Settings>",
    "    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>",
    "    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>",
    "    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>",
    "    <ExecutionTimeLimit>PT0S</ExecutionTimeLimit>",
    "    <RestartOnFailure><Interval>PT1M</Interval><Count>999</Count></RestartOnFailure>",
    "  </Settings>",
    '  <Actions Context="Author">',
    "    <Exec>",
    "      <Command>cmd.exe</Command>",
    `      <Arguments>${xmlEscape(args)}</Arguments>`,
    `      <WorkingDirectory>${xmlEscape(spec.workingDir)}</WorkingDirectory>`,
    "    </Exec>",
    "  </Actions>",
    "</Task>",
    "",
  ].join("\r\n");
}
