// A small TextMate tokenizer for testing the qlx grammar without Oniguruma: line by line, at
// each position the leftmost match among the active patterns wins (ties by pattern order),
// `include`s resolve in the repository, and a begin/end rule stays open across lines — the
// rules VS Code applies. The grammar's regexes stay in the syntax JavaScript and Oniguruma
// share, so this reads them as VS Code does; `npm --prefix editors/vscode run test:grammar`
// runs the scope assertions in test/grammar/*.test.qlx with the real engine as well.

interface Rule {
  readonly name?: string;
  readonly match?: string;
  readonly begin?: string;
  readonly end?: string;
  readonly include?: string;
  readonly patterns?: readonly Rule[];
}

export interface Grammar {
  readonly patterns: readonly Rule[];
  readonly repository: Readonly<Record<string, Rule>>;
}

export interface ScopedToken {
  readonly text: string;
  readonly scope: string;
  readonly start: number;
  readonly end: number;
}

function flatten(grammar: Grammar, rules: readonly Rule[]): Rule[] {
  return rules.flatMap((r) => {
    if (r.include !== undefined) {
      const target = grammar.repository[r.include.replace(/^#/, "")];
      if (target === undefined) throw new Error(`grammar: unknown include ${r.include}`);
      return flatten(grammar, [target]);
    }
    if (r.match === undefined && r.begin === undefined) return flatten(grammar, r.patterns ?? []);
    return [r];
  });
}

export function tokenize(grammar: Grammar, text: string): ScopedToken[] {
  const rules = flatten(grammar, grammar.patterns).map((rule) => ({
    rule,
    regex: new RegExp((rule.match ?? rule.begin)!, "g"),
  }));
  const out: ScopedToken[] = [];
  let open: { rule: Rule; start: number; end: RegExp } | undefined;
  let lineStart = 0;
  for (const line of text.split("\n")) {
    let pos = 0;
    while (pos <= line.length) {
      if (open !== undefined) {
        open.end.lastIndex = pos;
        const m = open.end.exec(line);
        if (m === null) break;
        pos = m.index + m[0].length;
        out.push({
          text: text.slice(open.start, lineStart + pos),
          scope: open.rule.name ?? "",
          start: open.start,
          end: lineStart + pos,
        });
        open = undefined;
        continue;
      }
      let best: { rule: Rule; m: RegExpExecArray } | undefined;
      for (const { rule, regex } of rules) {
        regex.lastIndex = pos;
        const m = regex.exec(line);
        if (m !== null && m[0].length > 0 && (best === undefined || m.index < best.m.index))
          best = { rule, m };
      }
      if (best === undefined) break;
      const start = best.m.index;
      pos = start + best.m[0].length;
      if (best.rule.begin !== undefined) {
        open = { rule: best.rule, start: lineStart + start, end: new RegExp(best.rule.end!, "g") };
        continue;
      }
      out.push({
        text: best.m[0],
        scope: best.rule.name ?? "",
        start: lineStart + start,
        end: lineStart + pos,
      });
    }
    lineStart += line.length + 1;
  }
  if (open !== undefined)
    out.push({
      text: text.slice(open.start),
      scope: open.rule.name ?? "",
      start: open.start,
      end: text.length,
    });
  return out;
}
