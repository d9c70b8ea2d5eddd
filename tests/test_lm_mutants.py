"""The large-vocabulary checks against bugs that language-model loss kernels ship
(tests/faulty/lm_mutants.py): each fails the clause it breaks, and the reference
passes those checks."""

import pytest

from tests._mutants import CHECKS, statuses as _statuses
from tests.faulty import lm_mutants as lm

MUTANTS = [
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
def test_lm_bug_fails_its_clause(function, mutant, clause):
    rows = _statuses(function, mutant, clause)
    assert any(status in ("fail", "error") for _, status, _ in rows), rows


@pytest.mark.parametrize("function, clause", sorted({(m[0], m[2]) for m in MUTANTS}))
def test_reference_passes_the_same_checks(function, clause):
    rows = _statuses(function, None, clause)
    assert all(status == "pass" for _, status, _ in rows), rows
