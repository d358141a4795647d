import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertRejects } from "../_helpers/assert.ts";
import { buildDocx, buildPdf, buildPptx, buildXlsx } from "../_helpers/documents.ts";
import { toolContext } from "../_helpers/tool_context.ts";
import { readDocx } from "../../tools/read_docx.ts";
import { readPdf } from "../../tools/read_pdf.ts";
import { readPptx } from "../../tools/read_pptx.ts";
import { readXlsx } from "../../tools/read_xlsx.ts";
import { unwrapExternal } from "../_helpers/external.ts";

Deno.test("read_pdf extracts every page, a page range, and caps characters", async () => {
  await using t = await toolContext();
  await Deno.writeFile(
    join(t.dir, "report.pdf"),
    buildPdf(["Alpha page one", "Beta (page) two", `Gamma page three ${"and more ".repeat(12)}`]),
  );
  const all = await t.call(readPdf, { path: "report.pdf" });
  assertMatch(all.content, /--- Page 1 ---\nAlpha page one/);
  assertMatch(all.content, /--- Page 2 ---\nBeta \(page\) two/);
  assertMatch(all.content, /--- Page 3 ---\nGamma page three/);
  assertEquals((all.data as { pageCount: number }).pageCount, 3);

  const some = await t.call(readPdf, { path: "report.pdf", pages: "2-3" });
  assert(!some.content.includes("Alpha"), some.content);
  assertMatch(some.content, /Beta[\s\S]*Gamma/);
  assertEquals((some.data as { pages: number[] }).pages, [2, 3]);

  const capped = await t.call(readPdf, { path: "report.pdf", maxChars: 100 });
  assertMatch(capped.content, /\[Truncated: showing 100 of \d+ characters/);
  assertEquals((capped.data as { truncated: boolean }).truncated, true);

  await assertRejects(
    () => t.call(readPdf, { path: "report.pdf", pages: "4" }),
    Error,
    "out of range",
  );
  await assertRejects(
    () => t.call(readPdf, { path: "report.pdf", pages: "x" }),
    Error,
    "Invalid page range",
  );
});

Deno.test("read_pdf gives a clear error for an encrypted and for a corrupt file", async () => {
  await using t = await toolContext();
  await Deno.writeFile(join(t.dir, "locked.pdf"), buildPdf(["Secret"], { encrypted: true }));
  await assertRejects(
    () => t.call(readPdf, { path: "locked.pdf" }),
    Error,
    "The PDF is encrypted and needs a password: locked.pdf",
  );
  await assertRejects(
    () => t.call(readPdf, { path: "locked.pdf", password: "guess" }),
    Error,
    "Wrong password for the encrypted PDF",
  );
  const good = buildPdf(["Fine"]);
  await Deno.writeFile(join(t.dir, "broken.pdf"), good.slice(0, 60));
  await assertRejects(
    () => t.call(readPdf, { path: "broken.pdf" }),
    Error,
    "Not a readable PDF (corrupt or not a PDF): broken.pdf",
  );
  await assertRejects(() => t.call(readPdf, { path: "missing.pdf" }), Error, "File not found");
});

Deno.test("read_docx returns markdown with headings and plain text, through the subprocess", async () => {
  await using t = await toolContext();
  await Deno.writeFile(
    join(t.dir, "memo.docx"),
    buildDocx([
      { text: "Quarterly memo", heading: 1 },
      { text: "Important", bold: true },
      { text: "Numbers <up> & costs down" },
    ]),
  );
  const markdown = await t.call(readDocx, { path: "memo.docx" });
  assertMatch(unwrapExternal(markdown.content, "read_docx"), /^# Quarterly memo/);
  assertMatch(markdown.content, /__Important__/);
  assertMatch(markdown.content, /Numbers <up> & costs down/);
  const text = await t.call(readDocx, { path: "memo.docx", format: "text" });
  assertEquals(
    unwrapExternal(text.content),
    "Quarterly memo\n\nImportant\n\nNumbers <up> & costs down",
  );
  // The gateway process itself keeps __proto__ disabled; only the worker has it.
  assertEquals(({} as Record<string, unknown>).__proto__, undefined);
});

Deno.test("read_docx markdown gives the document's text as written, without markdown escapes", async () => {
  await using t = await toolContext();
  const line = "BLUE-HERON-42 costs $1.50 (net) + tax! See [a] {b} #tag snake_case a*b C:\\dir";
  await Deno.writeFile(
    join(t.dir, "codes.docx"),
    buildDocx([{ text: "Code list", heading: 2 }, { text: line }, { text: "Key", bold: true }]),
  );
  const markdown = unwrapExternal(
    (await t.call(readDocx, { path: "codes.docx" })).content,
    "read_docx",
  );
  assertEquals(markdown, `## Code list\n\n${line}\n\n__Key__`);
});

Deno.test("read_docx refuses a file that is not a DOCX", async () => {
  await using t = await toolContext();
  await Deno.writeTextFile(join(t.dir, "fake.docx"), "just text");
  await assertRejects(() => t.call(readDocx, { path: "fake.docx" }), Error, "Not a DOCX file");
  await Deno.writeFile(join(t.dir, "zip.docx"), buildPptx([{ texts: ["x"] }]));
  await assertRejects(
    () => t.call(readDocx, { path: "zip.docx" }),
    Error,
    "Could not read the DOCX",
  );
});

Deno.test("read_xlsx shows formula results as markdown, CSV, by sheet and range", async () => {
  await using t = await toolContext();
  await Deno.writeFile(join(t.dir, "book.xlsx"), await buildXlsx());
  const all = await t.call(readXlsx, { path: "book.xlsx" });
  assertMatch(
    all.content,
    /## Sheet: Sales\n\n\| Item \| Qty \| Price \| Total \|\n\| --- \| --- \| --- \| --- \|/,
  );
  assertMatch(all.content, /\| Apple \| 3 \| 2 \| 6 \|/);
  assert(all.content.includes("| Sum |  |  | 26 |"), all.content);
  assertMatch(all.content, /## Sheet: Notes[\s\S]*Pipes \\\| and, commas/);
  assertEquals((all.data as { sheetNames: string[] }).sheetNames, ["Sales", "Notes"]);

  const csv = await t.call(readXlsx, { path: "book.xlsx", sheet: "Notes", format: "csv" });
  assertEquals(unwrapExternal(csv.content), '## Sheet: Notes\n\nNote\n"Pipes | and, commas"');

  const range = await t.call(readXlsx, {
    path: "book.xlsx",
    sheet: 1,
    range: "C2:D3",
    format: "csv",
  });
  assertEquals(unwrapExternal(range.content), "## Sheet: Sales\n\n2,6\n4,20");

  const rows = await t.call(readXlsx, {
    path: "book.xlsx",
    sheet: "sales",
    maxRows: 2,
    format: "csv",
  });
  assertMatch(rows.content, /Item,Qty,Price,Total\nApple,3,2,6\n\[2 more row\(s\) not shown\]/);

  await assertRejects(
    () => t.call(readXlsx, { path: "book.xlsx", sheet: "Nope" }),
    Error,
    'Sheet not found: "Nope" (the workbook has "Sales", "Notes")',
  );
  await assertRejects(
    () => t.call(readXlsx, { path: "book.xlsx", range: "D3:A1" }),
    Error,
    "Invalid cell range",
  );
  await Deno.writeTextFile(join(t.dir, "bad.xlsx"), "not a workbook");
  await assertRejects(() => t.call(readXlsx, { path: "bad.xlsx" }), Error, "Not a readable XLSX");
});

Deno.test("read_pptx gives slide text and notes in show order", async () => {
  await using t = await toolContext();
  await Deno.writeFile(
    join(t.dir, "deck.pptx"),
    buildPptx([
      { texts: ["Welcome", "Agenda for today"], notes: "Greet the audience" },
      { texts: ["Results"] },
      { texts: ["Questions?"], notes: "Leave ten minutes" },
    ]),
  );
  const deck = await t.call(readPptx, { path: "deck.pptx" });
  assertEquals(
    unwrapExternal(deck.content, "read_pptx"),
    "--- Slide 1 ---\nWelcome\nAgenda for today\n\nNotes:\nGreet the audience\n\n" +
      "--- Slide 2 ---\nResults\n\n" +
      "--- Slide 3 ---\nQuestions?\n\nNotes:\nLeave ten minutes",
  );
  assertEquals((deck.data as { slideCount: number }).slideCount, 3);
  const last = await t.call(readPptx, { path: "deck.pptx", slides: "3", notes: false });
  assertEquals(unwrapExternal(last.content), "--- Slide 3 ---\nQuestions?");
  await assertRejects(
    () => t.call(readPptx, { path: "deck.pptx", slides: "4" }),
    Error,
    "Slide 4 is out of range",
  );
  await Deno.writeFile(join(t.dir, "memo.pptx"), buildDocx([{ text: "not slides" }]));
  await assertRejects(
    () => t.call(readPptx, { path: "memo.pptx" }),
    Error,
    "Not a PowerPoint presentation",
  );
  await Deno.writeTextFile(join(t.dir, "junk.pptx"), "junk");
  await assertRejects(
    () => t.call(readPptx, { path: "junk.pptx" }),
    Error,
    "Not a readable Office file",
  );
});
