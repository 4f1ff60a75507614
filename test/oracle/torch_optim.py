"""PyTorch oracle for r1ts optimizer tests (format version 1).

Reads {"version": 1, "cases": [...]} as JSON on stdin. Every case has
  kind: "adamw" | "sgd" | "clip_grad_norm",
  params: [{"data": [...], "shape": [...]}] (initial values),
  grads: one entry per step, each a list with one flat gradient (or null: no gradient) per parameter,
and by kind:
  adamw: "lr": [per-step learning rate], "betas": [b1, b2], "eps", "weight_decay"
  sgd: "lr": [per-step learning rate], "momentum", "weight_decay"
  clip_grad_norm: "max_norm" (one step: grads[0] is clipped, the params do not move).
Runs torch.optim.AdamW / torch.optim.SGD / torch.nn.utils.clip_grad_norm_ in float64 and writes
{"version": 1, "results": [{"steps": [[flat param values after step s, per parameter], ...],
"norm": float | null, "grads": [flat clipped gradient or null] | null}]}. Run with Debian's /usr/bin/python3.
"""
import json
import sys

import torch

VERSION = 1


def flat(t):
    return t.detach().reshape(-1).tolist()


def set_grads(params, grads):
    for p, g in zip(params, grads):
        p.grad = None if g is None else torch.tensor(g, dtype=torch.float64).reshape(p.shape)


def run_case(case):
    params = [torch.tensor(p["data"], dtype=torch.float64).reshape(p["shape"]).requires_grad_(True) for p in case["params"]]
    kind = case["kind"]
    if kind == "clip_grad_norm":
        set_grads(params, case["grads"][0])
        norm = torch.nn.utils.clip_grad_norm_(params, case["max_norm"])
        return {"steps": [], "norm": float(norm), "grads": [None if p.grad is None else flat(p.grad) for p in params]}
    if kind == "adamw":
        opt = torch.optim.AdamW(params, lr=case["lr"][0], betas=tuple(case["betas"]), eps=case["eps"],
                                weight_decay=case["weight_decay"])
    elif kind == "sgd":
        opt = torch.optim.SGD(params, lr=case["lr"][0], momentum=case["momentum"], weight_decay=case["weight_decay"])
    else:
        raise ValueError(f"unknown kind {kind!r}")
    steps = []
    for s, grads in enumerate(case["grads"]):
        opt.param_groups[0]["lr"] = case["lr"][s]
        set_grads(params, grads)
        opt.step()
        steps.append([flat(p) for p in params])
    return {"steps": steps, "norm": None, "grads": None}


def main():
    req = json.load(sys.stdin)
    if req.get("version") != VERSION:
        sys.exit(f"torch_optim.py: request version {req.get('version')} != {VERSION}")
    results = [run_case(c) for c in req["cases"]]
    json.dump({"version": VERSION, "results": results}, sys.stdout)


if __name__ == "__main__":
    main()
