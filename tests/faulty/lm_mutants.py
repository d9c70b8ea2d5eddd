"""One-line bugs of the kinds language-model loss kernels have shipped
(../shared/research/kernels.md, section 2): each wraps the reference and changes
one thing; tests/test_kernel_mutants.py asserts that each fails the clause it breaks
and that the reference passes the same checks.
"""

import numpy as np

import reference as ref

CHUNK = 1024   # a kernel's vocabulary chunk
TOKENS = 4     # a kernel's block of tokens for the weight gradient


def _sce_kwargs(kwargs):
    return {k: v for k, v in kwargs.items() if k not in ("linear_bias", "wrt", "cotangent")}


def _logits(x, w, b):
    z = np.asarray(x, dtype=np.float64) @ np.asarray(w, dtype=np.float64).T
    return z if b is None else z + np.asarray(b, dtype=np.float64)


# --- z-loss ------------------------------------------------------------------

def sce_z_loss_on_ignored_tokens(logits, target, *, z_loss=0.0, ignore_index=None, **kwargs):
    """z-loss added to every token, the ignored ones included (and at weight 1)."""
    out = ref.softmax_cross_entropy(logits, target, ignore_index=ignore_index, **kwargs)
    if not z_loss:
        return out
    lse = np.asarray(ref.logsumexp(np.asarray(logits, dtype=np.float64), axis=kwargs.get("axis", -1)))
    extra = z_loss * lse ** 2
    red = kwargs.get("reduction", "mean")
    if red == "none":
        return out + extra
    return np.float64(out + (np.sum(extra) if red == "sum" else np.mean(extra)))


def sce_z_loss_mean_over_all_tokens(logits, target, *, z_loss=0.0, **kwargs):
    """'mean' divides the z-loss by the number of tokens, not by sum(w_n) (flash-attention's reference)."""
    red = kwargs.get("reduction", "mean")
    if red != "mean" or not z_loss:
        return ref.softmax_cross_entropy(logits, target, z_loss=z_loss, **kwargs)
    base = ref.softmax_cross_entropy(logits, target, **kwargs)
    per_z = (np.asarray(ref.softmax_cross_entropy(logits, target, z_loss=z_loss, **{**kwargs, "reduction": "none"}))
             - np.asarray(ref.softmax_cross_entropy(logits, target, **{**kwargs, "reduction": "none"})))
    return np.float64(base + np.sum(per_z) / max(per_z.size, 1))


# --- softcap ------------------------------------------------------------------

def sce_softcap_after_log_softmax(logits, target, *, softcap=None, **kwargs):
    """The cap applied to the per-token loss instead of the logits."""
    if softcap is None:
        return ref.softmax_cross_entropy(logits, target, **kwargs)
    per = np.asarray(ref.softmax_cross_entropy(logits, target, **{**kwargs, "reduction": "none"}))
    capped = softcap * np.tanh(per / softcap)
    red = kwargs.get("reduction", "mean")
    if red == "none":
        return capped
    plain = ref.softmax_cross_entropy(logits, target, **{**kwargs, "reduction": "sum"})
    with np.errstate(all="ignore"):
        return np.float64(ref.softmax_cross_entropy(logits, target, **kwargs) * np.sum(capped) / plain)


def sce_grad_softcap_missing(logits, target, *, softcap=None, **kwargs):
    """The forward is capped but the backward forgets the chain rule 1 - tanh(z / c)^2."""
    if softcap is None:
        return ref.softmax_cross_entropy_grad(logits, target, **kwargs)
    with np.errstate(all="ignore"):
        capped = softcap * np.tanh(np.asarray(logits, dtype=np.float64) / softcap)
    return ref.softmax_cross_entropy_grad(capped, target, **kwargs)


# --- the fused linear path ----------------------------------------------------

def lce_drops_label_smoothing(input, linear_weight, target, *, label_smoothing=0.0, **kwargs):
    """The fused path ignores label_smoothing (Liger-Kernel 243)."""
    return ref.linear_cross_entropy(input, linear_weight, target, **kwargs)


def lce_z_loss_on_ignored_tokens(input, linear_weight, target, *, linear_bias=None, **kwargs):
    """The fused path's z-loss counts the ignored tokens."""
    z = _logits(input, linear_weight, linear_bias)
    return sce_z_loss_on_ignored_tokens(z, target, **kwargs)


