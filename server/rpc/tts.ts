/** @module `tts.voices`: the voices of the machine's own speech engine (`tts.speak` is not implemented, as the spec says). */

import { listVoices } from "../../agent/tts/voices.ts";
import { defineMethods } from "../method_table.ts";

export const ttsMethods = defineMethods({
  "tts.voices": {
    handler: () => listVoices(),
  },
});
