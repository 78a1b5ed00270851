// Where a dataset problem is: file, then line (JSONL) or row group and row (parquet), then
// field (the zod path). Readers yield DataIssue values so `qlx data check` can list them all;
// `readDataset` throws the first one as a DataError, whose message is the same text.

export interface RowLocation {
  readonly file: string;
  /** 1-based line of a JSONL file. */
  readonly line?: number;
  /** 0-based row group of a parquet file. */
  readonly rowGroup?: number;
  /** 0-based row of a parquet file, counted over the whole file. */
  readonly row?: number;
}

export interface DataIssue {
  readonly location: RowLocation;
  /** Dotted field path (`documents.3.text`); undefined when the row as a whole is wrong. */
  readonly field?: string;
  readonly message: string;
}

export function formatLocation(location: RowLocation): string {
  if (location.line !== undefined) return `${location.file}:${location.line}`;
  if (location.row !== undefined)
    return `${location.file}: row group ${location.rowGroup}, row ${location.row}`;
  return location.file;
}

export function formatIssue(issue: DataIssue): string {
  const field = issue.field === undefined || issue.field === "" ? "" : ` field \`${issue.field}\`:`;
  return `${formatLocation(issue.location)}:${field} ${issue.message}`;
}

export class DataError extends Error {
  constructor(readonly issue: DataIssue) {
    super(formatIssue(issue));
    this.name = "DataError";
  }
}
