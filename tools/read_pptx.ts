/**
 * @module `read_pptx`: the text of each slide and its speaker notes, in the order the
 * presentation shows them (its slide list, not the part names, which reordering leaves behind).
 */

import { z } from "zod";
import {
  attributes,
  children,
  descendants,
  localName,
  OoxmlPackage,
  paragraphTexts,
  type XmlNode,
} from "./_ooxml.ts";
import { parsePageRange } from "./page_range.ts";
import { capText, DEFAULT_MAX_CHARS } from "./text_cap.ts";
import { readToolFile } from "./tool_paths.ts";
import { defineTool } from "./tool.ts";
import { wrapExternal } from "./external_content.ts";

const parameters = z.strictObject({
  path: z.string().min(1).describe("PPTX file, relative to the workspace"),
  slides: z.string().optional().describe('Slides to read, such as "1-3,7"; default all'),
  notes: z.boolean().default(true).describe("Include speaker notes"),
  maxChars: z.number().int().min(100).max(2_000_000).default(DEFAULT_MAX_CHARS),
});

const REL_SLIDE = /\/relationships\/slide$/;
const REL_NOTES = /\/relationships\/notesSlide$/;
/** Placeholders of a notes page that hold no notes: slide image, number, header, footer, date. */
const NOT_NOTES = new Set(["sldImg", "sldNum", "hdr", "ftr", "dt"]);

export const readPptx = defineTool({
  name: "read_pptx",
  group: "group:documents",
  description: "Extract the text of a PowerPoint (.pptx) presentation, slide by slide in show " +
    'order, with speaker notes. Slides are marked "--- Slide N ---".',
  parameters,
  async run({ path, slides, notes, maxChars }, ctx) {
    const { bytes } = await readToolFile(ctx, path);
    const pkg = await OoxmlPackage.open(bytes, path);
    const presentation = "ppt/presentation.xml";
    const tree = pkg.xml(presentation);
    if (!tree) throw new Error(`Not a PowerPoint presentation (no ${presentation}): ${path}`);
    const targets = new Map(
      pkg.relationships(presentation).filter((rel) => REL_SLIDE.test(rel.type))
        .map((rel) => [rel.id, rel.target]),
    );
    const order: string[] = [];
    for (const slideId of descendants(tree, "sldId")) {
      const relId = Object.entries(attributes(slideId)).find(([key]) => key.endsWith(":id"))?.[1];
      const target = relId ? targets.get(relId) : undefined;
      if (target && pkg.has(target)) order.push(target);
    }
    const wanted = parsePageRange(slides, order.length, "slide");
    const parts: string[] = [];
    const summary: { slide: number; hidden: boolean; notes: boolean }[] = [];
    for (const number of wanted) {
      ctx.signal.throwIfAborted();
      const part = order[number - 1];
      const slide = pkg.xml(part) ?? [];
      const root = slide.find((node) => localName(node) === "sld");
      const hidden = root ? attributes(root).show === "0" : false;
      let text = paragraphTexts(slide).join("\n");
      let notesText = "";
      if (notes) {
        const notesPart = pkg.relationships(part).find((rel) => REL_NOTES.test(rel.type))?.target;
        notesText = notesPart ? notesOf(pkg.xml(notesPart) ?? []) : "";
        if (notesText) text += `\n\nNotes:\n${notesText}`;
      }
      summary.push({ slide: number, hidden, notes: notesText !== "" });
      parts.push(`--- Slide ${number}${hidden ? " (hidden)" : ""} ---\n${text.trim()}`);
    }
    const capped = capText(parts.join("\n\n"), maxChars);
    return {
      content: wrapExternal(capped.text, { tool: "read_pptx", from: path }),
      data: { path, slideCount: order.length, slides: summary, truncated: capped.truncated },
    };
  },
});

/** The speaker notes of a notes slide: its text shapes, minus image and number placeholders. */
function notesOf(tree: XmlNode[]): string {
  const texts: string[] = [];
  for (const shape of descendants(tree, "sp")) {
    const placeholder = [...descendants(children(shape), "ph")][0];
    if (placeholder && NOT_NOTES.has(attributes(placeholder).type ?? "")) continue;
    texts.push(...paragraphTexts(children(shape)));
  }
  return texts.join("\n").trim();
}
