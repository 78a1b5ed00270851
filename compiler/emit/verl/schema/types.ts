// The shape of a generated verl config key table (see scripts/gen-verl-schema.ts).

/** The value type verl reads from a key. `any`: the YAML gives no type and verl does not fix one. */
export type VerlValueType = "int" | "float" | "bool" | "str" | "list" | "dict" | "any";

export interface VerlKeySpec {
  readonly type: VerlValueType;
  /** `null` is a valid value (verl treats the key as optional). */
  readonly nullable: boolean;
  /** The YAML default (`${...}` interpolations kept as written; a non-empty mapping is never a leaf). */
  readonly default:
    string | number | boolean | null | readonly (string | number)[] | Record<string, never>;
  /** The key an `${...}` default points at; it takes that key's value unless overridden. */
  readonly interpolates?: string;
}

/** Dotted key path → spec, for every leaf of the trainer config of one verl version. */
export type VerlSchema = Readonly<Record<string, VerlKeySpec>>;
