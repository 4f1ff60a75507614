"""PyTorch-eager whole-model peer for r1ts model benchmarks.

Usage: /usr/bin/python3 bench/torch_model_peer.py <model_dir> '<json args>'
  (the second argument may also be the path of a JSON file)
args: {"batch": B, "seq": T, "threads": n, "warmup": w, "iters": n, "lr": 1e-3,
       "aux_loss_alpha": 1e-4, "mode": "train" | "prefill"}

Builds the model with test/oracle/reference_model.py, loads model_dir's weights (strict), draws token
ids (and next-token targets) from a fixed seed, then times each iteration with time.perf_counter:
  train:   forward + cross-entropy (+ V3 balance loss when alpha > 0 and the model has MoE) + backward
           + torch.optim.AdamW step (weight_decay 0.1, betas (0.9, 0.95)) + zero_grad
  prefill: forward under torch.no_grad() (logits for every position)
Prints one JSON line: {"mode", "tokens_per_s" (B·T / median iteration time), "ms_per_iter": [...],
"batch", "seq", "threads", "torch", "omp_wait_policy"}. OMP_WAIT_POLICY defaults to PASSIVE (see below).
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
    if len(argv) != 3:
        sys.stderr.write("usage: torch_model_peer.py <model_dir> <json args>\n")
        sys.exit(2)
    model_dir, raw = argv[1], argv[2]
    if not raw.lstrip().startswith("{"):
        with open(raw) as f:
            raw = f.read()
    a = json.loads(raw)
    B, T = int(a.get("batch", 1)), int(a.get("seq", 128))
    threads = int(a.get("threads") or 1)
    warmup, iters = int(a.get("warmup", 1)), int(a.get("iters", 5))
    mode = a.get("mode", "train")
    alpha = float(a.get("aux_loss_alpha", 1e-4) or 0.0)
    if mode not in ("train", "prefill"):
        sys.stderr.write(f"mode must be train or prefill, got {mode!r}\n")
        sys.exit(2)
    torch.set_num_threads(threads)

    with open(os.path.join(model_dir, "config.json")) as f:
        config = json.load(f)
    model = rm.load_weights(rm.build_model(config), rm.load_checkpoint(model_dir))
    V = config["vocab_size"]
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
    else:
        model.eval()

        def step():
            with torch.no_grad():
                model(tokens)

    for _ in range(warmup):
        step()
    ms = []
    for _ in range(iters):
        t0 = time.perf_counter()
        step()
        ms.append((time.perf_counter() - t0) * 1000.0)
    med = statistics.median(ms) if ms else float("nan")
    print(json.dumps({"mode": mode, "tokens_per_s": B * T / (med / 1000.0) if ms else None, "ms_per_iter": ms,
                      "batch": B, "seq": T, "threads": threads, "torch": torch.__version__,
                      "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY")}))


if __name__ == "__main__":
    main(sys.argv)
