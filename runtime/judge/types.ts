// The judge's contract with the rewards: a question, the policy's extracted answer and the
// gold answer in; a verdict or a failure record out. A failure is a value, never a score of
// 0: the reward passes it on and the metrics count it (DESIGN.md, "Rewards and metrics").

export interface EquivalenceQuery {
  readonly question: string;
  /** The policy's extracted answer (Table 6's "Answer 1"). */
  readonly predicted: string;
  /** The gold answer (Table 6's "Answer 2"). */
  readonly gold: string;
}

export type JudgeFailureReason =
  /** Every attempt ran past the per-request timeout. */
  | "timeout"
  /** The endpoint answered with an HTTP error (after retries, for 408/429/5xx). */
  | "http_error"
  /** The request never got an answer (connection refused, reset, DNS…). */
  | "network_error"
  /** The body was not JSON, or had no `choices[0].message.content` string. */
  | "malformed_response"
  /** The reply had no recognisable yes/no verdict. */
  | "no_verdict"
  /** The run's budget of judge requests was spent before this query could be asked. */
  | "budget_exhausted";

export interface JudgeFailure {
  readonly reason: JudgeFailureReason;
  /** What happened on the last attempt, for the log: status and body head, error message. */
  readonly detail: string;
  /** HTTP requests sent for this query (0 when the budget was already spent). */
  readonly attempts: number;
}

export type JudgeResult =
  | {
      readonly ok: true;
      readonly equivalent: boolean;
      /** Answered from the on-disk cache, without a request. */
      readonly cached: boolean;
      readonly attempts: number;
    }
  | { readonly ok: false; readonly failure: JudgeFailure };

/** What a reward needs from a judge; JudgeClient implements it. */
export interface EquivalenceJudge {
  judge(query: EquivalenceQuery): Promise<JudgeResult>;
}
