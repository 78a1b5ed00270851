// The policy model's shape (shared spec between the engine and generation/checkpoint code).

export interface ModelConfig {
  readonly vocab: number;
  readonly dim: number;
  readonly layers: number;
  readonly heads: number;
  /** Hidden width of the SwiGLU feed-forward; default: the multiple of 32 ≥ 8·dim/3. */
  readonly ffn: number;
  /** Longest sequence (prompt + generation) the model is built for. */
  readonly context: number;
  readonly ropeTheta: number;
  readonly normEps: number;
}

export type ModelConfigInput = Pick<ModelConfig, "vocab" | "dim" | "layers" | "heads" | "context"> &
  Partial<Pick<ModelConfig, "ffn" | "ropeTheta" | "normEps">>;

/** 8·dim/3 rounded up to a multiple of 32 (the LLaMA SwiGLU width, kept GEMM-friendly). */
export function defaultFfn(dim: number): number {
  return Math.ceil((8 * dim) / 3 / 32) * 32;
}

/** Fills defaults and checks the invariants the forward graph relies on. */
export function modelConfig(input: ModelConfigInput): ModelConfig {
  const config: ModelConfig = {
    ffn: defaultFfn(input.dim),
    ropeTheta: 10000,
    normEps: 1e-5,
    ...input,
  };
  const positive = ["vocab", "dim", "layers", "heads", "ffn", "context"] as const;
  for (const key of positive) {
    const v = config[key];
    if (!Number.isInteger(v) || v <= 0)
      throw new RangeError(`ModelConfig.${key} must be a positive integer, got ${v}`);
  }
  if (config.dim % config.heads !== 0) {
    throw new RangeError(`ModelConfig.dim ${config.dim} is not divisible by heads ${config.heads}`);
  }
  if ((config.dim / config.heads) % 2 !== 0) {
    throw new RangeError(
      `ModelConfig: head dim ${config.dim / config.heads} must be even for rotary embeddings`,
    );
  }
  if (!(config.ropeTheta > 0) || !(config.normEps > 0)) {
    throw new RangeError("ModelConfig.ropeTheta and normEps must be positive");
  }
  return config;
}

export function headDim(config: ModelConfig): number {
  return config.dim / config.heads;
}
