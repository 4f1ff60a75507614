"""PyTorch peer for `npm run bench` (format version 1): times the same ops as bench/ops.ts.

Reads {"version": 1, "threads": N, "cases": [{"name", "op", "shape"...}]} on stdin, prints
{"version": 1, "results": {name: median_ms}}. Run under Debian's /usr/bin/python3 with the same
OPENBLAS_CORETYPE and thread count as r1ts, so the ratio compares code, not settings.
"""
import json
import sys
import time

import torch

VERSION = 1


def timed(fn, min_time=0.4, max_reps=200):
    for _ in range(3):
        fn()
    times = []
    start = time.perf_counter()
    while len(times) < max_reps and (time.perf_counter() - start < min_time or len(times) < 5):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    times.sort()
    return 1000 * times[len(times) // 2]


def rmsnorm(x, w, eps=1e-6):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def attention(q, k, v):
    T = q.shape[2]
    scores = (q @ k.transpose(-1, -2)) * (q.shape[-1] ** -0.5)
    causal = torch.ones(T, T, dtype=torch.bool).triu(1)
    return torch.softmax(scores.masked_fill(causal, float("-inf")), dim=-1) @ v


def case_fn(c):
    g = torch.Generator().manual_seed(0)
    r = lambda *s: torch.randn(*s, generator=g)
    op = c["op"]
    if op == "matmul":
        m, k, n = c["mkn"]
        a, b = r(m, k), r(k, n)
        return lambda: a @ b
    if op == "softmax":
        x = r(*c["shape"])
        return lambda: torch.softmax(x, dim=-1)
    if op == "rmsnorm":
        x, w = r(*c["shape"]), r(c["shape"][-1])
        return lambda: rmsnorm(x, w)
    if op == "swiglu":
        gate, up = r(*c["shape"]), r(*c["shape"])
        return lambda: torch.nn.functional.silu(gate) * up
    if op == "attention_fwd_bwd":
        B, H, T, D = c["shape"]
        q, k, v = (r(B, H, T, D).requires_grad_() for _ in range(3))
        go = r(B, H, T, D)

        def run():
            out = attention(q, k, v)
            out.backward(go)
            q.grad = k.grad = v.grad = None

        return run
    if op == "add_tiny":
        a, b = r(*c["shape"]), r(*c["shape"])
        return lambda: a + b
    raise ValueError(f"unknown op {op}")


def main():
    req = json.load(sys.stdin)
    if req.get("version") != VERSION:
        sys.exit(f"torch_peer.py: request version {req.get('version')} != {VERSION}")
    torch.set_num_threads(req["threads"])
    results = {}
    for c in req["cases"]:
        fn = case_fn(c)
        if c["op"] == "attention_fwd_bwd":
            results[c["name"]] = timed(fn)
        else:
            with torch.no_grad():
                results[c["name"]] = timed(fn)
    json.dump({"version": VERSION, "torch": torch.__version__, "threads": torch.get_num_threads(), "results": results}, sys.stdout)


if __name__ == "__main__":
    main()
