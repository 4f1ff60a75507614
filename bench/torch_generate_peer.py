"""PyTorch-eager greedy-generation peer for the r1ts `generate` benchmark.

Usage: /usr/bin/python3 bench/torch_generate_peer.py <model_dir> '<json args>'
  (the second argument may also be the path of a JSON file)
args: {"prompts": path of a JSON file {"ids": [[...] × N]} of equal-length prompts,
       "cases": [{"batch": B, "new_tokens": G}, ...] (B ≤ N: the first B prompts),
       "threads": n, "mode": "check" | "time", "warmup": w, "iters": n}

Builds the model with test/oracle/reference_model.py and loads model_dir's weights (strict). One
generation of a case, under torch.no_grad() with the reference model's Hugging Face style KV cache:
  prefill: one forward over the B prompts [B, P] that fills the cache and returns the last position's
           logits; argmax → each row's first token
  decode:  G − 1 forwards of the B newest tokens [B, 1] with the cache; argmax → the next tokens
Greedy, no stop tokens, so every row produces exactly G tokens.
  check: one generation per case, untimed; prints its token ids, so the caller can compare them with
         its own before anything is timed.
  time:  w untimed generations, then n timed ones; each phase is timed with time.perf_counter. Every
         generation must produce the same token ids (the model is deterministic), or the peer fails.
Prints one JSON line: {"mode", "threads", "torch", "omp_wait_policy", "cases": [{"batch", "new_tokens",
"prompt_len", "tokens": [[G ids] × B] (of the first generation), and for time: "prefill_ms": [...],
"decode_ms": [...]}]}. OMP_WAIT_POLICY defaults to PASSIVE, as in torch_model_peer.py.
"""
import json
import os
import sys
import time

sys.dont_write_bytecode = True
# See torch_model_peer.py: libgomp's active spin-wait stalls on this shared machine; must precede torch.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "oracle"))

import torch  # noqa: E402

import reference_model as rm  # noqa: E402


def generate(model, prompts, new_tokens):
    """Greedy generation of new_tokens per row of prompts [B, P]: (token ids [B, G], prefill s, decode s)."""
    with torch.no_grad():
        t0 = time.perf_counter()
        cache = model.new_cache()
        nxt = model(prompts, cache=cache, logits_to_keep=1).logits[:, -1].argmax(-1)  # [B]
        out = [nxt]
        t1 = time.perf_counter()
        for _ in range(new_tokens - 1):
            nxt = model(nxt[:, None], cache=cache).logits[:, -1].argmax(-1)
            out.append(nxt)
        ids = torch.stack(out, dim=1)
        t2 = time.perf_counter()
    return ids.tolist(), t1 - t0, t2 - t1


def main(argv):
    a, config, model = rm.open_peer(argv, "torch_generate_peer.py")
    model.eval()
    mode = a.get("mode", "time")
    if mode not in ("check", "time"):
        sys.stderr.write(f"mode must be check or time, got {mode!r}\n")
        sys.exit(2)
    threads = int(a.get("threads") or 1)
    warmup, iters = (0, 1) if mode == "check" else (int(a.get("warmup", 1)), int(a.get("iters", 3)))
    torch.set_num_threads(threads)

    prompts = read_prompts(a["prompts"], config["vocab_size"])

    cases = []
    for c in a["cases"]:
        B, G = int(c["batch"]), int(c["new_tokens"])
        if not 1 <= B <= prompts.shape[0] or G < 1:
            raise ValueError(f"case {c}: need 1 ≤ batch ≤ {prompts.shape[0]} prompts and new_tokens ≥ 1")
        first, prefill_ms, decode_ms = None, [], []
        for i in range(warmup + iters):
            ids, prefill_s, decode_s = generate(model, prompts[:B], G)
            if first is None:
                first = ids
            elif ids != first:
                raise RuntimeError(f"batch {B}: generation {i} produced other token ids than the first; the model is not deterministic")
            if i >= warmup:
                prefill_ms.append(prefill_s * 1000.0)
                decode_ms.append(decode_s * 1000.0)
        case = {"batch": B, "new_tokens": G, "prompt_len": prompts.shape[1], "tokens": first}
        if mode == "time":
            case.update(prefill_ms=prefill_ms, decode_ms=decode_ms)
        cases.append(case)
    print(json.dumps({"mode": mode, "threads": threads, "torch": torch.__version__,
                      "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"), "cases": cases}))


def read_prompts(path, V):
    """Prompt ids [N, P] (int64) from a JSON file {"ids": [...]}; ragged rows or an id outside 0..V-1 is an error."""
    with open(path) as f:
        rows = json.load(f)["ids"]
    if not rows or len({len(r) for r in rows}) != 1 or len(rows[0]) == 0:
        raise ValueError(f"{path}: ids must be non-empty rows of one length (a batch of equal-length prompts)")
    t = torch.tensor(rows, dtype=torch.int64)
    if t.min().item() < 0 or t.max().item() >= V:
        raise ValueError(f"{path}: ids outside 0..{V - 1}")
    return t


if __name__ == "__main__":
    main(sys.argv)
