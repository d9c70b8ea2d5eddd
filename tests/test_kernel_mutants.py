"""The suite against bugs that fast kernels ship (tests/faulty/kernel_mutants.py,
and for the language-model losses tests/faulty/lm_mutants.py): each fails the
clause it breaks, and the reference passes those checks."""

import types

import pytest

from tests._mutants import CHECKS, reference_with, statuses as _statuses
from tests.faulty import kernel_mutants as km
from tests.faulty import lm_mutants as lm

MUTANTS = [
    ("logsumexp", km.logsumexp_drops_partial_chunk, "conv.sizes"),
    ("softmax_cross_entropy", km.sce_chunk_boundary_off_by_one, "conv.sizes"),
    ("mean_squared_error", km.mse_mean_of_block_means, "conv.sizes"),
    ("sigmoid_binary_cross_entropy", km.sbce_sum_drops_partial_block, "conv.sizes"),
    ("softmax", km.softmax_float32_sum_for_large_vocab, "conv.sizes"),
    ("softmax_cross_entropy", km.sce_labels_in_int16, "conv.sizes"),
    ("nll_loss", km.nll_top_class_dropped, "conv.sizes"),
    ("ctc_loss", km.ctc_frames_capped, "conv.sizes"),
    ("nll_loss", km.nll_labels_as_int8, "conv.sizes"),
    ("softmax", km.softmax_reads_memory_order, "conv.layout"),
    ("mean_squared_error", km.mse_flattens_by_strides, "conv.layout"),
    ("softmax_cross_entropy", km.sce_reads_the_base_buffer, "conv.layout"),
    ("softmax_cross_entropy_grad", km.sce_grad_in_place, "conv.inputs-unchanged"),
    ("log_softmax", km.log_softmax_shifts_in_place, "conv.inputs-unchanged"),
    ("softmax_cross_entropy", km.sce_requires_int64, "conv.integer-targets"),
    ("ctc_loss", km.ctc_lengths_must_be_arrays, "conv.integer-targets"),
    # degenerate inputs (issue 12)
    ("softmax_cross_entropy", km.sce_weight_times_nan, "red.zero-weight"),
    ("binary_cross_entropy", km.bce_weight_times_nan, "bce.weight"),
    ("kl_divergence", km.kl_zero_p_simplified, "info.special.nan"),
    ("log_softmax", km.log_softmax_one_class_folded, "softmax.special.nan"),
    ("softmax_cross_entropy", km.sce_one_class_nan, "sce.definition"),
    ("nll_loss", km.nll_all_ignored_mean_zero, "red.mean-empty"),
    ("softmax_cross_entropy_grad", km.sce_grad_ignored_not_zeroed, "red.ignored"),
    ("nll_loss_grad", km.nll_grad_drops_weight_when_ignoring_a_class, "nll.gradient"),
    ("softmax_cross_entropy_grad", km.sce_grad_drops_smoothing_with_weights, "sce.gradient"),
    ("softmax_cross_entropy", km.sce_minus_100_always_ignored, "sce.invalid.class-index"),
    ("focal_loss_grad", km.focal_grad_naive_power, "focal.gradient"),
    # language-model losses (tests/faulty/lm_mutants.py)
    ("softmax_cross_entropy", lm.sce_z_loss_on_ignored_tokens, "zloss.ignored"),
    ("softmax_cross_entropy", lm.sce_z_loss_mean_over_all_tokens, "zloss.mean"),
    ("softmax_cross_entropy", lm.sce_softcap_after_log_softmax, "softcap.definition"),
    ("softmax_cross_entropy_grad", lm.sce_grad_softcap_missing, "softcap.gradient"),
    ("linear_cross_entropy", lm.lce_drops_label_smoothing, "lce.label-smoothing"),
    ("linear_cross_entropy", lm.lce_z_loss_on_ignored_tokens, "lce.definition"),
    ("linear_cross_entropy", lm.lce_double_counts_last_vocab_chunk, "lce.sizes"),
    ("linear_cross_entropy", lm.lce_drops_last_token_block, "lce.sizes"),
    ("linear_cross_entropy", lm.lce_bias_ignored, "lce.bias"),
    ("linear_cross_entropy_grad", lm.lce_grad_bias_not_reduced_by_mean, "lce.gradient"),
    ("linear_cross_entropy_grad", lm.lce_grad_weight_in_bfloat16_chunks, "lce.accuracy"),
    ("linear_cross_entropy_grad", lm.lce_grad_weight_in_float16_chunks, "lce.accuracy"),
]


