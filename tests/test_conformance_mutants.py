"""The suite tests itself: plausible bugs fail the clause they break; the reference passes."""

import types

import pytest

import reference as ref
from conformance.registry import load_all_checks
from conformance.run_check import run_check
from tests.faulty import mutants

CHECKS = load_all_checks()


def _failed_clauses(function, replacement):
    impl = types.SimpleNamespace(**{n: getattr(ref, n) for n in ref.__all__})
    setattr(impl, function, replacement)
    rows = [run_check(c, impl, max_examples=10) for c in CHECKS.values() if c.function == function]
    return {r["clause"] for r in rows if r["status"] in ("fail", "error")}


@pytest.mark.parametrize("function, mutant, clause", [
    ("softmax", mutants.unstable_softmax, "softmax.special.huge"),
    ("kl_divergence", mutants.swapped_kl, "info.kl.definition"),
    ("kl_divergence", mutants.swapped_kl, "info.prop.kl-asymmetric"),
    ("softmax_cross_entropy", mutants.weighted_mean_over_n, "red.weights.sce"),
    ("binary_cross_entropy", mutants.clamped_bce, "bce.special.zero-one"),
    ("entropy", mutants.float32_entropy, "info.accuracy"),
    ("focal_loss", mutants.no_modulation_focal, "focal.def"),
    ("softmax_cross_entropy_grad", mutants.wrong_sign_sce_grad, "sce.gradient"),
    ("ctc_loss", mutants.ctc_mean_over_target_length, "ctc.reduction"),
    ("ctc_loss", mutants.ctc_ignoring_input_lengths, "ctc.padding"),
    ("ctc_loss_grad", mutants.ctc_grad_through_log_softmax, "ctc.gradient"),
    ("root_mean_squared_error", mutants.root_inside_the_mean, "reg.rmse.def"),
    ("huber_loss", mutants.huber_quadratic_everywhere, "reg.huber.def"),
    ("softmax_cross_entropy", mutants.smoothing_over_other_classes, "sce.definition"),
    ("softmax_cross_entropy", mutants.ignored_samples_in_the_mean, "sce.special.all-ignored-mean-nan"),
    ("log_softmax", mutants.log_of_softmax, "softmax.special.confident"),
    ("sigmoid_binary_cross_entropy", mutants.naive_sigmoid_bce, "sbce.special.huge"),
    ("nll_loss", mutants.nll_without_selecting, "nll.selects-target"),
    ("nll_loss_grad", mutants.nll_grad_real_class_not_ignored, "nll.gradient"),
    ("entropy", mutants.entropy_in_bits, "info.base"),
    ("ctc_loss_grad", mutants.ctc_grad_ignoring_cotangent, "red.gradient.cotangent"),
    ("softmax_cross_entropy_grad", mutants.sce_grad_mean_cotangent, "red.gradient.cotangent"),
    ("binary_cross_entropy_grad", mutants.bce_grad_cotangent_twice, "red.gradient.cotangent"),
])
def test_mutant_fails_its_clause(function, mutant, clause):
    assert clause in _failed_clauses(function, mutant)


@pytest.mark.parametrize("function", sorted({c.function for c in CHECKS.values()}))
def test_reference_passes_every_check(function):
    impl = types.SimpleNamespace(**{n: getattr(ref, n) for n in ref.__all__})
    if not hasattr(impl, function):
        pytest.skip(f"the reference has no {function} yet")
    bad = [(r["check"], r["message"]) for c in CHECKS.values() if c.function == function
           for r in [run_check(c, impl, max_examples=10)] if r["status"] in ("fail", "error")]
    assert not bad
