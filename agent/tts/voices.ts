/**
 * @module The speech voices this machine has, asked from its own engine: `espeak-ng --voices` on
 * Linux (and wherever it is installed), `say -v ?` on macOS, System.Speech through PowerShell on
 * Windows. When none answers, the list is empty and `reason` says why; voices are never made up.
 */

/** One voice. `id` is what the engine takes to select it. */
export interface Voice {
  id: string;
  name: string;
  language: string;
  gender?: string;
}

/** What `tts.voices` returns. */
export interface VoiceList {
  voices: Voice[];
  count: number;
  engine: string | null;
  reason?: string;
}

/** One way of asking an engine for its voices. */
export interface VoiceEngine {
  name: string;
  command: string;
  args: string[];
  parse(stdout: string): Voice[];
}

/** `espeak-ng --voices`: a header, then `Pty Language Age/Gender VoiceName File Other...`. */
export function parseEspeakVoices(stdout: string): Voice[] {
  const voices: Voice[] = [];
  for (const line of stdout.split("\n").slice(1)) {
    const m = line.trim().match(/^\d+\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)/);
    if (!m) continue;
    const gender = m[2].split("/")[1];
    voices.push({
      id: m[1],
      name: m[3].replace(/_/g, " "),
      language: m[1],
      ...(gender === "M" ? { gender: "male" } : gender === "F" ? { gender: "female" } : {}),
    });
  }
  return voices;
}

/** `say -v ?`: `Name   xx_YY    # sample sentence`; names may contain spaces. */
export function parseSayVoices(stdout: string): Voice[] {
  const voices: Voice[] = [];
  for (const line of stdout.split("\n")) {
    const m = line.match(/^(.+?)\s+([a-z]{2,3}[_-][A-Za-z0-9]+)\s+#/);
    if (m) voices.push({ id: m[1].trim(), name: m[1].trim(), language: m[2].replace("_", "-") });
  }
  return voices;
}

/** Lines of `Name|Culture|Gender` written by the PowerShell snippet below. */
export function parseWindowsVoices(stdout: string): Voice[] {
  return stdout.split(/\r?\n/).map((line) => line.split("|")).filter((p) => p.length === 3 && p[0])
    .map(([name, language, gender]) => ({
      id: name,
      name,
      language,
      ...(gender && gender !== "NotSet" ? { gender: gender.toLowerCase() } : {}),
    }));
}

const ESPEAK: VoiceEngine = {
  name: "espeak-ng",
  command: "espeak-ng",
  args: ["--voices"],
  parse: parseEspeakVoices,
};
const SAY: VoiceEngine = { name: "say", command: "say", args: ["-v", "?"], parse: parseSayVoices };
const WINDOWS: VoiceEngine = {
  name: "System.Speech",
  command: "powershell.exe",
  args: [
    "-NoProfile",
    "-NonInteractive",
    "-Command",
    "Add-Type -AssemblyName System.Speech; " +
    "(New-Object System.Speech.Synthesis.SpeechSynthesizer).GetInstalledVoices() | " +
    'ForEach-Object { $v = $_.VoiceInfo; "$($v.Name)|$($v.Culture)|$($v.Gender)" }',
  ],
  parse: parseWindowsVoices,
};

/** The engines to try on this platform, in order. */
export function platformEngines(os: typeof Deno.build.os = Deno.build.os): VoiceEngine[] {
  if (os === "darwin") return [SAY, ESPEAK];
  if (os === "windows") return [WINDOWS, ESPEAK];
  return [ESPEAK];
}

/** Asks each engine in turn; the first that runs gives the list. */
export async function listVoices(
  engines: VoiceEngine[] = platformEngines(),
  timeoutMs = 5_000,
): Promise<VoiceList> {
  const problems: string[] = [];
  for (const engine of engines) {
    try {
      const output = await new Deno.Command(engine.command, {
        args: engine.args,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(timeoutMs),
      }).output();
      if (!output.success) {
        problems.push(`${engine.command} exited with ${output.code}`);
        continue;
      }
      const voices = engine.parse(new TextDecoder().decode(output.stdout));
      return { voices, count: voices.length, engine: engine.name };
    } catch (error) {
      problems.push(
        error instanceof Deno.errors.NotFound
          ? `${engine.command} is not installed`
          : `${engine.command} failed: ${(error as Error).message}`,
      );
    }
  }
  return {
    voices: [],
    count: 0,
    engine: null,
    reason: `No speech engine found (${problems.join("; ")}); on Linux install espeak-ng`,
  };
}