@pytest.mark.parametrize("function, mutant, clause", MUTANTS, ids=[m[1].__name__ for m in MUTANTS])
def test_kernel_bug_fails_its_clause(function, mutant, clause):
    rows = _statuses(function, mutant, clause)
    assert any(status in ("fail", "error") for _, status, _ in rows), rows


@pytest.mark.parametrize("function, clause", sorted({(m[0], m[2]) for m in MUTANTS}))
def test_reference_passes_the_same_checks(function, clause):
    rows = _statuses(function, None, clause)
    assert all(status == "pass" for _, status, _ in rows), rows


# --- low precision: the deliberately wrong bfloat16 kernel ------------------------

LOW_PRECISION = [
    ("softmax_cross_entropy_grad", km.sce_grad_target_entry_in_low_precision, km.sce_grad_rounded_once),
    ("softmax_cross_entropy", km.sce_loss_summed_in_low_precision, km.sce_loss_rounded_once),
]


def _low_precision_verdict(function, dtype, replacement):
    from conformance.context import Context
    from conformance.registry import DTYPES, Failure

    impl = reference_with(function, None)
    ctx = Context(impl, function=function, dtypes=DTYPES)
    try:
        CHECKS[f"{function}.dtype.{dtype}"].body(replacement, ctx)
    except Failure as f:
        return "fail", f.message
    return "pass", ""


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
@pytest.mark.parametrize("function, in_low_precision, in_float32", LOW_PRECISION,
                         ids=[m[1].__name__ for m in LOW_PRECISION])
def test_low_precision_kernel_fails_where_float32_passes(function, in_low_precision, in_float32, dtype):
    assert _low_precision_verdict(function, dtype, in_low_precision)[0] == "fail"
    assert _low_precision_verdict(function, dtype, in_float32) == ("pass", "")


# --- the baseline verdict of low-precision checks (--baseline) ------------------------------

def _baseline_verdict(function, dtype, replacement, baseline):
    from conformance.context import Context
    from conformance.registry import DTYPES, Failure

    impl = reference_with(function, None)
    ctx = Context(impl, function=function, dtypes=DTYPES, baseline=baseline)
    try:
        CHECKS[f"{function}.dtype.{dtype}"].body(replacement, ctx)
    except Failure:
        pass
    return ctx.baseline_verdict()


@pytest.mark.parametrize("function, in_low_precision, in_float32", LOW_PRECISION,
                         ids=[m[1].__name__ for m in LOW_PRECISION])
def test_baseline_verdict_names_the_excess_over_a_float32_kernel(function, in_low_precision, in_float32):
    # The baseline is the same kernel computing in float32: the low-precision one is
    # worse than it by some ulps at some inputs, and the float32 one never is.
    baseline = types.SimpleNamespace(**{function: in_float32, "BASELINE_NAME": "float32 kernel"})
    worse = _baseline_verdict(function, "bfloat16", in_low_precision, baseline)
    assert worse["worse_cases"] > 0 and worse["worst_excess_ulps"] not in (0, 0.0), worse
    assert worse["verdict"].startswith("worse than float32 kernel by "), worse
    same = _baseline_verdict(function, "bfloat16", in_float32, baseline)
    assert same["worse_cases"] == 0 and same["verdict"] == "at least as accurate as float32 kernel at every input"
    assert same["cases"] == worse["cases"] > 0


def test_baseline_that_raises_is_not_blamed():
    def broken(*args, **kwargs):
        raise RuntimeError("no bfloat16 kernel")

    baseline = types.SimpleNamespace(softmax_cross_entropy=broken, BASELINE_NAME="broken")
    verdict = _baseline_verdict("softmax_cross_entropy", "bfloat16", km.sce_loss_rounded_once, baseline)
    assert verdict["baseline_failed"] == verdict["cases"] > 0
    assert verdict["verdict"] == "broken could not compute these inputs"


def test_no_baseline_no_verdict():
    assert _baseline_verdict("softmax_cross_entropy", "bfloat16", km.sce_loss_rounded_once, None) is None
