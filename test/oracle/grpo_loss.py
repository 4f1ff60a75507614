"""PyTorch oracle for the r1ts GRPO loss (format version 1).

Reads {"version": 1, "cases": [...]} as JSON on stdin. Every case gives, for N completions padded to L
tokens (flat, row-major):
  logp, old, ref (or null), mask: N*L numbers; adv: N numbers; n, l;
  eps_low, eps_high, beta, clamp (bound on |log ratio|), agg, max_length (Dr. GRPO constant, or null = L).
Computes in float64, from the published formulas (DeepSeekMath eq. 3; DAPO clip-higher; k3 KL from
Schulman's estimator note; Dr. GRPO's constant normaliser):
  ratio = exp(clamp(logp - old, -clamp, clamp))
  per_token = -min(ratio*A, clip(ratio, 1-eps_low, 1+eps_high)*A) + beta*(exp(ref-logp) - (ref-logp) - 1)
  agg "seq-mean-token-mean": mean over rows with any counted token of (masked sum / counted tokens)
  agg "token-mean": masked sum / counted tokens of the batch
  agg "seq-mean-token-sum-norm": masked sum / (N * max_length)
Writes {"version": 1, "results": [{"loss", "grad" (d loss / d logp, flat), "kl", "clip_low", "clip_high",
"clip_total", "ratio"}]}; kl, clip fractions and ratio are means over the counted tokens (kl is null
without ref). Clip fractions follow TRL: low = ratio < 1-eps_low and A < 0; high = ratio > 1+eps_high and A > 0.
An optional "advantages" list of cases {rewards (null = no signal), group, scale ("group" | "batch" |
"none"), std ("sample" = n-1 as torch.std, or "population"), eps} gives "advantages" results: per
completion (r - group mean) / (sigma + eps), sigma of the group, of the whole batch, or 1; nulls are left
out of means and sigmas and get 0.
Run with Debian's /usr/bin/python3.
"""
import json
import sys

import torch

VERSION = 1


def run_case(c):
    n, l = c["n"], c["l"]
    f64 = dict(dtype=torch.float64)
    logp = torch.tensor(c["logp"], **f64).reshape(n, l).requires_grad_(True)
    old = torch.tensor(c["old"], **f64).reshape(n, l)
    mask = torch.tensor(c["mask"], **f64).reshape(n, l)
    adv = torch.tensor(c["adv"], **f64).reshape(n, 1)
    ref = None if c["ref"] is None else torch.tensor(c["ref"], **f64).reshape(n, l)

    ratio = torch.exp(torch.clamp(logp - old, -c["clamp"], c["clamp"]))
    surrogate = torch.min(ratio * adv, torch.clamp(ratio, 1 - c["eps_low"], 1 + c["eps_high"]) * adv)
    per_token = -surrogate
    kl_tok = None
    if ref is not None:
        d = ref - logp
        kl_tok = torch.exp(d) - d - 1
        if c["beta"] > 0:
            per_token = per_token + c["beta"] * kl_tok

    masked = per_token * mask
    agg = c["agg"]
    if agg == "seq-mean-token-mean":
        counts = mask.sum(-1)
        live = counts > 0
        loss = (masked.sum(-1)[live] / counts[live]).mean()
    elif agg == "token-mean":
        loss = masked.sum() / mask.sum()
    elif agg == "seq-mean-token-sum-norm":
        max_length = c["max_length"] if c["max_length"] is not None else l
        loss = masked.sum() / (n * max_length)
    else:
        raise ValueError(f"unknown aggregation {agg!r}")
    loss.backward()

    counted = mask > 0
    tokens = counted.sum()

    def token_mean(x):
        return float(x[counted].sum() / tokens)

    with torch.no_grad():
        low = ((ratio < 1 - c["eps_low"]) & (adv < 0)).to(torch.float64)
        high = ((ratio > 1 + c["eps_high"]) & (adv > 0)).to(torch.float64)
        return {
            "loss": float(loss),
            "grad": logp.grad.reshape(-1).tolist(),
            "kl": None if kl_tok is None else token_mean(kl_tok),
            "clip_low": token_mean(low),
            "clip_high": token_mean(high),
            "clip_total": token_mean(low + high),
            "ratio": token_mean(ratio),
        }


def masked_std(x, valid, dim, unbiased):
    """Standard deviation of the valid entries along dim (0 where fewer than two, or one for population)."""
    count = valid.sum(dim, keepdim=True)
    mean = torch.where(valid, x, 0).sum(dim, keepdim=True) / count.clamp(min=1)
    ss = torch.where(valid, (x - mean) ** 2, 0).sum(dim, keepdim=True)
    dof = count - 1 if unbiased else count
    return mean, torch.where(dof > 0, torch.sqrt(ss / dof.clamp(min=1)), 0)


def run_advantages(c):
    r = torch.tensor([float("nan") if x is None else x for x in c["rewards"]], dtype=torch.float64)
    g = r.reshape(-1, c["group"])
    valid = ~torch.isnan(g)
    unbiased = c["std"] == "sample"
    mean, group_std = masked_std(g, valid, 1, unbiased)
    if c["scale"] == "group":
        scale = group_std + c["eps"]
    elif c["scale"] == "batch":
        flat_valid = valid.reshape(1, -1)
        _, batch_std = masked_std(g.reshape(1, -1), flat_valid, 1, unbiased)
        scale = batch_std + c["eps"]
    else:
        scale = torch.ones_like(group_std)
    adv = torch.where(valid, (g - mean) / scale, 0)
    return {"advantages": adv.reshape(-1).tolist(), "group_std": group_std.reshape(-1).tolist()}


def main():
    req = json.load(sys.stdin)
    if req.get("version") != VERSION:
        sys.exit(f"grpo_loss.py: request version {req.get('version')} != {VERSION}")
    out = {"version": VERSION, "results": [run_case(c) for c in req.get("cases", [])]}
    if "advantages" in req:
        out["advantages"] = [run_advantages(c) for c in req["advantages"]]
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
