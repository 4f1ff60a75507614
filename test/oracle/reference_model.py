"""Independent PyTorch reference for the three decoder families r1ts runs (DeepSeek-V3/R1, Qwen2, Llama).

Written from the DeepSeek-V3 paper and shared/reference/deepseek-architecture.md (§0-§5), not from
Hugging Face code, but with Hugging Face parameter names, so `build_model(cfg).state_dict()` has
exactly the checkpoint's keys. Plain eager PyTorch (works on 1.13: attention is written out), any
float dtype (float32 by default; `.double()` gives a float64 oracle). Importing this module has no
side effects.

Public API
  read_safetensors(path) -> {name: tensor}      F32 / F16 / BF16 / F64 (BF16 and F16 widen to float32)
  write_safetensors(path, {name: tensor})       float32 output
  load_checkpoint(model_dir) -> {name: tensor}  model.safetensors, or the shards named by model.safetensors.index.json
  build_model(config: dict) -> nn.Module        model_type deepseek_v3 | qwen2 | llama
  load_weights(model, tensors)                  strict: every name and shape must match, both ways
  init_random(model, seed, std)                 deterministic random weights (for tests)
  trainable_names(model)                        state_dict names that get gradients (all but e_score_correction_bias)
  model(input_ids, aux_loss_alpha=0.0, cache=None, logits_to_keep=0) -> ModelOutput(logits, aux_loss, expert_load)
    logits [B, T, V] (the last logits_to_keep positions when > 0); aux_loss: the summed sequence-wise
    balance loss of the MoE layers (a 0-d tensor, 0 when alpha is 0 or there is no MoE); expert_load:
    {layer index: [E] fraction of the N·K (token, slot) assignments each routed expert received} for each
    MoE layer. With cache (from model.new_cache()), input_ids continue the cached tokens: positions start
    at the cache length, the new keys and values are appended, and every row must have the same length
    (a batch of equal-length prompts, then one token per row per step). Without it, nothing changes.
  model.new_cache() -> KVCache                  an empty Hugging Face style cache for the cached forward
"""
import collections
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

# Defaults for fields a config.json may omit; the same values as r1ts (src/model/config.ts DEFAULTS).
DEFAULTS = {
    "rms_norm_eps": 1e-6,
    "rope_theta": 10000.0,
    "tie_word_embeddings": False,
    "attention_bias": False,
    "n_group": 1,
    "topk_group": 1,
    "routed_scaling_factor": 1.0,
    "scoring_func": "sigmoid",
    "topk_method": "noaux_tc",
    "norm_topk_prob": True,
    "first_k_dense_replace": 0,
    "moe_layer_freq": 1,
}
YARN_DEFAULTS = {"beta_fast": 32.0, "beta_slow": 1.0, "mscale": 1.0, "mscale_all_dim": 0.0}

ModelOutput = collections.namedtuple("ModelOutput", ["logits", "aux_loss", "expert_load"])


# ----------------------------------------------------------------------------------------------
# safetensors: u64 LE header length N, N bytes of JSON {name: {dtype, shape, data_offsets}}, raw LE data.

_NP_DTYPES = {"F32": "<f4", "F64": "<f8", "F16": "<f2", "BF16": "<u2"}


def _decode(raw, dtype, shape):
    if dtype not in _NP_DTYPES:
        raise ValueError(f"safetensors dtype {dtype} is not supported (F32, F64, F16, BF16 are)")
    arr = np.frombuffer(raw, dtype=_NP_DTYPES[dtype])
    if dtype == "BF16":
        # bfloat16 is the high half of a float32: widen the 16 bits into the top of a 32-bit word.
        arr = (arr.astype(np.uint32) << 16).view(np.float32)
    elif dtype == "F16":
        arr = arr.astype(np.float32)
    else:
        arr = arr.astype(arr.dtype.newbyteorder("="), copy=True)
    return torch.from_numpy(np.ascontiguousarray(arr).reshape([int(s) for s in shape]))


def read_safetensors(path):
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) != 8:
            raise ValueError(f"{path}: too short for a safetensors header")
        n = int.from_bytes(head, "little")
        header = json.loads(f.read(n).decode("utf-8"))
        base = 8 + n
        out = {}
        for name, info in header.items():
            if name == "__metadata__":
                continue
            begin, end = info["data_offsets"]
            f.seek(base + begin)
            raw = f.read(end - begin)
            if len(raw) != end - begin:
                raise ValueError(f"{path}: tensor {name} runs past the end of the file")
            out[name] = _decode(raw, info["dtype"], info["shape"])
    return out