def lce_double_counts_last_vocab_chunk(input, linear_weight, target, *, linear_bias=None, **kwargs):
    """The online logsumexp over vocabulary chunks adds the last, partial chunk twice."""
    z = _logits(input, linear_weight, linear_bias)
    c = z.shape[-1]
    tail = c % CHUNK
    if c > CHUNK and tail:
        z = np.concatenate([z, z[..., c - tail:]], axis=-1)   # the extra classes are never targets
    return ref.softmax_cross_entropy(z, target, **_sce_kwargs(kwargs))


def lce_drops_last_token_block(input, linear_weight, target, **kwargs):
    """Tokens in blocks of 16; a partial last block is skipped (its tokens ignored)."""
    t = np.asarray(target).copy()
    n = t.size
    ii = kwargs.get("ignore_index")
    if n > 16 and n % 16:
        t.reshape(-1)[n - n % 16:] = -100 if ii is None else ii
        kwargs = {**kwargs, "ignore_index": -100 if ii is None else ii}
    return ref.linear_cross_entropy(input, linear_weight, t, **kwargs)


def lce_bias_ignored(input, linear_weight, target, *, linear_bias=None, **kwargs):
    """The bias is accepted and never added (ml-cross-entropy 52)."""
    return ref.linear_cross_entropy(input, linear_weight, target, **kwargs)


def lce_grad_bias_not_reduced_by_mean(input, linear_weight, target, *, wrt="input", **kwargs):
    """The bias gradient sums the logits' gradient without the mean's 1 / sum(w_n)."""
    if wrt != "linear_bias" or kwargs.get("reduction", "mean") != "mean":
        return ref.linear_cross_entropy_grad(input, linear_weight, target, wrt=wrt, **kwargs)
    return ref.linear_cross_entropy_grad(input, linear_weight, target, wrt=wrt, **{**kwargs, "reduction": "sum"})


def lce_grad_weight_in_bfloat16_chunks(input, linear_weight, target, *, wrt="input", **kwargs):
    """dW accumulated over blocks of TOKENS tokens in a bfloat16 buffer (Liger-Kernel 512)."""
    return _weight_grad_in_chunks(input, linear_weight, target, wrt, kwargs, "bfloat16")


def lce_grad_weight_in_float16_chunks(input, linear_weight, target, *, wrt="input", **kwargs):
    """dW accumulated over blocks of TOKENS tokens in a float16 buffer."""
    return _weight_grad_in_chunks(input, linear_weight, target, wrt, kwargs, "float16")


def _weight_grad_in_chunks(input, linear_weight, target, wrt, kwargs, acc):
    import ml_dtypes

    dt = ml_dtypes.bfloat16 if acc == "bfloat16" else np.float16
    if wrt != "linear_weight":
        return ref.linear_cross_entropy_grad(input, linear_weight, target, wrt=wrt, **kwargs)
    x = np.asarray(input)
    out_dtype = x.dtype if x.dtype.kind == "f" else np.float64
    x64 = x.astype(np.float64).reshape(-1, x.shape[-1])
    t = np.asarray(target).reshape(-1)
    cot = kwargs.get("cotangent")
    red = kwargs.get("reduction", "mean")
    acc_buf = np.zeros(np.shape(linear_weight), dtype=dt)
    # the logits' gradient of every token (the reference's, exact), then dW = G^T X in blocks
    z = _logits(x64, linear_weight, kwargs.get("linear_bias"))
    skw = _sce_kwargs(kwargs)
    g = ref.softmax_cross_entropy_grad(z, t, **{**skw, "cotangent": None if cot is None else
                                               np.asarray(cot, dtype=np.float64).reshape(-1) if red == "none"
                                               else float(cot)})
    for i in range(0, x64.shape[0], TOKENS):
        part = g[i:i + TOKENS].T @ x64[i:i + TOKENS]
        acc_buf = (acc_buf.astype(np.float64) + part).astype(dt)
    return acc_buf.astype(np.float64).astype(out_dtype)


# --- the contract's names: a module of the reference with one bug each ---------------

def correct_module():
    """The reference's functions under the contract's names (the control)."""
    import types

    return types.SimpleNamespace(**{n: getattr(ref, n) for n in ref.__all__})
