"""PyTorch reference for the token-level policy loss variants (runtime/tensor/nn.ts policyLoss).

Usage: ops.py DIR, with the same folder protocol as model.py. manifest.json holds "cases",
each {"name", "hyper"}; inputs are logits [N, V] and per-token targets, weights, advantages,
oldLogp, refLogp [N]. For each case writes <name>.loss and <name>.grad (d loss / d logits).
"""

import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import load, policy_loss, save  # noqa: E402

torch.set_num_threads(1)


def main():
    folder = sys.argv[1]
    with open(os.path.join(folder, "manifest.json")) as f:
        manifest = json.load(f)
    tensors = {n: load(folder, n, s) for n, s in manifest["inputs"].items()}
    out = {}
    for case in manifest["cases"]:
        logits = tensors["logits"].clone().requires_grad_(True)
        batch = dict(tensors)
        if case["hyper"].get("selfOld"):
            del batch["oldLogp"]
        loss, _, _ = policy_loss(logits, batch, case["hyper"])
        loss.backward()
        out[case["name"] + ".loss"] = loss.detach().reshape(1)
        out[case["name"] + ".grad"] = logits.grad
    save(folder, out)


if __name__ == "__main__":
    main()
