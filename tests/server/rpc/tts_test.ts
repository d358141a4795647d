import { assert, assertEquals } from "../../_helpers/assert.ts";
import { startInProcessGateway } from "../../_helpers/in_process_gateway.ts";

interface Voices {
  voices: { id: string; name: string; language: string }[];
  count: number;
  engine: string | null;
  reason?: string;
}

async function espeakVoiceIds(): Promise<string[] | undefined> {
  try {
    const out = await new Deno.Command("espeak-ng", { args: ["--voices"], stdout: "piped" })
      .output();
    return new TextDecoder().decode(out.stdout).split("\n").slice(1)
      .map((line) => line.trim().split(/\s+/)[1]).filter(Boolean);
  } catch {
    return undefined;
  }
}

Deno.test("tts.voices lists the system engine's voices, the same ones espeak-ng reports", async () => {
  await using gw = await startInProcessGateway();
  const client = await gw.connect();
  const result = await client.request("tts.voices");
  const expected = Deno.build.os === "linux" ? await espeakVoiceIds() : undefined;
  if (Deno.build.os === "linux" && !expected) {
    assertEquals(result.voices, []);
    assert(result.reason?.includes("espeak-ng"));
    return;
  }
  if (expected) {
    assertEquals(result.engine, "espeak-ng");
    assertEquals(result.voices.map((v) => v.id), expected);
    assert(result.voices.some((v) => v.language === "en-us"), "espeak-ng ships English (US)");
  }
  assertEquals(result.count, result.voices.length);
});
