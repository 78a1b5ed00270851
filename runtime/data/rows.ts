// The validation step every reader and writer shares: a parsed row becomes a TaskRecord or
// issues naming its fields, and ids must be unique within a file.

import type { DataIssue, RowLocation } from "./errors.ts";
import { validateRecord, type TaskRecord } from "./schema.ts";

export type RowResult =
  | { readonly ok: true; readonly record: TaskRecord; readonly location: RowLocation }
  | { readonly ok: false; readonly issues: readonly DataIssue[] };

/** Validates rows in file order; remembers ids to report duplicates. */
export class RowValidator {
  private readonly firstSeen = new Map<string, RowLocation>();

  check(value: unknown, location: RowLocation): RowResult {
    const result = validateRecord(value);
    if (!result.ok) {
      return {
        ok: false,
        issues: result.issues.map((i) => ({ location, field: i.field, message: i.message })),
      };
    }
    const earlier = this.firstSeen.get(result.record.id);
    if (earlier !== undefined) {
      const where = earlier.line !== undefined ? `line ${earlier.line}` : `row ${earlier.row}`;
      return {
        ok: false,
        issues: [
          {
            location,
            field: "id",
            message: `duplicate id "${result.record.id}" (first at ${where})`,
          },
        ],
      };
    }
    this.firstSeen.set(result.record.id, location);
    return { ok: true, record: result.record, location };
  }
}
