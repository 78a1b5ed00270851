// The target syntax of DESIGN.md as one file, shared by the parser, formatter and fuzz tests.
export const EXAMPLE = `use "common.qlx"

// The QwenLong-L1.5 recipe, abridged.
experiment qwenlong_l15 {
  seed = 7
  model policy { init = "Qwen/Qwen3-30B-A3B-Thinking-2507", context = 256K }

  tasks {
    multiple_choice { data = "data/mc.jsonl", reward = choice_accuracy }
    doc_multihop { data = "d.jsonl", reward = max(contains, judge) }
  }
  judge { endpoint = env("QLX_JUDGE_URL"), model = "gpt-oss-120b", prompt = std.prompts.equivalence }
  rollout { group = 8, temperature = 0.7, top_p = 0.95, truncate = middle }
  sampler = task_balanced(over = tasks) // §4.2
  advantage = grpo(baseline = group_mean, std = task_batch)
  clip = negative_gradient(level = sequence, when = entropy > 0.8)
  control = aepo(low = 0.3, high = 0.5)
  warmup sft { steps = 100 }
  schedule {
    stage s1 { input = 20K, output = 12K, steps = 200 }
    stage s2 { input = 60K, output = 20K, steps = 200, retrospective = hard(pass_rate < 0.5) }
    stage memory_expert from s3 { agent = memory(chunk = 32K, memory = 4K), steps = 100 }
    merge fused = sce([s3, memory_expert], base = s3, topk = 0.1)
    stage s4 from fused { steps = 100 }
  }
  evaluate { benchmarks = [docmath, lbv2], every = 20 }
  /* the same experiment,
     scaled down */
  profile tiny {
    model policy { init = tiny(layers = 2, dim = 128, heads = 4) }
    schedule { s1.input = 32, s2.input = 64 }
    batch = 16
    steps *= 0.1
  }
}

ablation table2 of qwenlong_l15 {
  rows {
    "GRPO" { sampler = uniform, advantage = grpo(std = group) }
    "+ Task-balanced" { }
    for lr in [1e-6, 2e-6] {
      "lr {lr}" { optimizer = adamw(lr = lr) }
    }
  }
  seeds = 3
}
`;
