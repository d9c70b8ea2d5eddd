"""Executables of the jax and keras adapters stored on disk by call signature
(``conformance/adapters/_stored_jit.py``).

What could go wrong, each with a test: a stored program that gives other
numbers than ``jax.jit`` (bitwise comparison, cold and warm), a warm run that
still traces or compiles (counted with JAX's monitoring events), a stored
program that does not run in a later process, two calls that
need different programs sharing one key (dtype, weak type, static argument,
``None``), a stale program surviving an edit of the code it was traced from, and
a damaged file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("jax")
pytest.importorskip("optax")

ROOT = Path(__file__).resolve().parents[1]

# Calls whose programs differ: a reduction, a vjp, a class count past a power of
# two, a narrow label dtype, float32, CTC's scan; keras' loss classes; two
# signatures that lower to one module (axis=-2 and axis=0 of a matrix: the
# second compilation would be a hit in JAX's own cache, whose executables
# serialize without their kernels).
_SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np
    import jax
    events = {"trace": 0, "compile": 0}
    def listen(event, duration, **kw):
        if event == "/jax/core/compile/jaxpr_trace_duration":
            events["trace"] += 1
        if event == "/jax/core/compile/backend_compile_duration":
            events["compile"] += 1
    from conformance.adapters import jax as jx
    from conformance.adapters import keras as ks
    r = np.random.default_rng(7)
    m = r.normal(size=(4, 6))
    z = r.normal(size=(3, 1025)); y = np.array([1024, 0, 7]); lp = jx.log_softmax(r.normal(size=(2, 9, 5)))
    lp = np.asarray(lp)
    jax.monitoring.register_event_duration_secs_listener(listen)
    out = [
        jx.softmax_cross_entropy(z, y, reduction="mean"),
        jx.softmax_cross_entropy_grad(z, y.astype(np.int16), reduction="sum", cotangent=2.0),
        jx.log_softmax(z.astype(np.float32)),
        jx.kl_divergence_grad(jx.softmax(z), jx.softmax(z[::-1]), wrt="q"),
        jx.huber_loss(z[0], z[1], delta=0.5, reduction="none"),
        jx.ctc_loss_grad(lp, np.array([[1, 2, 3], [4, 4, 0]]), np.array([9, 7]), np.array([3, 2]),
                         reduction="mean"),
        ks.softmax_cross_entropy_grad(z, y, reduction="mean"),
        ks.sigmoid_focal_loss(z[0], (z[1] > 0).astype(float), gamma=2.0, alpha=0.25, reduction="sum"),
        jx.softmax(m, axis=-2),
        jx.softmax(m, axis=0),
    ]
    json.dump({"results": [np.asarray(o).tobytes().hex() + ":" + str(np.asarray(o).dtype) for o in out],
               "events": events}, sys.stdout)
""")


def _run(cache, stored=True):
    env = dict(os.environ, PYTHONPATH=str(ROOT), JAX_COMPILATION_CACHE_DIR=str(cache),
               LOSS_SPEC_STORED_JIT="1" if stored else "0", KERAS_BACKEND="jax", JAX_PLATFORMS="cpu")
    done = subprocess.run([sys.executable, "-c", _SCRIPT], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def test_stored_programs_give_the_bits_of_jax_jit_and_a_warm_run_neither_traces_nor_compiles(tmp_path):
    plain = _run(tmp_path / "plain", stored=False)
    cold = _run(tmp_path / "stored")
    warm = _run(tmp_path / "stored")
    assert cold["results"] == plain["results"]
    assert warm["results"] == plain["results"]
    assert cold["events"]["compile"] > 0
    assert warm["events"] == {"trace": 0, "compile": 0}, warm["events"]
    assert list((tmp_path / "stored" / "loss-spec-executables").glob("*/*.pkl"))


@pytest.fixture()
def stored(tmp_path, monkeypatch):
    import jax

    from conformance.adapters import _jax_setup  # noqa: F401  (64-bit mode, as the adapters run)
    from conformance.adapters import _stored_jit

    monkeypatch.setenv("LOSS_SPEC_STORED_JIT", "1")
    old = jax.config.jax_compilation_cache_dir
    jax.config.update("jax_compilation_cache_dir", str(tmp_path))
    yield _stored_jit
    jax.config.update("jax_compilation_cache_dir", old)


def test_calls_that_need_different_programs_get_different_ones(stored):
    import jax.numpy as jnp

    scale = stored.StoredJit(lambda x, a: x * a, "test.scale")
    x = np.array([1.0, 2.0])
    # a Python float is weakly typed (the result keeps x's dtype), a numpy float32 is not
    assert scale(x, 2.0).dtype == np.float64
    assert scale(x.astype(np.float32), 2.0).dtype == np.float32
    assert scale(x.astype(np.float32), np.float64(2.0)).dtype == np.float64
    total = stored.StoredJit(lambda x, axis: jnp.sum(x, axis=axis), "test.total", "axis")
    m = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(total(m, axis=0), [3.0, 5.0, 7.0])
    np.testing.assert_array_equal(total(m, axis=1), [3.0, 12.0])
    pick = stored.StoredJit(lambda x, w: x if w is None else x * w, "test.pick")
    np.testing.assert_array_equal(pick(x, None), x)
    np.testing.assert_array_equal(pick(x, x), x * x)


def test_a_name_names_one_program(stored):
    stored.StoredJit(lambda x: x, "test.once")
    with pytest.raises(ValueError, match="test.once"):
        stored.StoredJit(lambda x: -x, "test.once")


def test_a_stored_program_that_fails_to_run_is_compiled_again(stored, monkeypatch):
    square = stored.StoredJit(lambda x: x * x, "test.failing")
    x = np.array([3.0])
    assert square(x)[0] == 9.0
    square._loaded.clear()

    class Broken:
        def __call__(self, *args):
            raise RuntimeError("NOT_FOUND: Function wrapped_multiply not found")

    with monkeypatch.context() as patch:
        patch.setattr(stored.serialize_executable, "deserialize_and_load", lambda *a: Broken())
        assert square(x)[0] == 9.0
    square._loaded.clear()
    assert square(x)[0] == 9.0  # the file written again loads and runs


def test_a_damaged_file_is_compiled_again(stored, tmp_path):
    square = stored.StoredJit(lambda x: x * x, "test.square")
    x = np.array([3.0])
    assert square(x)[0] == 9.0
    (path,) = tmp_path.glob("loss-spec-executables/*/*.pkl")
    path.write_bytes(b"not a pickle")
    square._loaded.clear()
    assert square(x)[0] == 9.0
    assert path.read_bytes() != b"not a pickle"


def test_an_edited_source_changes_the_fingerprint(tmp_path):
    from conformance.adapters import _stored_jit

    package = tmp_path / "traced_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("X = 1\n")
    (package / "ops.py").write_text("def f(x):\n    return x\n")
    sys.path.insert(0, str(tmp_path))
    try:
        before = _stored_jit._package_state("traced_pkg"), _stored_jit._source_digests(package)
        (package / "ops.py").write_text("def f(x):\n    return -x\n")
        os.utime(package / "ops.py", ns=(1, 1))  # a different mtime even on a coarse clock
        after = _stored_jit._package_state("traced_pkg"), _stored_jit._source_digests(package)
    finally:
        sys.path.remove(str(tmp_path))
    assert before[0] != after[0]
    assert before[1] != after[1]
