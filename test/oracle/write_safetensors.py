"""Safetensors oracle for r1ts checkpoint I/O tests (format version 1).

Builds and parses safetensors files with struct + json + torch only (no safetensors package), so the
TypeScript reader and writer are checked against an independent implementation.

  write PATH  writes a file with F32, BF16, F16 tensors (-0, subnormals, +-inf, NaN, random values) and
              an F8_E4M3 weight [200, 300] with its [2, 3] float32 `_scale_inv` grid, __metadata__
              {"generator": "write_safetensors.py", "version": "1"}; prints {"version": 1, "tensors":
              {name: {"dtype", "shape", "bits"}}} where bits are the int32 patterns of the float32 values
              torch gives (the FP8 weight dequantised the way llama.cpp does it: scales repeated 128x on
              each axis, then cropped).
  read PATH   parses a file (r1ts's writer output) and prints {"version": 1, "header_length",
              "metadata", "tensors": {name: {"dtype", "shape", "raw"}}}: raw holds int32 float bits for
              F32 tensors and int16 bit patterns for BF16/F16, plus "to_bfloat16"/"to_float16" for F32
              tensors: torch's own rounding of the values.
Run with Debian's /usr/bin/python3.
"""
import json
import math
import struct
import sys

import numpy as np
import torch

VERSION = 1
BLOCK = 128
SPECIALS = [0.0, -0.0, 1.0, -2.5, 1e-40, -1e-45, 2.0**-24, 6e-8, 65504.0, 1e30, float("inf"), float("-inf"), float("nan")]


def fp8_e4m3(code):
    """The e4m3fn value of one byte, by math.ldexp on the fields (independent of r1ts's formula)."""
    sign = -1.0 if code & 0x80 else 1.0
    e, m = (code >> 3) & 0xF, code & 0x7
    if e == 0xF and m == 0x7:
        return float("nan")
    return sign * (math.ldexp(m, -9) if e == 0 else math.ldexp(8 + m, e - 10))


def float_bits(t):
    return t.to(torch.float32).contiguous().view(torch.int32).flatten().tolist()


def write(path):
    g = torch.Generator().manual_seed(1)
    base = torch.cat([torch.tensor(SPECIALS), torch.randn(29, generator=g) * 3])  # 42 values
    codes = torch.randint(0, 256, (200, 300), generator=g, dtype=torch.int64)
    codes[codes == 0x7F] = 0x7E  # keep NaN codes out of the dequantised weight
    codes[codes == 0xFF] = 0xFE
    scale = torch.rand(2, 3, generator=g, dtype=torch.float32) * 0.01 + 1e-4
    tensors = [
        ("f32", "F32", base.reshape(6, 7), base.reshape(6, 7).numpy().tobytes()),
        ("bf16", "BF16", base.to(torch.bfloat16).reshape(2, 3, 7), base.to(torch.bfloat16).view(torch.int16).numpy().tobytes()),
        ("f16", "F16", base.to(torch.float16).reshape(42), base.to(torch.float16).view(torch.int16).numpy().tobytes()),
        ("scalar", "F32", torch.tensor(-3.75), torch.tensor(-3.75).numpy().tobytes()),
        ("empty", "BF16", torch.zeros(0, 4), b""),
    ]
    lut = torch.tensor([fp8_e4m3(c) for c in range(256)], dtype=torch.float32)
    grid = scale.repeat_interleave(BLOCK, 0).repeat_interleave(BLOCK, 1)[:200, :300]
    tensors.append(("w.weight", "F8_E4M3", lut[codes] * grid, codes.to(torch.uint8).numpy().tobytes()))
    tensors.append(("w.weight_scale_inv", "F32", scale, scale.numpy().tobytes()))

    header, blobs, offset = {"__metadata__": {"generator": "write_safetensors.py", "version": str(VERSION)}}, [], 0
    for name, dtype, values, blob in tensors:
        header[name] = {"dtype": dtype, "shape": list(values.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
    out = {name: {"dtype": dtype, "shape": list(values.shape), "bits": float_bits(values)} for name, dtype, values, _ in tensors}
    json.dump({"version": VERSION, "tensors": out}, sys.stdout)


def read(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        begin, end = e["data_offsets"]
        blob = data[begin:end]
        entry = {"dtype": e["dtype"], "shape": e["shape"]}
        if e["dtype"] == "F32":
            x = torch.from_numpy(np.frombuffer(blob, dtype="<f4").copy())
            entry["raw"] = x.view(torch.int32).tolist()
            entry["to_bfloat16"] = x.to(torch.bfloat16).view(torch.int16).tolist()
            entry["to_float16"] = x.to(torch.float16).view(torch.int16).tolist()
        else:
            entry["raw"] = np.frombuffer(blob, dtype="<i2").tolist()
        out[name] = entry
    json.dump({"version": VERSION, "header_length": n, "metadata": header.get("__metadata__"), "tensors": out}, sys.stdout)


if __name__ == "__main__":
    {"write": write, "read": read}[sys.argv[1]](sys.argv[2])
