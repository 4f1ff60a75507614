"""PyTorch-eager whole-model peer for r1ts model benchmarks.

Usage: /usr/bin/python3 bench/torch_model_peer.py <model_dir> '<json args>'
  (the second argument may also be the path of a JSON file)
args: {"batch": B, "seq": T, "threads": n, "warmup": w, "iters": n, "lr": 1e-3,
       "aux_loss_alpha": 1e-4, "mode": "train" | "prefill",
       "tokens": optional path of a JSON file {"ids": [[...] × B], "targets": [[...] × B]}, each row T long,
       "report_loss": optional bool}

Builds the model with test/oracle/reference_model.py, loads model_dir's weights (strict), takes the token
ids and targets from "tokens" (so a caller can check its own loss on the very same batch) or else draws
them (targets = the next token) from a fixed seed, then times each iteration with time.perf_counter:
  train:   forward + cross-entropy (+ V3 balance loss when alpha > 0 and the model has MoE) + backward
           + torch.optim.AdamW step (weight_decay 0.1, betas (0.9, 0.95)) + zero_grad
  prefill: forward under torch.no_grad() (logits for every position)
Prints one JSON line: {"mode", "tokens_per_s" (B·T / median iteration time), "ms_per_iter": [...],
"batch", "seq", "threads", "torch", "omp_wait_policy"}, plus with report_loss "first_loss": the loss of the
first (untimed warm-up, else first timed) iteration on the initial weights — train: cross-entropy + balance
loss as trained; prefill: the cross-entropy of the logits against the targets, computed outside the step.
OMP_WAIT_POLICY defaults to PASSIVE (see below).
"""
import json
import os
import statistics
import sys
import time

sys.dont_write_bytecode = True
# libgomp's default active spin-wait stalled badly on this shared 2-core machine at 2 threads (medians 2-4x
# slower, single iterations up to 30x). Passive waiting costs some wake-up latency instead (tiny MoE train
# step: ~78 ms passive vs ~65 ms for the best active iterations) but is stable. It must be set before torch
# loads libgomp; an OMP_WAIT_POLICY already in the environment wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "oracle"))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import reference_model as rm  # noqa: E402


def main(argv):
    a, config, model = rm.open_peer(argv, "torch_model_peer.py")
    B, T = int(a.get("batch", 1)), int(a.get("seq", 128))
    threads = int(a.get("threads") or 1)
    warmup, iters = int(a.get("warmup", 1)), int(a.get("iters", 5))
    mode = a.get("mode", "train")
    alpha = float(a.get("aux_loss_alpha", 1e-4) or 0.0)
    if mode not in ("train", "prefill"):
        sys.stderr.write(f"mode must be train or prefill, got {mode!r}\n")
        sys.exit(2)
    torch.set_num_threads(threads)
    V = config["vocab_size"]
    if a.get("tokens"):
        tokens, targets = read_tokens(a["tokens"], B, T, V)
    else:
        g = torch.Generator().manual_seed(1234)
        seq = torch.randint(0, V, (B, T + 1), generator=g)
        tokens, targets = seq[:, :T], seq[:, 1:]

    if mode == "train":
        model.train()
        opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=float(a.get("lr", 1e-3)),
                                betas=(0.9, 0.95), weight_decay=0.1)

        def step():
            out = model(tokens, aux_loss_alpha=alpha)
            loss = F.cross_entropy(out.logits.reshape(-1, V), targets.reshape(-1)) + out.aux_loss
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
            return loss

        def loss_of(loss):
            return loss.item()
    else:
        model.eval()

        def step():
            with torch.no_grad():
                return model(tokens).logits

        def loss_of(logits):
            with torch.no_grad():
                return F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1)).item()

    first_loss = None
    ms = []
    for i in range(warmup + iters):
        t0 = time.perf_counter()
        out = step()
        elapsed = (time.perf_counter() - t0) * 1000.0
        if i >= warmup:
            ms.append(elapsed)
        if i == 0 and a.get("report_loss"):
            first_loss = loss_of(out)
        del out
    med = statistics.median(ms) if ms else float("nan")
    result = {"mode": mode, "tokens_per_s": B * T / (med / 1000.0) if ms else None, "ms_per_iter": ms,
              "batch": B, "seq": T, "threads": threads, "torch": torch.__version__,
              "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY")}
    if a.get("report_loss"):
        result["first_loss"] = first_loss
    print(json.dumps(result))


def read_tokens(path, B, T, V):
    """ids and targets [B, T] (int64) from a JSON file; a wrong shape or an id outside 0..V-1 is an error."""
    with open(path) as f:
        data = json.load(f)
    out = []
    for key in ("ids", "targets"):
        t = torch.tensor(data[key], dtype=torch.int64)
        if tuple(t.shape) != (B, T):
            raise ValueError(f"{path}: {key} has shape {list(t.shape)}, expected [{B}, {T}] (batch, seq)")
        if t.min().item() < 0 or t.max().item() >= V:
            raise ValueError(f"{path}: {key} holds ids outside 0..{V - 1}")
        out.append(t)
    return out[0], out[1]


if __name__ == "__main__":
    main(sys.argv)
