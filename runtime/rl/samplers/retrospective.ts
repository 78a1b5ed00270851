// Retrospective sampling `hard(pass_rate < x)` between stages (QwenLong-L1's difficulty-aware
// retrospective sampling, paper §4.1): the samples the previous stage found hard — pass rate
// satisfying the comparison the file wrote (`< x`, `<= x`, ...) — are carried into the next stage, keeping only those that fit the next
// stage's input/output limits ("applying difficulty filtering … using the input-output length
// settings of the subsequent stage"). A sample's output need is its reference output length
// when known; samples without one are judged by input length alone.

export interface RetrospectiveItem {
  readonly index: number;
  readonly passRate: number;
  readonly inputTokens: number;
  readonly outputTokens?: number;
}

export interface StageLengthLimits {
  readonly maxInputTokens: number;
  readonly maxOutputTokens: number;
}

export interface RetrospectiveResult {
  /** Carried dataset indices, ascending. */
  readonly carried: number[];
  readonly tooEasy: number;
  readonly tooLong: number;
}

/** `isHard`: the file's comparison on a pass rate, e.g. `(r) => r < 0.5` for `hard(pass_rate < 0.5)`. */
export function retrospectiveCarryOver(
  items: readonly RetrospectiveItem[],
  isHard: (passRate: number) => boolean,
  next: StageLengthLimits,
): RetrospectiveResult {
  const carried: number[] = [];
  let tooEasy = 0;
  let tooLong = 0;
  for (const it of items) {
    if (!(it.passRate >= 0 && it.passRate <= 1)) {
      throw new Error(
        `retrospective: sample ${it.index} has pass rate ${it.passRate}, outside [0, 1]`,
      );
    }
    if (!isHard(it.passRate)) tooEasy++;
    else if (it.inputTokens > next.maxInputTokens || (it.outputTokens ?? 0) > next.maxOutputTokens)
      tooLong++;
    else carried.push(it.index);
  }
  carried.sort((a, b) => a - b);
  return { carried, tooEasy, tooLong };
}