def write_safetensors(path, tensors, metadata=None):
    header, chunks, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name, t in tensors.items():
        data = t.detach().to(torch.float32).contiguous().cpu().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # data region starts 8-byte aligned, as the format's writers do
    with open(path, "wb") as f:
        f.write(len(text).to_bytes(8, "little"))
        f.write(text)
        for c in chunks:
            f.write(c)


def load_checkpoint(model_dir):
    single = os.path.join(model_dir, "model.safetensors")
    if os.path.exists(single):
        return read_safetensors(single)
    index = os.path.join(model_dir, "model.safetensors.index.json")
    if not os.path.exists(index):
        raise FileNotFoundError(f"{model_dir}: no model.safetensors or model.safetensors.index.json")
    with open(index) as f:
        shards = sorted(set(json.load(f)["weight_map"].values()))
    out = {}
    for s in shards:
        out.update(read_safetensors(os.path.join(model_dir, s)))
    return out


# ----------------------------------------------------------------------------------------------
# Building blocks


class Linear(nn.Module):
    """y = x Wᵀ (+ b); W is [out, in] as stored. Parameters start uninitialised (see init_random)."""

    def __init__(self, n_in, n_out, bias=False):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_out, n_in))
        self.bias = nn.Parameter(torch.empty(n_out)) if bias else None

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(dim))
        self.eps = eps

    def forward(self, x):
        xf = x.to(torch.promote_types(x.dtype, torch.float32))
        y = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)
        return y.to(x.dtype) * self.weight


class GatedMLP(nn.Module):
    """SwiGLU feed-forward: down(silu(gate(x)) * up(x)). Used for dense FFNs, experts and shared experts."""

    def __init__(self, dim, hidden):
        super().__init__()
        self.gate_proj = Linear(dim, hidden)
        self.up_proj = Linear(dim, hidden)
        self.down_proj = Linear(hidden, dim)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


def _scaling_kind(scaling):
    if not scaling:
        return None
    kind = scaling.get("rope_type") or scaling.get("type")
    return None if kind == "default" else kind


