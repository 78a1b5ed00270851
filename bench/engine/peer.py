"""The PyTorch peer of `npm run bench -- engine`: the same policy model (test/reference/generate.py),
the same training step and the same rollout, timed on this CPU. Run by bench/engine/main.ts
with /usr/bin/python3 (Debian torch) on OpenBLAS; prints one JSON object on stdout.

argv[1]: JSON {"threads": n, "train": [{config, batch, steps, warmup, loss}], "rollout": {...}}
"""

import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "reference"))
import generate as ref  # noqa: E402


def blas_library():
    """The BLAS shared object this process actually mapped (a slow reference BLAS shows here)."""
    with open("/proc/self/maps") as f:
        libs = {line.split()[-1] for line in f if "blas" in line.lower() and line.split()[-1].startswith("/")}
    return sorted(libs)


def sgemm_gflops(n=1024, reps=10):
    a, b = torch.randn(n, n), torch.randn(n, n)
    for _ in range(3):
        a @ b
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t)
    return 2 * n**3 / best / 1e9


def ppo_loss(logits, targets, weights, advantages, old_logp, hp):
    """The shared token-level loss contract: sum(weights * (pg - entropyCoef * H)); KL off."""
    logprobs = torch.log_softmax(logits, dim=-1)
    logp = logprobs.gather(-1, targets[..., None]).squeeze(-1)
    ratio = torch.exp(logp - old_logp)
    clipped = torch.clamp(ratio, 1 - hp["clipLow"], 1 + hp["clipHigh"])
    pg = torch.maximum(-advantages * ratio, -advantages * clipped)
    term = pg
    if hp["entropyCoef"] != 0:
        entropy = -(logprobs.exp() * logprobs).sum(-1)
        term = term - hp["entropyCoef"] * entropy
    return (weights * term).sum()


def bench_train(spec, seed):
    cfg = spec["config"]
    B, T = spec["batch"], cfg["context"]
    g = torch.Generator().manual_seed(seed)
    w = {k: v.requires_grad_() for k, v in ref.init_weights(cfg, g).items()}
    opt = torch.optim.AdamW(list(w.values()), lr=1e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
    tokens = torch.randint(0, cfg["vocab"], (B, T), generator=g)
    targets = torch.randint(0, cfg["vocab"], (B, T), generator=g)
    positions = torch.arange(T)[None].expand(B, T)
    valid = torch.ones(B, T, dtype=torch.bool)
    weights = torch.full((B, T), 1.0 / (B * T))
    advantages = torch.randn(B, T, generator=g)
    old_logp = torch.full((B, T), -float(torch.log(torch.tensor(float(cfg["vocab"])))))
    times = []
    for i in range(spec["warmup"] + spec["steps"]):
        t = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        logits, _ = ref.forward(w, cfg, tokens, positions, valid)
        loss = ppo_loss(logits, targets, weights, advantages, old_logp, spec["loss"])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(list(w.values()), spec["loss"]["maxGradNorm"])
        opt.step()
        if i >= spec["warmup"]:
            times.append(time.perf_counter() - t)
    times.sort()
    return {"median_s": times[len(times) // 2], "min_s": times[0], "steps": len(times), "loss": float(loss)}


def bench_rollout(spec, seed):
    cfg = spec["config"]
    g = torch.Generator().manual_seed(seed)
    w = ref.init_weights(cfg, g)
    N, P = spec["sequences"], spec["prompt"]
    prompts = torch.randint(0, cfg["vocab"], (N, P), generator=g).tolist()
    run = lambda new: ref.generate(  # noqa: E731
        w, cfg, prompts, new, set(), spec["temperature"], spec["topP"], False, 0, generator=g
    )
    run(4)  # warm-up: allocator and thread pool
    t = time.perf_counter()
    out = run(spec["newTokens"])
    dt = time.perf_counter() - t
    new = sum(len(o["tokens"]) for o in out)
    return {"seconds": dt, "new_tokens": new, "tokens_per_s": new / dt}


def main():
    req = json.loads(sys.argv[1])
    torch.set_num_threads(req["threads"])
    result = {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "blas": blas_library(),
        "env": {k: v for k, v in os.environ.items() if k.startswith(("OPENBLAS_", "OMP_"))},
        "sgemm_gflops": sgemm_gflops(),
        "train": [bench_train(s, req["seed"]) for s in req["train"]],
    }
    if req.get("rollout"):
        result["rollout"] = bench_rollout(req["rollout"], req["seed"])
    print(json.dumps(result))


if __name__ == "__main__":
    main()
