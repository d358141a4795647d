import { assert, assertEquals } from "../../_helpers/assert.ts";
import {
  listVoices,
  parseEspeakVoices,
  parseSayVoices,
  parseWindowsVoices,
} from "../../../agent/tts/voices.ts";

Deno.test("parseSayVoices reads names with spaces and their languages", () => {
  const out = "Alex                en_US    # Most people recognize me by my voice.\n" +
    "Bad News            en_US    # The light you see at the end of the tunnel\n" +
    "Amélie              fr_CA    # Bonjour, je m'appelle Amélie.\n";
  assertEquals(parseSayVoices(out).map((v) => [v.id, v.language]), [
    ["Alex", "en-US"],
    ["Bad News", "en-US"],
    ["Amélie", "fr-CA"],
  ]);
});

Deno.test("parseWindowsVoices reads Name|Culture|Gender lines", () => {
  assertEquals(parseWindowsVoices("Microsoft Zira Desktop|en-US|Female\r\n\r\n"), [
    {
      id: "Microsoft Zira Desktop",
      name: "Microsoft Zira Desktop",
      language: "en-US",
      gender: "female",
    },
  ]);
});

Deno.test("listVoices reports no engine with a reason instead of inventing voices", async () => {
  const result = await listVoices([{
    name: "missing",
    command: "pyclaw-no-such-speech-engine",
    args: [],
    parse: parseEspeakVoices,
  }]);
  assertEquals(result.voices, []);
  assertEquals(result.engine, null);
  assert(result.reason?.includes("pyclaw-no-such-speech-engine is not installed"));
});
