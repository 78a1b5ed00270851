"""PyTorch reference of the qlx policy model and its KV-cache generation.

The model follows the shared policy-model spec exactly (runtime/model/config.ts): weights named
tok_embeddings, layers.{i}.{attention_norm,wq,wk,wv,wo,ffn_norm,w1,w3,w2}, norm, output, all
matrices stored [in, out] (y = x @ W); RMSNorm x / sqrt(mean(x^2) + eps) * g; rotate-half RoPE
with explicit 0-based positions per token; causal attention with a key-padding mask; SwiGLU.

Generation is written the way a PyTorch user would (HF-style cache grown with torch.cat,
left-padded batch) and samples exactly as runtime/model/sampling.ts defines:
logp and entropy refer to softmax(logits / T) without top-p renormalisation (T = 1 for greedy).

Used two ways:
- as a module, by bench/engine/peer.py (the benchmark's PyTorch peer);
- as a CLI by test/runtime/model/*.test.ts: `generate.py request.json` prints a JSON result.
  request: {"weights": path, "config": {...}, "mode": "forward" | "generate", ...}
"""

import json
import math
import struct
import sys

import numpy as np
import torch

DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32}


def read_safetensors(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        begin, end = spec["data_offsets"]
        arr = np.frombuffer(data[begin:end], dtype=DTYPES[spec["dtype"]]).reshape(spec["shape"])
        out[name] = torch.from_numpy(arr.copy())
    return out


def default_ffn(dim):
    return 32 * math.ceil(8 * dim / 3 / 32)


def init_weights(cfg, generator):
    """Random weights with the spec's shapes (normal 0.02, wo/w2 scaled by 1/sqrt(2L), norms 1).
    Not bit-identical to runtime/model init (a different RNG): the benchmark only needs shapes."""
    d, f, v, layers = cfg["dim"], cfg["ffn"], cfg["vocab"], cfg["layers"]
    scale = 1 / math.sqrt(2 * layers)

    def normal(*shape, s=1.0):
        return torch.randn(*shape, generator=generator) * 0.02 * s

    w = {"tok_embeddings": normal(v, d), "norm": torch.ones(d), "output": normal(d, v)}
    for i in range(layers):
        p = f"layers.{i}."
        w[p + "attention_norm"] = torch.ones(d)
        w[p + "ffn_norm"] = torch.ones(d)
        for name in ("wq", "wk", "wv"):
            w[p + name] = normal(d, d)
        w[p + "wo"] = normal(d, d, s=scale)
        w[p + "w1"] = normal(d, f)
        w[p + "w3"] = normal(d, f)
        w[p + "w2"] = normal(f, d, s=scale)
    return w


def rms_norm(x, g, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * g


def rope(x, positions, theta):
    """x [B, H, T, hd], positions [B, T] (0-based per sequence). Rotate-half convention."""
    hd = x.shape[-1]
    half = hd // 2
    freq = theta ** (-torch.arange(0, half, dtype=torch.float32) * 2 / hd)
    angle = positions.to(torch.float32)[:, None, :, None] * freq  # [B, 1, T, half]
    cos, sin = torch.cos(angle), torch.sin(angle)
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim=-1)


def forward(w, cfg, tokens, positions, key_valid, past=None):
    """tokens/positions [B, T]; key_valid [B, S_past + T] bool (False = padding slot).
    past: list per layer of (k, v) [B, H, S_past, hd] or None. Returns logits [B, T, V], present."""
    B, T = tokens.shape
    H = cfg["heads"]
    d = cfg["dim"]
    hd = d // H
    eps, theta = cfg["normEps"], cfg["ropeTheta"]
    x = w["tok_embeddings"][tokens]
    s_past = 0 if past is None else past[0][0].shape[2]
    S = s_past + T
    # Query t (absolute slot s_past + t) sees key slots <= its own, and only valid ones.
    causal = torch.ones(T, S, dtype=torch.bool).tril(diagonal=s_past)
    allowed = causal[None, None] & key_valid[:, None, None, :]
    # A finite mask: a padding query sees no valid key, and -inf would turn its row (and then
    # the padding slot's cached k/v) into NaN; exp(-1e9 - max) is exactly 0 for real rows.
    bias = torch.zeros(B, 1, T, S).masked_fill(~allowed, -1e9)
    present = []
    for i in range(cfg["layers"]):
        p = f"layers.{i}."
        h = rms_norm(x, w[p + "attention_norm"], eps)
        q = (h @ w[p + "wq"]).view(B, T, H, hd).transpose(1, 2)
        k = (h @ w[p + "wk"]).view(B, T, H, hd).transpose(1, 2)
        v = (h @ w[p + "wv"]).view(B, T, H, hd).transpose(1, 2)
        q, k = rope(q, positions, theta), rope(k, positions, theta)
        if past is not None:
            k = torch.cat([past[i][0], k], dim=2)
            v = torch.cat([past[i][1], v], dim=2)
        present.append((k, v))
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(hd) + bias
        att = torch.softmax(scores, dim=-1) @ v
        x = x + att.transpose(1, 2).reshape(B, T, d) @ w[p + "wo"]
        h = rms_norm(x, w[p + "ffn_norm"], eps)
        x = x + (torch.nn.functional.silu(h @ w[p + "w1"]) * (h @ w[p + "w3"])) @ w[p + "w2"]
    logits = rms_norm(x, w["norm"], eps) @ w["output"]
    return logits, present


def choose(logits, temperature, top_p, greedy, generator):
    """logits [N, V] -> tokens [N], logp [N], entropy [N] (see module docstring)."""
    t = 1.0 if greedy else temperature
    logprobs = torch.log_softmax(logits / t, dim=-1)
    probs = logprobs.exp()
    entropy = -(probs * logprobs).sum(-1)
    if greedy:
        tokens = logits.argmax(-1)
    else:
        sorted_p, order = probs.sort(-1, descending=True)
        before = sorted_p.cumsum(-1) - sorted_p  # mass strictly before each token
        keep = before < top_p
        kept = sorted_p * keep
        pick = torch.multinomial(kept, 1, generator=generator).squeeze(-1)
        tokens = order.gather(-1, pick[:, None]).squeeze(-1)
    logp = logprobs.gather(-1, tokens[:, None]).squeeze(-1)
    return tokens, logp, entropy


def left_pad(prompts, pad):
    """Left-pads prompts to one length; returns tokens, positions, valid [N, P]."""
    P = max(len(p) for p in prompts)
    N = len(prompts)
    tokens = torch.full((N, P), pad, dtype=torch.long)
    positions = torch.zeros(N, P, dtype=torch.long)
    valid = torch.zeros(N, P, dtype=torch.bool)
    for n, p in enumerate(prompts):
        off = P - len(p)
        tokens[n, off:] = torch.tensor(p, dtype=torch.long)
        positions[n, off:] = torch.arange(len(p))
        valid[n, off:] = True
    return tokens, positions, valid


@torch.no_grad()
def generate(w, cfg, prompts, max_new, stop, temperature, top_p, greedy, pad, generator=None, keep_logits=False):
    """Batched KV-cache generation. Returns per sequence tokens/logp/entropy/finish
    (and the logits of every step when keep_logits). The step loop stays in tensors; the
    per-sequence lists are assembled once at the end."""
    tokens, positions, valid = left_pad(prompts, pad)
    N = len(prompts)
    logits, past = forward(w, cfg, tokens, positions, valid)
    last = logits[:, -1]
    next_pos = torch.tensor([len(p) for p in prompts], dtype=torch.long)
    stop_ids = torch.tensor(sorted(stop), dtype=torch.long)
    alive = torch.ones(N, dtype=torch.bool)
    steps = []  # (alive before the step, tokens, logp, entropy, logits)
    for step in range(max_new):
        tok, logp, ent = choose(last, temperature, top_p, greedy, generator)
        steps.append((alive.clone(), tok, logp, ent, last if keep_logits else None))
        alive &= ~torch.isin(tok, stop_ids)
        if not bool(alive.any()) or step == max_new - 1:
            break
        valid = torch.cat([valid, torch.ones(N, 1, dtype=torch.bool)], dim=1)
        logits, past = forward(w, cfg, tok[:, None], next_pos[:, None], valid, past)
        last = logits[:, -1]
        next_pos = next_pos + 1
    out = []
    for n in range(N):
        o = {"tokens": [], "logp": [], "entropy": [], "finish": "length", "logits": []}
        for was_alive, tok, logp, ent, lg in steps:
            if not bool(was_alive[n]):
                o["finish"] = "stop"
                break
            o["tokens"].append(int(tok[n]))
            o["logp"].append(float(logp[n]))
            o["entropy"].append(float(ent[n]))
            if keep_logits:
                o["logits"].append(lg[n].tolist())
        if o["tokens"] and o["tokens"][-1] in stop:
            o["finish"] = "stop"
        out.append(o)
    return out


class _Exported(torch.nn.Module):
    """The reference forward as a module whose parameter paths are the spec weight names."""

    def __init__(self, w, cfg):
        super().__init__()
        self.cfg = cfg
        for name, value in w.items():
            owner = self
            *parents, leaf = name.split(".")
            for part in parents:
                if not hasattr(owner, part):
                    owner.add_module(part, torch.nn.Module())
                owner = getattr(owner, part)
            owner.register_parameter(leaf, torch.nn.Parameter(value))

    def forward(self, tokens):
        T = tokens.shape[1]
        valid = torch.ones(1, T, dtype=torch.bool)
        logits, _ = forward(dict(self.named_parameters()), self.cfg, tokens, torch.arange(T)[None], valid)
        return logits


def export_onnx(w, cfg, path):
    """torch.onnx.export of the reference forward, its weights as initializers named by spec."""
    torch.onnx.export(_Exported(w, cfg), torch.zeros(1, 4, dtype=torch.long), path, do_constant_folding=False)


def main():
    req = json.load(open(sys.argv[1]))
    cfg = req["config"]
    w = read_safetensors(req["weights"])
    if req["mode"] == "export-onnx":
        export_onnx(w, cfg, req["output"])
        print(json.dumps({"written": req["output"]}))
    elif req["mode"] == "forward":
        result = []
        for seq in req["sequences"]:
            t = torch.tensor([seq], dtype=torch.long)
            pos = torch.arange(len(seq))[None]
            logits, _ = forward(w, cfg, t, pos, torch.ones(1, len(seq), dtype=torch.bool))
            result.append(logits[0].tolist())
        print(json.dumps({"logits": result}))
    else:
        out = generate(
            w,
            cfg,
            req["prompts"],
            req["maxNew"],
            set(req["stop"]),
            1.0,
            1.0,
            True,  # the CLI decodes greedily: a sampled draw cannot match another RNG
            req["pad"],
            keep_logits=True,
        )
        print(json.dumps({"sequences": out}))


if __name__ == "__main__":
    torch.set_num_threads(1)
    main()
