/**
 * @module Real office documents written in tests: a PDF by hand (objects, content streams and a
 * byte-exact xref table), DOCX and PPTX as zips of their XML parts, XLSX through exceljs.
 */

import { strToU8, zipSync } from "fflate";

/** Options for {@linkcode buildPdf}. */
export interface PdfOptions {
  /** Adds a standard security handler with an unknown user password, as a locked file has. */
  encrypted?: boolean;
}

/** A valid PDF with one page per string, each showing that text in Helvetica. */
export function buildPdf(pages: string[], options: PdfOptions = {}): Uint8Array {
  const objects: string[] = [];
  const pageIds = pages.map((_, i) => 4 + i * 2);
  objects[1] = "<< /Type /Catalog /Pages 2 0 R >>";
  objects[2] = `<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(" ")}] ` +
    `/Count ${pages.length} >>`;
  objects[3] = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>";
  pages.forEach((text, i) => {
    const escaped = text.replace(/[\\()]/g, (c) => `\\${c}`);
    const stream = `BT /F1 18 Tf 72 720 Td (${escaped}) Tj ET`;
    objects[pageIds[i]] = "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] " +
      `/Resources << /Font << /F1 3 0 R >> >> /Contents ${pageIds[i] + 1} 0 R >>`;
    objects[pageIds[i] + 1] = `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`;
  });
  let trailerExtra = "";
  if (options.encrypted) {
    const id = objects.length;
    const hex = (seed: number) =>
      Array.from({ length: 32 }, (_, i) => ((i * 37 + seed) % 256).toString(16).padStart(2, "0"))
        .join("");
    objects[id] = `<< /Filter /Standard /V 1 /R 2 /O <${hex(11)}> /U <${hex(29)}> /P -44 >>`;
    trailerExtra = ` /Encrypt ${id} 0 R /ID [<${hex(3).slice(0, 32)}> <${hex(3).slice(0, 32)}>]`;
  }
  let body = "%PDF-1.4\n";
  const offsets: number[] = [];
  for (let id = 1; id < objects.length; id++) {
    offsets[id] = body.length;
    body += `${id} 0 obj\n${objects[id]}\nendobj\n`;
  }
  const xrefAt = body.length;
  body += `xref\n0 ${objects.length}\n0000000000 65535 f \n`;
  for (let id = 1; id < objects.length; id++) {
    body += `${String(offsets[id]).padStart(10, "0")} 00000 n \n`;
  }
  body += `trailer\n<< /Size ${objects.length} /Root 1 0 R${trailerExtra} >>\n` +
    `startxref\n${xrefAt}\n%%EOF\n`;
  return new TextEncoder().encode(body);
}

const XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';

/** A paragraph of a DOCX: plain, or a heading of level 1–3. */
export interface DocxParagraph {
  text: string;
  heading?: 1 | 2 | 3;
  bold?: boolean;
}

/** A minimal valid DOCX (WordprocessingML) with the given paragraphs. */
export function buildDocx(paragraphs: DocxParagraph[]): Uint8Array {
  const W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
  const body = paragraphs.map((p) => {
    const style = p.heading ? `<w:pPr><w:pStyle w:val="Heading${p.heading}"/></w:pPr>` : "";
    const run = p.bold ? "<w:rPr><w:b/></w:rPr>" : "";
    return `<w:p>${style}<w:r>${run}<w:t xml:space="preserve">${
      escapeXml(p.text)
    }</w:t></w:r></w:p>`;
  }).join("");
  const styles = [1, 2, 3].map((n) =>
    `<w:style w:type="paragraph" w:styleId="Heading${n}"><w:name w:val="heading ${n}"/></w:style>`
  ).join("");
  return zipSync({
    "[Content_Types].xml": strToU8(
      XML_HEAD +
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
        '<Default Extension="xml" ContentType="application/xml"/>' +
        '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>' +
        '<Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>' +
        "</Types>",
    ),
    "_rels/.rels": strToU8(
      XML_HEAD + rels([[
        "rId1",
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument",
        "word/document.xml",
      ]]),
    ),
    "word/_rels/document.xml.rels": strToU8(
      XML_HEAD + rels([[
        "rId1",
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles",
        "styles.xml",
      ]]),
    ),
    "word/styles.xml": strToU8(XML_HEAD + `<w:styles xmlns:w="${W}">${styles}</w:styles>`),
    "word/document.xml": strToU8(
      XML_HEAD + `<w:document xmlns:w="${W}"><w:body>${body}</w:body></w:document>`,
    ),
  });
}

/** One slide of a PPTX: text boxes, and optional speaker notes. */
export interface PptxSlide {
  texts: string[];
  notes?: string;
}

