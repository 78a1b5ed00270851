"""Reads a safetensors file with plain struct/json + PyTorch and prints its tensors as JSON."""
import json
import struct
import sys

import torch

DT = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "I64": torch.int64, "I32": torch.int32}
with open(sys.argv[1], "rb") as f:
    (n,) = struct.unpack("<Q", f.read(8))
    header = json.loads(f.read(n))
    data = f.read()
assert (8 + n) % 8 == 0, "data section not 8-byte aligned"
out = {"metadata": header.pop("__metadata__", {}), "tensors": {}}
for name, h in header.items():
    b, e = h["data_offsets"]
    t = torch.frombuffer(bytearray(data[b:e]), dtype=torch.uint8).view(DT[h["dtype"]]) if e > b else torch.zeros(0)
    out["tensors"][name] = {"dtype": h["dtype"], "shape": h["shape"], "f32": t.to(torch.float64).flatten().tolist()}
print(json.dumps(out))
