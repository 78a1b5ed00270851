// Hover: built-ins from the table (signature, units, default, range, paper location, doc);
// a reference shows its definition's head; a token count its value in tokens.
import type { Hover } from "vscode-languageserver";
import type { ParsedDocument } from "./documents.ts";
import { toRange } from "./convert.ts";
import {
  describeBlock,
  describeField,
  describeFunction,
  describeParam,
  describeTokenCount,
} from "./describe.ts";
import { occurrenceAt } from "./file-index.ts";
import { findDefinitions } from "./navigation.ts";

export function hover(
  doc: ParsedDocument,
  offset: number,
  world: () => ParsedDocument[],
): Hover | null {
  const count = doc.index.tokenCounts.find((t) => t.span.start <= offset && offset <= t.span.end);
  if (count !== undefined)
    return {
      contents: { kind: "markdown", value: describeTokenCount(count.text, count.value) },
      range: toRange(count.span),
    };
  const occ = occurrenceAt(doc.index, offset);
  if (occ === undefined) return null;
  const markdown = (value: string): Hover => ({
    contents: { kind: "markdown", value },
    range: toRange(occ.ident.span),
  });
  switch (occ.kind) {
    case "block":
      return markdown(describeBlock(occ.spec));
    case "field":
      return markdown(describeField(occ.spec));
    case "fn":
      return markdown(describeFunction(occ.spec));
    case "param":
      return markdown(describeParam(occ.spec, occ.fn));
    case "enum":
      return markdown(
        [
          `\`\`\`qlx\n${occ.ident.name}\n\`\`\``,
          `one of ${occ.values.map((v) => `\`${v}\``).join(" | ")}`,
          occ.doc,
        ]
          .filter((x) => x !== "")
          .join("\n\n"),
      );
    case "std":
      return markdown(
        `\`\`\`qlx\n(${occ.value.kind}) ${occ.value.path}\n\`\`\`\n\n${occ.value.doc}\n\n\`\`\`text\n${occ.value.text}\n\`\`\``,
      );
    case "decl":
      return markdown(`\`\`\`qlx\n(${occ.decl}) ${occ.ident.name}\n\`\`\``);
    case "ref": {
      const defs = findDefinitions(world(), occ.ident.name, occ.to);
      if (defs.length === 0) return null;
      return markdown(
        defs
          .map(
            (d) =>
              `\`\`\`qlx\n(${d.decl}) ${d.head}\n\`\`\`\ndeclared at line ${d.ident.span.line}`,
          )
          .join("\n\n"),
      );
    }
  }
}