/** A minimal PPTX (PresentationML) whose slides list its text boxes; notes go in notes slides. */
export function buildPptx(slides: PptxSlide[]): Uint8Array {
  const P = 'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" ' +
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" ' +
    'xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"';
  const REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
  const shape = (text: string, id: number, placeholder?: string) =>
    `<p:sp><p:nvSpPr><p:cNvPr id="${id}" name="Text ${id}"/><p:cNvSpPr/>` +
    `<p:nvPr>${placeholder ? `<p:ph type="${placeholder}"/>` : ""}</p:nvPr></p:nvSpPr>` +
    `<p:spPr/><p:txBody><a:bodyPr/><a:p><a:r><a:t>${escapeXml(text)}</a:t></a:r></a:p>` +
    "</p:txBody></p:sp>";
  const tree = (body: string) =>
    `<p:cSld><p:spTree><p:nvGrpSpPr><p:cNvPr id="1" name=""/><p:cNvGrpSpPr/><p:nvPr/>` +
    `</p:nvGrpSpPr><p:grpSpPr/>${body}</p:spTree></p:cSld>`;
  const files: Record<string, Uint8Array> = {};
  const overrides: string[] = [];
  // Slide i is stored as slide<N-i>.xml, as after reordering in PowerPoint: readers must follow
  // the presentation's slide list, not the part names.
  const fileNumber = (i: number) => slides.length - i;
  slides.forEach((slide, i) => {
    const n = fileNumber(i);
    files[`ppt/slides/slide${n}.xml`] = strToU8(
      XML_HEAD +
        `<p:sld ${P}>${tree(slide.texts.map((t, j) => shape(t, j + 2)).join(""))}</p:sld>`,
    );
    overrides.push(
      `<Override PartName="/ppt/slides/slide${n}.xml" ContentType="application/vnd.openxmlformats-officedocument.presentationml.slide+xml"/>`,
    );
    const slideRels: [string, string, string][] = [];
    if (slide.notes !== undefined) {
      files[`ppt/notesSlides/notesSlide${n}.xml`] = strToU8(
        // A real notes page also carries the slide number, which is not part of the notes.
        XML_HEAD +
          `<p:notes ${P}>${tree(shape(String(i + 1), 2, "sldNum") + shape(slide.notes, 3))}` +
          "</p:notes>",
      );
      slideRels.push(["rId2", `${REL}/notesSlide`, `../notesSlides/notesSlide${n}.xml`]);
    }
    files[`ppt/slides/_rels/slide${n}.xml.rels`] = strToU8(XML_HEAD + rels(slideRels));
  });
  const ids = slides.map((_, i) => `<p:sldId id="${256 + i}" r:id="rId${i + 10}"/>`).join("");
  files["ppt/presentation.xml"] = strToU8(
    XML_HEAD + `<p:presentation ${P}><p:sldIdLst>${ids}</p:sldIdLst></p:presentation>`,
  );
  files["ppt/_rels/presentation.xml.rels"] = strToU8(
    XML_HEAD +
      rels(
        slides.map((_, i) => [`rId${i + 10}`, `${REL}/slide`, `slides/slide${fileNumber(i)}.xml`]),
      ),
  );
  files["_rels/.rels"] = strToU8(
    XML_HEAD + rels([["rId1", `${REL}/officeDocument`, "ppt/presentation.xml"]]),
  );
  files["[Content_Types].xml"] = strToU8(
    XML_HEAD +
      '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
      '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
      '<Default Extension="xml" ContentType="application/xml"/>' +
      '<Override PartName="/ppt/presentation.xml" ContentType="application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"/>' +
      overrides.join("") + "</Types>",
  );
  return zipSync(files);
}

/** A workbook written by exceljs: "Sales" with a formula column, and a second sheet "Notes". */
export async function buildXlsx(): Promise<Uint8Array> {
  const { default: ExcelJS } = await import("exceljs");
  const workbook = new ExcelJS.Workbook();
  const sales = workbook.addWorksheet("Sales");
  sales.addRow(["Item", "Qty", "Price", "Total"]);
  sales.addRow(["Apple", 3, 2, { formula: "B2*C2", result: 6 }]);
  sales.addRow(["Pear", 5, 4, { formula: "B3*C3", result: 20 }]);
  sales.addRow(["Sum", null, null, { formula: "SUM(D2:D3)", result: 26 }]);
  const notes = workbook.addWorksheet("Notes");
  notes.addRow(["Note"]);
  notes.addRow(["Pipes | and, commas"]);
  const buffer = await workbook.xlsx.writeBuffer();
  return new Uint8Array(buffer as ArrayBuffer);
}

function rels(entries: [string, string, string][]): string {
  return '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
    entries.map(([id, type, target]) =>
      `<Relationship Id="${id}" Type="${type}" Target="${target}"/>`
    ).join("") + "</Relationships>";
}

function escapeXml(text: string): string {
  return text.replace(
    /[<>&"]/g,
    (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" })[c]!,
  );
}
