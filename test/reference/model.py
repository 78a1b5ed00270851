"""PyTorch twin of runtime/model/transformer.ts, used by the parity tests.

Usage: model.py DIR. DIR/manifest.json names the config, the mode ("forward" or "train"),
hyper-parameters and the input tensors, each stored as DIR/<name>.bin (raw little-endian).
Results are written as DIR/out/<name>.bin (float32) with DIR/out/manifest.json.

The training step is written with stock PyTorch parts (autograd, clip_grad_norm_,
torch.optim.AdamW) so it is an independent check of the engine's own backward and optimizer.
"""

import json
import math
import os
import sys

import numpy as np
import torch

torch.set_num_threads(1)
DTYPES = {"float32": np.float32, "int64": np.int64, "bool": np.bool_}


def save(folder, out):
    """Writes each tensor as DIR/out/<name>.bin (float32) and their shapes to DIR/out/manifest.json."""
    os.makedirs(os.path.join(folder, "out"), exist_ok=True)
    shapes = {}
    for n, t in out.items():
        arr = t.detach().to(torch.float32).numpy()
        arr.tofile(os.path.join(folder, "out", n + ".bin"))
        shapes[n] = list(arr.shape)
    with open(os.path.join(folder, "out", "manifest.json"), "w") as f:
        json.dump(shapes, f)


def load(folder, name, spec):
    data = np.fromfile(os.path.join(folder, name + ".bin"), dtype=DTYPES[spec["dtype"]])
    return torch.from_numpy(data.reshape(spec["shape"]).copy())


def rms_norm(x, w, eps):
    return x / torch.sqrt((x * x).mean(-1, keepdim=True) + eps) * w


def rope(x, cos, sin):
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim=-1)


def forward(cfg, p, tokens, positions, key_mask):
    b, t = tokens.shape
    heads, dim = cfg["heads"], cfg["dim"]
    hd = dim // heads
    inv_freq = torch.tensor([cfg["ropeTheta"] ** (-2 * j / hd) for j in range(hd // 2)], dtype=torch.float32)
    angles = positions.to(torch.float32).reshape(b, 1, t, 1) * inv_freq
    cos, sin = torch.cos(angles), torch.sin(angles)
    bias = torch.triu(torch.full((t, t), -1e9, dtype=torch.float32), diagonal=1)
    if key_mask is not None:
        bias = bias + ((1 - key_mask.to(torch.float32)) * -1e9).reshape(b, 1, 1, t)
    x = p["tok_embeddings"][tokens]
    for i in range(cfg["layers"]):
        w = lambda n: p[f"layers.{i}.{n}"]
        xn = rms_norm(x, w("attention_norm"), cfg["normEps"])
        split = lambda y: y.reshape(b, t, heads, hd).transpose(1, 2)
        q = rope(split(xn @ w("wq")), cos, sin)
        k = rope(split(xn @ w("wk")), cos, sin)
        v = split(xn @ w("wv"))
        scores = (q @ k.transpose(-1, -2)) * (1 / math.sqrt(hd)) + bias
        att = torch.softmax(scores, dim=-1) @ v
        h = x + att.transpose(1, 2).reshape(b, t, dim) @ w("wo")
        hn = rms_norm(h, w("ffn_norm"), cfg["normEps"])
        x = h + (torch.nn.functional.silu(hn @ w("w1")) * (hn @ w("w3"))) @ w("w2")
    return rms_norm(x, p["norm"], cfg["normEps"]) @ p["output"]


def policy_loss(logits, batch, hp):
    ls = torch.log_softmax(logits, dim=-1)
    logp = ls.gather(-1, batch["targets"].unsqueeze(-1)).squeeze(-1)
    entropy = -(ls.exp() * ls).sum(-1)
    old = batch["oldLogp"] if "oldLogp" in batch else logp.detach()
    adv = batch["advantages"]
    ratio = torch.exp(logp - old)
    pg = torch.maximum(-adv * ratio, -adv * torch.clamp(ratio, 1 - hp["clipLow"], 1 + hp["clipHigh"]))
    if hp["dualClip"] > 0:
        pg = torch.where(adv < 0, torch.minimum(pg, -adv * hp["dualClip"]), pg)
    term = pg - hp["entropyCoef"] * entropy
    est = hp.get("klEstimator")
    if est:
        d = logp - batch["refLogp"]
        kl = d if est == "k1" else 0.5 * d * d if est == "k2" else torch.exp(-d) + d - 1
        term = term + hp["klCoef"] * kl
    return (batch["weights"] * term).sum(), logp, entropy


def main():
    folder = sys.argv[1]
    with open(os.path.join(folder, "manifest.json")) as f:
        manifest = json.load(f)
    cfg, hp = manifest["config"], manifest.get("hyper", {})
    tensors = {n: load(folder, n, s) for n, s in manifest["inputs"].items()}
    names = [n for n, _ in manifest["weights"]]
    params = {n: tensors[n].clone().requires_grad_(True) for n in names}
    key_mask = tensors.get("keyMask")
    out = {}
    if manifest["mode"] == "forward":
        out["logits"] = forward(cfg, params, tensors["tokens"], tensors["positions"], key_mask)
    else:
        decay = [params[n] for n in names if not (n == "norm" or n.endswith("_norm"))]
        no_decay = [params[n] for n in names if n == "norm" or n.endswith("_norm")]
        opt = torch.optim.AdamW(
            [{"params": decay, "weight_decay": hp["weightDecay"]}, {"params": no_decay, "weight_decay": 0.0}],
            lr=hp["lr"], betas=(hp["beta1"], hp["beta2"]), eps=hp["eps"],
        )
        for step in range(hp["steps"]):
            opt.zero_grad()
            logits = forward(cfg, params, tensors["tokens"], tensors["positions"], key_mask)
            loss, logp, entropy = policy_loss(logits, tensors, hp)
            loss.backward()
            if step == 0:
                out["loss"], out["logp"], out["entropy"] = loss, logp, entropy
                for n in names:
                    out["grad." + n] = params[n].grad.clone()
            norm = torch.nn.utils.clip_grad_norm_(list(params.values()), hp["maxGradNorm"])
            if step == 0:
                out["gradNorm"] = norm
            opt.step()
        for n in names:
            out["param." + n] = params[n]
            state = opt.state[params[n]]
            out["m." + n], out["v." + n] = state["exp_avg"], state["exp_avg_sq"]
    save(folder, out)


if __name__ == "__main__":
    main()
