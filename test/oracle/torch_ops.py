"""PyTorch oracle for r1ts op tests (format version 1).

Reads {"version": 1, "cases": [...]} as JSON on stdin; each case has
  op: a name from OPS, params: a dict, inputs: [{"data": [...], "shape": [...], "grad": bool}],
  grad_outputs: [{"data": [...], "shape": [...]}] (one per output, or empty for forward only).
Computes in float64 and writes {"version": 1, "results": [{"outputs": [...], "grads": [...]}]} where
grads[i] is null for inputs that do not need a gradient. Run with Debian's /usr/bin/python3.
"""
import json
import math
import sys

import torch

VERSION = 1


def rope(x, p):
    # x [..., S-rows, H, D] flattened by the caller to [S, H, D]; tables from params.
    cos = torch.tensor(p["cos"], dtype=torch.float64).reshape(-1, x.shape[-1] // 2)
    sin = torch.tensor(p["sin"], dtype=torch.float64).reshape(-1, x.shape[-1] // 2)
    pos = torch.tensor(p["pos"], dtype=torch.long)
    shape = x.shape
    x = x.reshape(len(p["pos"]), shape[-2], shape[-1])
    c, s = cos[pos][:, None, :], sin[pos][:, None, :]
    if p["interleaved"]:
        a, b = x[..., 0::2], x[..., 1::2]
        out = torch.stack([a * c - b * s, a * s + b * c], dim=-1).reshape(x.shape)
    else:
        h = shape[-1] // 2
        a, b = x[..., :h], x[..., h:]
        out = torch.cat([a * c - b * s, a * s + b * c], dim=-1)
    return out.reshape(shape)


def attention(q, k, v, p, mask=None):
    B, H, Tq, D = q.shape
    Hk, Tk = k.shape[1], k.shape[2]
    k = k.repeat_interleave(H // Hk, dim=1)
    v = v.repeat_interleave(H // Hk, dim=1)
    scores = q @ k.transpose(-1, -2) * p["scale"]
    if mask is not None:
        scores = scores + mask
    if p.get("key_padding") is not None:
        pad = torch.tensor(p["key_padding"], dtype=torch.float64)
        scores = scores.masked_fill((pad == 0)[:, None, None, :], float("-inf"))
    if p.get("causal"):
        i = torch.arange(Tq)[:, None]
        j = torch.arange(Tk)[None, :]
        scores = scores.masked_fill(j > i + (Tk - Tq), float("-inf"))
    visible = torch.isfinite(scores).any(dim=-1, keepdim=True)
    probs = torch.softmax(scores.masked_fill(~visible, 0.0), dim=-1) * visible
    return probs @ v


def index_t(p, key="idx"):
    return torch.tensor(p[key], dtype=torch.long)


OPS = {
    "add": lambda x, p: x[0] + x[1],
    "sub": lambda x, p: x[0] - x[1],
    "mul": lambda x, p: x[0] * x[1],
    "div": lambda x, p: x[0] / x[1],
    "maximum": lambda x, p: torch.maximum(x[0], x[1]),
    "minimum": lambda x, p: torch.minimum(x[0], x[1]),
    "pow": lambda x, p: torch.pow(x[0], x[1]),
    "pow_scalar": lambda x, p: torch.pow(x[0], p["p"]),
    "neg": lambda x, p: -x[0],
    "exp": lambda x, p: torch.exp(x[0]),
    "log": lambda x, p: torch.log(x[0]),
    "sqrt": lambda x, p: torch.sqrt(x[0]),
    "rsqrt": lambda x, p: torch.rsqrt(x[0]),
    "abs": lambda x, p: torch.abs(x[0]),
    "sigmoid": lambda x, p: torch.sigmoid(x[0]),
    "silu": lambda x, p: torch.nn.functional.silu(x[0]),
    "tanh": lambda x, p: torch.tanh(x[0]),
    "relu": lambda x, p: torch.relu(x[0]),
    "square": lambda x, p: x[0] * x[0],
    "clamp": lambda x, p: torch.clamp(x[0], p["lo"], p["hi"]),
    "affine": lambda x, p: x[0] * p["a"] + p["b"],
    "where": lambda x, p: torch.where(x[0] != 0, x[1], x[2]),
    "sum": lambda x, p: x[0].sum(dim=p["dims"], keepdim=p["keepdim"]) if p.get("dims") is not None else x[0].sum(),
    "mean": lambda x, p: x[0].mean(dim=p["dims"], keepdim=p["keepdim"]) if p.get("dims") is not None else x[0].mean(),
    "max": lambda x, p: x[0].max(dim=p["dim"], keepdim=p["keepdim"]).values,
    "softmax": lambda x, p: torch.softmax(x[0], dim=p["dim"]),
    "log_softmax": lambda x, p: torch.log_softmax(x[0], dim=p["dim"]),
    "rmsnorm": lambda x, p: x[0] * torch.rsqrt(x[0].pow(2).mean(-1, keepdim=True) + p["eps"]) * x[1],
    "swiglu": lambda x, p: torch.nn.functional.silu(x[0]) * x[1],
    "rope": lambda x, p: rope(x[0], p),
    "matmul": lambda x, p: x[0] @ x[1],
    "embedding": lambda x, p: torch.nn.functional.embedding(index_t(p).reshape(p["shape"]), x[0]),
    "index_select": lambda x, p: torch.index_select(x[0], p["dim"], index_t(p)),
    "index_add": lambda x, p: torch.index_add(x[0], p["dim"], index_t(p), x[1]),
    "gather": lambda x, p: torch.gather(x[0], p["dim"], index_t(p).reshape(p["shape"])),
    "topk": lambda x, p: torch.topk(x[0], p["k"], dim=-1).values,
    "cat": lambda x, p: torch.cat(x, dim=p["dim"]),
    "split": lambda x, p: list(torch.split(x[0], p["sizes"], dim=p["dim"])),
    "reshape": lambda x, p: x[0].reshape(p["shape"]),
    "permute": lambda x, p: x[0].permute(p["dims"]),
    "slice": lambda x, p: x[0].narrow(p["dim"], p["start"], p["end"] - p["start"]),
    "expand": lambda x, p: x[0].expand(p["shape"]),
    "attention": lambda x, p: attention(x[0], x[1], x[2], p, x[3] if len(x) > 3 else None),
    "token_logprobs": lambda x, p: token_logprobs(x[0], p["targets"]),
    "cross_entropy": lambda x, p: torch.nn.functional.cross_entropy(
        x[0].reshape(-1, x[0].shape[-1]), torch.tensor(p["targets"], dtype=torch.long), ignore_index=-100, reduction="mean"),
}


def token_logprobs(logits, targets):
    t = torch.tensor(targets, dtype=torch.long)
    lp = torch.log_softmax(logits.reshape(-1, logits.shape[-1]), dim=-1)
    picked = lp.gather(1, t.clamp(min=0)[:, None])[:, 0] * (t >= 0)
    return picked.reshape(logits.shape[:-1])


def run_case(case):
    inputs = []
    for spec in case["inputs"]:
        t = torch.tensor([float(v) for v in spec["data"]], dtype=torch.float64).reshape(spec["shape"])
        t.requires_grad_(bool(spec.get("grad")))
        inputs.append(t)
    out = OPS[case["op"]](inputs, case.get("params", {}))
    outs = out if isinstance(out, list) else [out]
    result = {"outputs": [{"data": o.detach().reshape(-1).tolist(), "shape": list(o.shape)} for o in outs]}
    gouts = case.get("grad_outputs") or []
    if gouts and any(t.requires_grad for t in inputs):
        gs = [torch.tensor([float(v) for v in g["data"]], dtype=torch.float64).reshape(g["shape"]) for g in gouts]
        loss = sum((o * g).sum() for o, g in zip(outs, gs))
        wanted = [t for t in inputs if t.requires_grad]
        grads = torch.autograd.grad(loss, wanted, allow_unused=True)
        it = iter(grads)
        result["grads"] = [None if not t.requires_grad else clean(next(it), t) for t in inputs]
    return result


def clean(g, t):
    g = torch.zeros_like(t) if g is None else g
    return {"data": g.reshape(-1).tolist(), "shape": list(g.shape)}


def encode(x):
    # JSON has no NaN/Infinity: send them as strings.
    if isinstance(x, float) and not math.isfinite(x):
        return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")
    if isinstance(x, list):
        return [encode(v) for v in x]
    if isinstance(x, dict):
        return {k: encode(v) for k, v in x.items()}
    return x


def main():
    req = json.load(sys.stdin)
    if req.get("version") != VERSION:
        sys.exit(f"torch_ops.py: request version {req.get('version')} != {VERSION}")
    torch.set_grad_enabled(True)
    results = [run_case(c) for c in req["cases"]]
    json.dump(encode({"version": VERSION, "results": results}), sys.stdout)


if __name__ == "__main__":
    main()
