/**
 * @module The methods the spec lists as registered but not implemented; they answer
 * NOT_IMPLEMENTED. Apart from the catalogue so the dispatcher knows them without loading it.
 */

export const NOT_IMPLEMENTED_METHODS = [
  "tts.speak",
  "wizard.start",
  "wizard.step",
  "push.send",
  "voicewake.status",
] as const;
