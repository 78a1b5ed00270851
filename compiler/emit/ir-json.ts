// `--target ir`: the IR as canonical JSON. Parsing through the zod schema puts keys in schema
// order, so equal graphs give byte-identical text whatever order lowering built them in.
import { IrDocument } from "../ir/schema.ts";

export function emitIrJson(doc: IrDocument): string {
  return `${JSON.stringify(IrDocument.parse(doc), null, 2)}\n`;
}
