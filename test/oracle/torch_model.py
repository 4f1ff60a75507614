"""PyTorch whole-model oracle for r1ts tests.

Usage: /usr/bin/python3 test/oracle/torch_model.py <model_dir> <request.json> <out.safetensors>

model_dir holds config.json and model.safetensors (F32, F16 or BF16; or a sharded
model.safetensors.index.json). Loading is strict: every checkpoint name and shape must match the model
that reference_model.build_model makes from config.json, and a mismatch exits non-zero listing all of them.

request.json:
  {"tokens": [[int, ...], ...]   B rows of equal length T (positions 0..T-1)
   "targets": [[int, ...], ...] | null   same shape; -100 = ignored position
   "aux_loss_alpha": float        default 0: V3 sequence-wise balance loss weight, per MoE layer
   "grads": bool                  default false; needs targets
   "threads": int                 default 1 (torch.set_num_threads)
   "dtype": "float32" | "float64" default float32: the precision the model runs in}

out.safetensors (all F32):
  logits [B, T, V]
  expert_load.<layer index> [E]   each MoE layer: share of the B·T·K (token, slot) assignments per expert
  with targets: ce_loss [] (mean over non-ignored positions; 0 when every target is ignored),
                aux_loss [] (0 without MoE or with alpha 0), loss [] = ce_loss + aux_loss
  with grads:   grad.<name> for every trainable state_dict name (all but e_score_correction_bias),
                d loss / d param (zeros for parameters the batch does not reach, e.g. unused experts)
"""
import json
import os
import sys

sys.dont_write_bytecode = True  # keep test/oracle free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402

import reference_model as rm  # noqa: E402


def fail(msg):
    sys.stderr.write(f"torch_model.py: {msg}\n")
    sys.exit(2)


def rows(name, value):
    if not isinstance(value, list) or not value or not all(isinstance(r, list) for r in value):
        fail(f"{name} must be a non-empty list of rows")
    if len({len(r) for r in value}) != 1 or len(value[0]) == 0:
        fail(f"{name}: rows must be non-empty and of equal length")
    return torch.tensor(value, dtype=torch.long)


def main(argv):
    if len(argv) != 4:
        fail("usage: torch_model.py <model_dir> <request.json> <out.safetensors>")
    model_dir, req_path, out_path = argv[1:]
    with open(req_path) as f:
        req = json.load(f)
    torch.set_num_threads(int(req.get("threads") or 1))
    dtype = {"float32": torch.float32, "float64": torch.float64}.get(req.get("dtype") or "float32")
    if dtype is None:
        fail(f"dtype must be float32 or float64, got {req.get('dtype')!r}")
    with open(os.path.join(model_dir, "config.json")) as f:
        config = json.load(f)

    model = rm.build_model(config)
    try:
        rm.load_weights(model, rm.load_checkpoint(model_dir))
    except ValueError as e:
        fail(str(e))
    model = model.to(dtype)

    tokens = rows("tokens", req.get("tokens"))
    V = config["vocab_size"]
    if tokens.min() < 0 or tokens.max() >= V:
        fail(f"token ids must lie in [0, {V})")
    targets = req.get("targets")
    if targets is not None:
        targets = rows("targets", targets)
        if targets.shape != tokens.shape:
            fail(f"targets shape {list(targets.shape)} differs from tokens {list(tokens.shape)}")
        bad = (targets != -100) & ((targets < 0) | (targets >= V))
        if bad.any():
            fail(f"targets must lie in [0, {V}) or be -100")
    want_grads = bool(req.get("grads"))
    if want_grads and targets is None:
        fail("grads needs targets")
    alpha = float(req.get("aux_loss_alpha") or 0.0)

    out = {}
    with torch.set_grad_enabled(want_grads):
        res = model(tokens, aux_loss_alpha=alpha)
        out["logits"] = res.logits
        for i, load in sorted(res.expert_load.items()):
            out[f"expert_load.{i}"] = load
        if targets is not None:
            flat_t = targets.reshape(-1)
            valid = flat_t != -100
            logp = torch.log_softmax(res.logits.reshape(-1, V), dim=-1)
            picked = logp.gather(1, flat_t.clamp(min=0)[:, None])[:, 0]
            n = int(valid.sum())
            ce = -(picked * valid).sum() / max(n, 1)
            loss = ce + res.aux_loss
            out["ce_loss"], out["aux_loss"], out["loss"] = ce, res.aux_loss, loss
            if want_grads:
                loss.backward()
                params = dict(model.named_parameters())
                for name in rm.trainable_names(model):
                    p = params[name]
                    out[f"grad.{name}"] = p.grad if p.grad is not None else torch.zeros_like(p)
    rm.write_safetensors(out_path, out)


if __name__ == "__main__":
    main(sys.argv)
