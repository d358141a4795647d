/**
 * @module Reading Office Open XML packages (a zip of XML parts): bounded unzip, ordered XML
 * parsing, relationships, and the text of DrawingML paragraphs. Used by `read_pptx`.
 */

import { posix } from "node:path";

/** One XML element of fast-xml-parser's ordered output. */
export type XmlNode = Record<string, unknown>;

const ATTRS = ":@";
const MAX_PART_BYTES = 64 * 1024 * 1024;
const MAX_TOTAL_BYTES = 256 * 1024 * 1024;

/** An opened package: its XML parts by name, parsed on demand. */
export class OoxmlPackage {
  #parts: Record<string, Uint8Array>;
  #parser: { parse(xml: string): unknown };

  private constructor(parts: Record<string, Uint8Array>, parser: { parse(xml: string): unknown }) {
    this.#parts = parts;
    this.#parser = parser;
  }

  /**
   * Unzips the XML parts of `bytes` (nothing else), refusing zip bombs.
   *
   * @throws {Error} when `bytes` is not a zip archive or expands too far
   */
  static async open(bytes: Uint8Array, shown: string): Promise<OoxmlPackage> {
    const [{ unzipSync }, { XMLParser }] = await Promise.all([
      import("fflate"),
      import("fast-xml-parser"),
    ]);
    let total = 0;
    let parts: Record<string, Uint8Array>;
    try {
      parts = unzipSync(bytes, {
        filter: (file) => {
          if (!/\.(xml|rels)$/i.test(file.name)) return false;
          total += file.originalSize;
          if (file.originalSize > MAX_PART_BYTES || total > MAX_TOTAL_BYTES) {
            throw new Error(`${file.name} expands to more than the limit`);
          }
          return true;
        },
      });
    } catch (error) {
      throw new Error(
        `Not a readable Office file (corrupt or not a zip): ${shown}: ${(error as Error).message}`,
      );
    }
    const parser = new XMLParser({
      preserveOrder: true,
      ignoreAttributes: false,
      attributeNamePrefix: "",
      trimValues: false,
      parseTagValue: false,
      parseAttributeValue: false,
    });
    return new OoxmlPackage(parts, parser);
  }

  has(name: string): boolean {
    return name in this.#parts;
  }

  /** The parsed part, or undefined when the package lacks it. */
  xml(name: string): XmlNode[] | undefined {
    const bytes = this.#parts[name];
    if (!bytes) return undefined;
    return this.#parser.parse(new TextDecoder().decode(bytes)) as XmlNode[];
  }

  /** The relationships of `part` (from `_rels/<part>.rels`), targets resolved to part names. */
  relationships(part: string): { id: string; type: string; target: string }[] {
    const dir = posix.dirname(part);
    const relsName = posix.join(dir, "_rels", `${posix.basename(part)}.rels`);
    const rels: { id: string; type: string; target: string }[] = [];
    for (const node of descendants(this.xml(relsName) ?? [], "Relationship")) {
      const attrs = attributes(node);
      if (attrs.TargetMode === "External" || !attrs.Target) continue;
      const target = attrs.Target.startsWith("/")
        ? attrs.Target.slice(1)
        : posix.normalize(posix.join(dir === "." ? "" : dir, attrs.Target));
      rels.push({ id: attrs.Id ?? "", type: attrs.Type ?? "", target });
    }
    return rels;
  }
}

/** The element's name without its namespace prefix (`p:sld` -> `sld`). */
export function localName(node: XmlNode): string | undefined {
  const tag = Object.keys(node).find((key) => key !== ATTRS);
  return tag?.slice(tag.indexOf(":") + 1);
}

export function children(node: XmlNode): XmlNode[] {
  const tag = Object.keys(node).find((key) => key !== ATTRS);
  const value = tag ? node[tag] : undefined;
  return Array.isArray(value) ? value as XmlNode[] : [];
}

export function attributes(node: XmlNode): Record<string, string> {
  return (node[ATTRS] ?? {}) as Record<string, string>;
}

/** Every element named `name` (local name) under `nodes`, in document order. */
export function* descendants(nodes: XmlNode[], name: string): Generator<XmlNode> {
  for (const node of nodes) {
    if (localName(node) === name) yield node;
    yield* descendants(children(node), name);
  }
}

/** The text of each DrawingML paragraph (`a:p`) under `nodes`, empty ones left out. */
export function paragraphTexts(nodes: XmlNode[]): string[] {
  const texts: string[] = [];
  for (const paragraph of descendants(nodes, "p")) {
    let text = "";
    const walk = (list: XmlNode[]) => {
      for (const node of list) {
        const name = localName(node);
        if (name === "t") {
          text += children(node).map((c) => String(c["#text"] ?? "")).join("");
        } else if (name === "br") text += "\n";
        else if (name !== "p") walk(children(node));
      }
    };
    walk(children(paragraph));
    if (text.trim()) texts.push(text);
  }
  return texts;
}
