"""Writes a safetensors file with PyTorch-produced values, independently of the TypeScript writer.

Usage: write_reference.py OUT.safetensors OUT.json
The JSON lists, per tensor, its dtype, shape and the float32 values PyTorch gives after
converting the stored dtype back to float32 (so F16/BF16 rounding is PyTorch's).
"""
import json
import struct
import sys

import torch

out_file, out_json = sys.argv[1], sys.argv[2]
g = torch.Generator().manual_seed(3)
src = {
    "w.f32": (torch.randn(3, 5, generator=g), torch.float32, "F32"),
    "w.f16": (torch.randn(4, 2, generator=g) * 100, torch.float16, "F16"),
    "w.bf16": (torch.randn(7, generator=g) * 1e3, torch.bfloat16, "BF16"),
    "ids.i64": (torch.tensor([[1, -2, 3], [2**40, 5, -(2**33)]]), torch.int64, "I64"),
    "ids.i32": (torch.tensor([7, -8, 2**30]), torch.int32, "I32"),
    "scalar": (torch.tensor(2.5), torch.float32, "F32"),
    "empty": (torch.zeros(0, 4), torch.float32, "F32"),
}
header = {"__metadata__": {"format": "pt", "note": "written by torch"}}
blobs = []
expect = {}
offset = 0
for name, (t, dt, code) in src.items():
    t = t.to(dt).contiguous()
    raw = t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""
    header[name] = {"dtype": code, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
    offset += len(raw)
    blobs.append(raw)
    expect[name] = {"dtype": code, "shape": list(t.shape), "f32": t.to(torch.float64).flatten().tolist()}
hj = json.dumps(header).encode()
with open(out_file, "wb") as f:
    f.write(struct.pack("<Q", len(hj)))
    f.write(hj)
    for b in blobs:
        f.write(b)
with open(out_json, "w") as f:
    json.dump({"metadata": header["__metadata__"], "tensors": expect}, f)
