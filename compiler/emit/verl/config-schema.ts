// Validates Hydra overrides for `verl.trainer.main_ppo` against the generated key table of one
// verl version: unknown keys without `+`, `+` on a key the config already has (Hydra refuses to
// append over an existing key), value types, and enum domains. The effective config (override,
// else the YAML default, following `${...}` interpolations) feeds the batch-size rules in
// batch-rules.ts. Diagnostics are values (QLX7xxx); nothing here throws on user input.
import type { Span } from "../../../language/ast.ts";
import { diag, type Diagnostic } from "../../../language/diagnostics.ts";
import { VERL_ENUM_DOMAINS, VERL_SCHEMAS, type VerlVersion } from "./keys.ts";
import type { VerlKeySpec, VerlValueType } from "./schema/types.ts";

export type VerlScalar = string | number | boolean | null;
export type VerlValue = VerlScalar | readonly VerlScalar[];

/**
 * Overrides in command-line order: `key` is a dotted path, with a leading `+` for a key that
 * the trainer config does not declare (Hydra's append syntax).
 */
export type VerlOverrides = ReadonlyMap<string, VerlValue>;

function valueType(v: VerlValue): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "list";
  if (typeof v === "number") return Number.isInteger(v) ? "int" : "float";
  if (typeof v === "boolean") return "bool";
  return "str";
}

function accepts(spec: VerlKeySpec, v: VerlValue): boolean {
  if (v === null) return spec.nullable || spec.type === "any";
  const want: VerlValueType = spec.type;
  switch (want) {
    case "any":
      return true;
    case "int":
      return typeof v === "number" && Number.isInteger(v);
    case "float":
      return typeof v === "number" && Number.isFinite(v);
    case "bool":
      return typeof v === "boolean";
    case "str":
      return typeof v === "string";
    case "list":
      return Array.isArray(v);
    case "dict":
      return false;
  }
}

/** Levenshtein distance, for "did you mean" on a misspelt key. */
function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

export function closestVerlKey(version: VerlVersion, key: string): string | undefined {
  const keys = Object.keys(VERL_SCHEMAS[version]);
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of keys) {
    const d = editDistance(k, key);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  // A suggestion further away than a third of the key is noise, not a typo.
  return bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

/** A key under an open mapping of the config (e.g. `override_config: {}`) may be appended. */
function openParent(version: VerlVersion, key: string): string | undefined {
  const schema = VERL_SCHEMAS[version];
  const parts = key.split(".");
  for (let i = parts.length - 1; i > 0; i--) {
    const parent = parts.slice(0, i).join(".");
    if (schema[parent]?.type === "dict") return parent;
  }
  return undefined;
}

/** Checks keys, `+` prefixes, types and enum values of every override. */
export function validateVerlOverrides(
  version: VerlVersion,
  overrides: VerlOverrides,
  span: Span,
): Diagnostic[] {
  const schema = VERL_SCHEMAS[version];
  const domains = VERL_ENUM_DOMAINS[version];
  const out: Diagnostic[] = [];
  for (const [raw, value] of overrides) {
    const appended = raw.startsWith("+");
    const key = appended ? raw.slice(1) : raw;
    const spec = schema[key];
    if (appended) {
      if (spec !== undefined) out.push(diag("QLX7002", span, { key, version }));
      continue;
    }
    if (spec === undefined) {
      const suggestion = closestVerlKey(version, key);
      const parent = openParent(version, key);
      out.push(
        diag("QLX7001", span, {
          key,
          version,
          ...(suggestion !== undefined ? { suggestion } : {}),
          ...(parent !== undefined ? { openParent: parent } : {}),
        }),
      );
      continue;
    }
    if (!accepts(spec, value)) {
      out.push(diag("QLX7003", span, { key, want: spec.type, got: valueType(value) }));
      continue;
    }
    const domain = domains[key];
    if (domain !== undefined && typeof value === "string" && !domain.includes(value)) {
      out.push(diag("QLX7004", span, { key, value, allowed: domain }));
    }
  }
  return out;
}

/**
 * The value verl will see for `key`: the override, else the YAML default, following
 * `${...}` interpolations (an override of the target counts, as in OmegaConf).
 */
export function effectiveVerlValue(
  version: VerlVersion,
  overrides: VerlOverrides,
  key: string,
): VerlValue | undefined {
  const schema = VERL_SCHEMAS[version];
  const seen = new Set<string>();
  let current = key;
  while (!seen.has(current)) {
    seen.add(current);
    if (overrides.has(current)) return overrides.get(current);
    if (overrides.has(`+${current}`)) return overrides.get(`+${current}`);
    const spec = schema[current];
    if (spec === undefined) return undefined;
    if (spec.interpolates === undefined) {
      const d = spec.default;
      return typeof d === "object" && d !== null && !Array.isArray(d)
        ? undefined
        : (d as VerlValue);
    }
    current = spec.interpolates;
  }
  return undefined;
}
