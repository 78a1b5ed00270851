// The last parse of each file the server has seen, by path. The same text parses once (a check
// and the editor features share it, and an unchanged `use`d file is not parsed again on every
// keystroke); a changed text is re-parsed from the previous one with `reparse`, which re-parses
// only the edited block or assignment when it can (language/incremental.ts). That consumes the
// previous parse (the nodes after the edit move in place), which is safe because the store
// replaces a document's entry on every change: no one reads an older version's tree after it.
import type { ParseSource } from "../../compiler/index.ts";
import { diffText, reparse } from "../incremental.ts";
import { parse, type ParseResult } from "../index.ts";

export class ParseCache {
  private readonly last = new Map<
    string,
    { readonly text: string; readonly result: ParseResult }
  >();

  /** What `parse(text, path)` returns, computed from the path's previous parse where there is one. */
  readonly parse: ParseSource = (text, path) => {
    const previous = this.last.get(path);
    if (previous?.text === text) return previous.result;
    const result =
      previous === undefined
        ? parse(text, path)
        : reparse(previous.result, text, diffText(previous.text, text));
    this.last.set(path, { text, result });
    return result;
  };
}