def inverse_frequencies(dim, theta, scaling=None):
    """The dim/2 rotary inverse frequencies θ^(-2i/dim), float64, after YaRN or Llama-3 scaling."""
    i = torch.arange(0, dim // 2, dtype=torch.float64)
    inv = theta ** (-2.0 * i / dim)
    kind = _scaling_kind(scaling)
    if kind is None:
        return inv
    if kind == "yarn":
        s = dict(YARN_DEFAULTS, **scaling)
        factor, L0 = float(s["factor"]), float(s["original_max_position_embeddings"])

        def corr_dim(rotations):  # the dim whose wavelength makes `rotations` turns over L0 positions
            return dim * math.log(L0 / (rotations * 2 * math.pi)) / (2 * math.log(theta))

        low = max(math.floor(corr_dim(float(s["beta_fast"]))), 0)
        high = min(math.ceil(corr_dim(float(s["beta_slow"]))), dim - 1)
        if low == high:
            high += 0.001
        ramp = ((i - low) / (high - low)).clamp(0.0, 1.0)  # 0 keeps the frequency, 1 divides it by factor
        return (inv / factor) * ramp + inv * (1.0 - ramp)
    if kind == "llama3":
        factor = float(scaling["factor"])
        low_f, high_f = float(scaling["low_freq_factor"]), float(scaling["high_freq_factor"])
        L0 = float(scaling["original_max_position_embeddings"])
        out = []
        for f in inv.tolist():
            wavelen = 2 * math.pi / f
            if wavelen < L0 / high_f:
                out.append(f)
            elif wavelen > L0 / low_f:
                out.append(f / factor)
            else:
                smooth = (L0 / wavelen - low_f) / (high_f - low_f)
                out.append((1 - smooth) * f / factor + smooth * f)
        return torch.tensor(out, dtype=torch.float64)
    raise NotImplementedError(f"rope_scaling type {kind!r} is not supported")


def yarn_attention_factor(scaling):
    """mscale² for the softmax scale under YaRN (1 otherwise): mscale = 0.1·mscale_all_dim·ln(factor) + 1."""
    if _scaling_kind(scaling) != "yarn":
        return 1.0
    factor = float(scaling["factor"])
    m_all = float(scaling.get("mscale_all_dim", YARN_DEFAULTS["mscale_all_dim"]) or 0.0)
    if factor <= 1 or not m_all:
        return 1.0
    m = 0.1 * m_all * math.log(factor) + 1.0
    return m * m


def rope_tables(inv_freq, T, dtype, start=0):
    """cos, sin [T, D/2] of pos·inv_freq for pos start..start+T-1 (angles in float64, amplitude 1)."""
    ang = torch.arange(start, start + T, dtype=torch.float64)[:, None] * inv_freq[None, :]
    return ang.cos().to(dtype), ang.sin().to(dtype)


def rope_interleaved(x, cos, sin):
    """Rotate consecutive pairs (x[2i], x[2i+1]) by angle_i (DeepSeek layout). x [..., T, D]."""
    a, b = x[..., 0::2], x[..., 1::2]
    return torch.stack((a * cos - b * sin, a * sin + b * cos), dim=-1).flatten(-2)


def rope_half(x, cos, sin):
    """Rotate pairs (x[i], x[i + D/2]) by angle_i (Qwen2 / Llama HF layout). x [..., T, D]."""
    h = x.shape[-1] // 2
    a, b = x[..., :h], x[..., h:]
    return torch.cat((a * cos - b * sin, a * sin + b * cos), dim=-1)


def causal_softmax(scores):
    """Softmax over the last dim of scores [..., T, S] with keys after the query masked to -inf, in ≥ fp32.

    The T queries are the last T of the S keys' positions (S - T earlier ones come from a cache)."""
    T, S = scores.shape[-2], scores.shape[-1]
    future = torch.ones(T, S, dtype=torch.bool, device=scores.device).triu(1 + S - T)
    s = scores.to(torch.promote_types(scores.dtype, torch.float32)).masked_fill(future, float("-inf"))
    return torch.softmax(s, dim=-1).to(scores.dtype)


class LayerKV:
    """One layer's cached keys and values [B, heads, S, ·], grown by concatenation as HF's DynamicCache."""

    def __init__(self):
        self.k = None
        self.v = None

    @property
    def length(self):
        return 0 if self.k is None else self.k.shape[2]

    def update(self, k, v):
        """Appends this step's k, v [B, heads, T, ·]; returns every cached key and value, this step's included."""
        if self.k is None:
            self.k, self.v = k, v
        else:
            self.k, self.v = torch.cat((self.k, k), dim=2), torch.cat((self.v, v), dim=2)
        return self.k, self.v


class KVCache:
    """The cache of the cached forward: one LayerKV per decoder layer; all B rows have the same length."""

    def __init__(self, n_layers):
        self.layers = [LayerKV() for _ in range(n_layers)]

    @property
    def length(self):
        return self.layers[0].length


# ----------------------------------------------------------------------------------------------
# DeepSeek-V3: Multi-head Latent Attention (sheet §1.2, the "naive" form) and DeepSeekMoE (§3)


class MLAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, H = c["hidden_size"], c["num_attention_heads"]
        self.H = H
        self.nope, self.rope, self.vdim = c["qk_nope_head_dim"], c["qk_rope_head_dim"], c["v_head_dim"]
        self.kv_rank = c["kv_lora_rank"]
        qk = self.nope + self.rope
        bias = bool(c.get("attention_bias", DEFAULTS["attention_bias"]))
        eps = c.get("rms_norm_eps", DEFAULTS["rms_norm_eps"])
        self.q_lora = c.get("q_lora_rank")
        if self.q_lora:
            self.q_a_proj = Linear(d, self.q_lora, bias)
            self.q_a_layernorm = RMSNorm(self.q_lora, eps)
            self.q_b_proj = Linear(self.q_lora, H * qk)
        else:
            self.q_proj = Linear(d, H * qk)
        self.kv_a_proj_with_mqa = Linear(d, self.kv_rank + self.rope, bias)
        self.kv_a_layernorm = RMSNorm(self.kv_rank, eps)
        self.kv_b_proj = Linear(self.kv_rank, H * (self.nope + self.vdim))
        self.o_proj = Linear(H * self.vdim, d, bias)
        scaling = c.get("rope_scaling")
        if _scaling_kind(scaling) not in (None, "yarn"):
            raise NotImplementedError(f"deepseek_v3: rope_scaling {scaling!r} is not supported (null or yarn)")
        self.inv_freq = inverse_frequencies(self.rope, float(c.get("rope_theta", DEFAULTS["rope_theta"])), scaling)
        self.scale = qk ** -0.5 * yarn_attention_factor(scaling)

    def forward(self, x, cache=None):
        B, T, _ = x.shape
        H = self.H
        q = self.q_b_proj(self.q_a_layernorm(self.q_a_proj(x))) if self.q_lora else self.q_proj(x)
        q = q.view(B, T, H, self.nope + self.rope).transpose(1, 2)  # [B, H, T, nope+rope]
        q_nope, q_pe = q.split([self.nope, self.rope], dim=-1)
        kv_a = self.kv_a_proj_with_mqa(x)
        latent, k_pe = kv_a.split([self.kv_rank, self.rope], dim=-1)
        kv = self.kv_b_proj(self.kv_a_layernorm(latent)).view(B, T, H, self.nope + self.vdim).transpose(1, 2)
        k_nope, v = kv.split([self.nope, self.vdim], dim=-1)  # [B, H, T, nope], [B, H, T, v]
        cos, sin = rope_tables(self.inv_freq, T, x.dtype, 0 if cache is None else cache.length)
        q_pe = rope_interleaved(q_pe, cos, sin)
        k_pe = rope_interleaved(k_pe, cos, sin)[:, None]  # [B, 1, T, rope]: one key for every head
        if cache is None:
            # q_h·k_h = q_nope·k_nope + q_pe·k_pe (k_h = concat(k_nope_h, k_pe)); the shared k_pe broadcasts.
            scores = (q_nope @ k_nope.transpose(-1, -2) + q_pe @ k_pe.transpose(-1, -2)) * self.scale
            o = causal_softmax(scores) @ v  # [B, H, T, v]
        else:
            # As HF's DeepseekV3 eager attention: cache the expanded per-head keys concat(k_nope_h, k_pe)
            # and the values, then attend over the S cached positions (this step's included).
            k, v = cache.update(torch.cat((k_nope, k_pe.expand(B, H, T, self.rope)), dim=-1), v)  # [B, H, S, ·]
            q = torch.cat((q_nope, q_pe), dim=-1)
            o = causal_softmax((q @ k.transpose(-1, -2)) * self.scale) @ v  # [B, H, T, v]
        return self.o_proj(o.transpose(1, 2).reshape(B, T, H * self.vdim))


class Router(nn.Module):
    """mlp.gate: weight [E, d] and, for topk_method noaux_tc, the selection-only e_score_correction_bias [E]."""

    def __init__(self, c):
        super().__init__()
        E = c["n_routed_experts"]
        self.weight = nn.Parameter(torch.empty(E, c["hidden_size"]))
        if c.get("topk_method", DEFAULTS["topk_method"]) == "noaux_tc":
            self.register_buffer("e_score_correction_bias", torch.zeros(E))
        else:
            self.e_score_correction_bias = None


class MoE(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["hidden_size"]
        self.E, self.K = c["n_routed_experts"], c["num_experts_per_tok"]
        self.n_group = int(c.get("n_group") or DEFAULTS["n_group"])
        self.topk_group = int(c.get("topk_group") or DEFAULTS["topk_group"])
        self.scoring = c.get("scoring_func", DEFAULTS["scoring_func"])
        self.topk_method = c.get("topk_method", DEFAULTS["topk_method"])
        self.norm_topk = bool(c.get("norm_topk_prob", DEFAULTS["norm_topk_prob"]))
        self.route_scale = float(c.get("routed_scaling_factor", DEFAULTS["routed_scaling_factor"]))
        if self.scoring not in ("sigmoid", "softmax"):
            raise NotImplementedError(f"scoring_func {self.scoring!r} is not supported")
        if self.topk_method not in ("noaux_tc", "greedy", "group_limited_greedy"):
            raise NotImplementedError(f"topk_method {self.topk_method!r} is not supported")
        if self.E % self.n_group:
            raise ValueError(f"n_group {self.n_group} does not divide n_routed_experts {self.E}")
        self.gate = Router(c)
        self.experts = nn.ModuleList(GatedMLP(d, c["moe_intermediate_size"]) for _ in range(self.E))
        n_shared = c.get("n_shared_experts") or 0
        self.shared_experts = GatedMLP(d, c["moe_intermediate_size"] * n_shared) if n_shared else None

    def route(self, x2):
        """x2 [N, d] -> (s [N, E] affinities, idx [N, K] chosen experts, w [N, K] mixing weights)."""
        logits = F.linear(x2.to(torch.promote_types(x2.dtype, torch.float32)), self.gate.weight)
        s = torch.sigmoid(logits) if self.scoring == "sigmoid" else torch.softmax(logits, dim=-1)
        with torch.no_grad():
            sel = s.detach().clone()
            bias = self.gate.e_score_correction_bias
            if bias is not None:
                sel = sel + bias.to(sel.dtype)  # the bias steers selection only
            if self.n_group > 1 and self.topk_method != "greedy":
                N = sel.shape[0]
                grouped = sel.view(N, self.n_group, self.E // self.n_group)
                if self.scoring == "sigmoid":  # V3: sum of the two best (biased) scores in the group
                    g = grouped.topk(min(2, grouped.shape[-1]), dim=-1).values.sum(-1)
                else:  # V2 device-limited routing: the best score in the group
                    g = grouped.max(dim=-1).values
                keep = torch.zeros_like(g, dtype=torch.bool)
                keep.scatter_(1, g.topk(self.topk_group, dim=-1).indices, True)
                sel = grouped.masked_fill(~keep[:, :, None], float("-inf")).view(N, self.E)
            idx = sel.topk(self.K, dim=-1).indices
        w = s.gather(1, idx)  # UNBIASED scores; the gradient reaches gate.weight through here
        if self.norm_topk:
            w = w / (w.sum(-1, keepdim=True) + 1e-20)
        return s, idx, w * self.route_scale

    def forward(self, x, aux_loss_alpha=0.0):
        B, T, d = x.shape
        x2 = x.reshape(B * T, d)
        s, idx, w = self.route(x2)
        N, K, E = x2.shape[0], self.K, self.E
        flat = idx.reshape(-1)
        counts = torch.bincount(flat, minlength=E)
        order = torch.sort(flat, stable=True).indices  # (token, slot) pairs grouped by expert
        tok = order // K
        w_sorted = w.reshape(-1)[order].to(x.dtype)
        out = torch.zeros_like(x2)
        start = 0
        for e, n in enumerate(counts.tolist()):
            if n == 0:
                continue
            t = tok[start:start + n]
            out.index_add_(0, t, self.experts[e](x2.index_select(0, t)) * w_sorted[start:start + n, None])
            start += n
        if self.shared_experts is not None:
            out = out + self.shared_experts(x2)
        load = counts.to(torch.float64) / (N * K)
        aux = None
        if aux_loss_alpha > 0:
            # V3 sequence-wise balance loss: alpha·Σ_i f_i·P_i per sequence, averaged over the batch.
            hits = torch.zeros(B, E, dtype=s.dtype)
            hits.scatter_add_(1, idx.view(B, T * K), torch.ones(B, T * K, dtype=s.dtype))
            f = hits * (E / (K * T))
            sn = s / s.sum(-1, keepdim=True) if self.scoring == "sigmoid" else s
            P = sn.view(B, T, E).mean(1)
            aux = aux_loss_alpha * (f * P).sum(-1).mean()
        return out.view(B, T, d), aux, load


class DeepseekLayer(nn.Module):
    def __init__(self, c, i):
        super().__init__()
        eps = c.get("rms_norm_eps", DEFAULTS["rms_norm_eps"])
        self.input_layernorm = RMSNorm(c["hidden_size"], eps)
        self.self_attn = MLAttention(c)
        self.post_attention_layernorm = RMSNorm(c["hidden_size"], eps)
        E = c.get("n_routed_experts") or 0
        first = c.get("first_k_dense_replace", DEFAULTS["first_k_dense_replace"]) or 0
        freq = c.get("moe_layer_freq", DEFAULTS["moe_layer_freq"]) or 1
        self.is_moe = E > 0 and i >= first and i % freq == 0
        self.mlp = MoE(c) if self.is_moe else GatedMLP(c["hidden_size"], c["intermediate_size"])

    def forward(self, h, aux_loss_alpha, cache=None):
        h = h + self.self_attn(self.input_layernorm(h), cache)
        if not self.is_moe:
            return h + self.mlp(self.post_attention_layernorm(h)), None, None
        y, aux, load = self.mlp(self.post_attention_layernorm(h), aux_loss_alpha)
        return h + y, aux, load


# ----------------------------------------------------------------------------------------------
# Qwen2 / Llama: pre-norm GQA decoder with half-split RoPE


class GQAttention(nn.Module):
    def __init__(self, c, qkv_bias, o_bias):
        super().__init__()
        d, H = c["hidden_size"], c["num_attention_heads"]
        Hk = c.get("num_key_value_heads") or H
        if H % Hk:
            raise ValueError(f"num_key_value_heads {Hk} does not divide num_attention_heads {H}")
        D = c.get("head_dim") or d // H
        self.H, self.Hk, self.D = H, Hk, D
        self.q_proj = Linear(d, H * D, qkv_bias)
        self.k_proj = Linear(d, Hk * D, qkv_bias)
        self.v_proj = Linear(d, Hk * D, qkv_bias)
        self.o_proj = Linear(H * D, d, o_bias)
        scaling = c.get("rope_scaling")
        if _scaling_kind(scaling) not in (None, "llama3"):
            raise NotImplementedError(f"{c['model_type']}: rope_scaling {scaling!r} is not supported (null or llama3)")
        self.inv_freq = inverse_frequencies(D, float(c.get("rope_theta", DEFAULTS["rope_theta"])), scaling)
        self.scale = D ** -0.5

    def forward(self, x, cache=None):
        B, T, _ = x.shape
        H, Hk, D = self.H, self.Hk, self.D
        q = self.q_proj(x).view(B, T, H, D).transpose(1, 2)
        k = self.k_proj(x).view(B, T, Hk, D).transpose(1, 2)
        v = self.v_proj(x).view(B, T, Hk, D).transpose(1, 2)
        cos, sin = rope_tables(self.inv_freq, T, x.dtype, 0 if cache is None else cache.length)
        q, k = rope_half(q, cos, sin), rope_half(k, cos, sin)
        if cache is not None:  # the Hk kv heads are cached before repetition, as in HF
            k, v = cache.update(k, v)
        S = k.shape[2]
        if Hk != H:  # query head h reads kv head h // (H / Hk)
            k = k[:, :, None].expand(B, Hk, H // Hk, S, D).reshape(B, H, S, D)
            v = v[:, :, None].expand(B, Hk, H // Hk, S, D).reshape(B, H, S, D)
        o = causal_softmax((q @ k.transpose(-1, -2)) * self.scale) @ v
        return self.o_proj(o.transpose(1, 2).reshape(B, T, H * D))


class DenseLayer(nn.Module):
    def __init__(self, c, qkv_bias, o_bias):
        super().__init__()
        eps = c.get("rms_norm_eps", DEFAULTS["rms_norm_eps"])
        self.input_layernorm = RMSNorm(c["hidden_size"], eps)
        self.self_attn = GQAttention(c, qkv_bias, o_bias)
        self.post_attention_layernorm = RMSNorm(c["hidden_size"], eps)
        self.mlp = GatedMLP(c["hidden_size"], c["intermediate_size"])

    def forward(self, h, aux_loss_alpha, cache=None):
        h = h + self.self_attn(self.input_layernorm(h), cache)
        return h + self.mlp(self.post_attention_layernorm(h)), None, None


# ----------------------------------------------------------------------------------------------
# The causal LM


class Backbone(nn.Module):
    def __init__(self, c, make_layer):
        super().__init__()
        self.embed_tokens = nn.Embedding(c["vocab_size"], c["hidden_size"], _weight=torch.empty(c["vocab_size"], c["hidden_size"]))
        self.layers = nn.ModuleList(make_layer(i) for i in range(c["num_hidden_layers"]))
        self.norm = RMSNorm(c["hidden_size"], c.get("rms_norm_eps", DEFAULTS["rms_norm_eps"]))


class CausalLM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.config = dict(c)
        mt = c.get("model_type")
        if mt == "deepseek_v3":
            make = lambda i: DeepseekLayer(c, i)  # noqa: E731
        elif mt == "qwen2":
            make = lambda i: DenseLayer(c, True, False)  # noqa: E731
        elif mt == "llama":
            b = bool(c.get("attention_bias", DEFAULTS["attention_bias"]))
            make = lambda i: DenseLayer(c, b, b)  # noqa: E731
        else:
            raise NotImplementedError(f"model_type {mt!r} is not supported (deepseek_v3, qwen2, llama)")
        self.model = Backbone(c, make)
        self.tied = bool(c.get("tie_word_embeddings", DEFAULTS["tie_word_embeddings"]))
        self.lm_head = None if self.tied else Linear(c["hidden_size"], c["vocab_size"])

    def new_cache(self):
        return KVCache(len(self.model.layers))

    def forward(self, input_ids, aux_loss_alpha=0.0, cache=None, logits_to_keep=0):
        B, T = input_ids.shape
        h = self.model.embed_tokens(input_ids)
        aux_total = torch.zeros((), dtype=h.dtype)
        loads = {}
        for i, layer in enumerate(self.model.layers):
            h, aux, load = layer(h, aux_loss_alpha, None if cache is None else cache.layers[i])
            if load is not None:
                loads[i] = load
            if aux is not None:
                aux_total = aux_total + aux.to(h.dtype)
        if logits_to_keep > 0:
            h = h[:, -logits_to_keep:]
        h = self.model.norm(h)
        head = self.model.embed_tokens.weight if self.tied else self.lm_head.weight
        return ModelOutput(F.linear(h, head), aux_total, loads)


def open_peer(argv, script):
    """A benchmark peer's inputs: argv = [script, model_dir, JSON or the path of a JSON file].
    Returns (args dict, config dict, model with the folder's weights); exits 2 on a bad command line."""
    if len(argv) != 3:
        sys.stderr.write(f"usage: {script} <model_dir> <json args>\n")
        sys.exit(2)
    model_dir, raw = argv[1], argv[2]
    if not raw.lstrip().startswith("{"):
        with open(raw) as f:
            raw = f.read()
    args = json.loads(raw)
    with open(os.path.join(model_dir, "config.json")) as f:
        config = json.load(f)
    return args, config, load_weights(build_model(config), load_checkpoint(model_dir))


def build_model(config):
    """A CausalLM for config (a parsed config.json dict) with uninitialised float32 parameters."""
    return CausalLM(config)


def trainable_names(model):
    """state_dict names that carry gradients: everything except the routers' e_score_correction_bias."""
    params = dict(model.named_parameters())
    return [n for n in model.state_dict().keys() if n in params]


def load_weights(model, tensors):
    """Copy tensors into model; raises ValueError listing every missing, unexpected or mis-shaped name."""
    sd = model.state_dict()
    missing = [n for n in sd if n not in tensors]
    unexpected = [n for n in tensors if n not in sd]
    shapes = [f"{n}: checkpoint {list(tensors[n].shape)} vs model {list(sd[n].shape)}"
              for n in sd if n in tensors and tuple(tensors[n].shape) != tuple(sd[n].shape)]
    if missing or unexpected or shapes:
        lines = []
        if missing:
            lines.append(f"missing from the checkpoint ({len(missing)}): " + ", ".join(missing))
        if unexpected:
            lines.append(f"not in the model ({len(unexpected)}): " + ", ".join(unexpected))
        if shapes:
            lines.append(f"shape mismatches ({len(shapes)}): " + "; ".join(shapes))
        raise ValueError("checkpoint does not match the model:\n  " + "\n  ".join(lines))
    with torch.no_grad():
        for n, t in sd.items():
            t.copy_(tensors[n].to(t.dtype))
    return model


def init_random(model, seed=0, std=0.02):
    """Deterministic random weights: N(0, std) matrices and biases, norms 1 + N(0, 0.1), router bias N(0, 0.1)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, t in model.state_dict().items():
            r = torch.randn(t.shape, generator=g, dtype=torch.float64)
            if name.endswith("norm.weight"):
                t.copy_(1.0 + 0.1 * r)
            elif name.endswith("e_score_correction_bias"):
                t.copy_(0.1 * r)
            else:
                t.copy_(std * r)
    return model
