"""``--arrays torch``: a module of torch functions checked with no wrapper of its own."""

import numpy as np
import pytest

import reference as ref
from conformance import arrays

torch = pytest.importorskip("torch")
from tests.tensor_modules import torch_kernels  # noqa: E402


def test_numpy_in_numpy_out_and_dtypes_kept():
    wrapped = arrays.wrap(torch_kernels, "torch", "cpu")
    z = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 5.0]])
    got = wrapped.softmax(z)
    assert isinstance(got, np.ndarray) and got.dtype == np.float64
    np.testing.assert_allclose(got, ref.softmax(z), rtol=1e-15)
    assert wrapped.softmax(z.astype(np.float32)).dtype == np.float32


def test_bfloat16_round_trip():
    import ml_dtypes

    z = np.array([[1.0, 2.0, 3.0]]).astype(ml_dtypes.bfloat16)
    got = arrays.wrap(torch_kernels, "torch", "cpu").softmax(z)
    assert got.dtype == np.dtype(ml_dtypes.bfloat16)
    # softmax of [1, 2, 3]: e^k / (e + e^2 + e^3), within one bfloat16 ulp (2^-8 relative)
    e = np.exp([1.0, 2.0, 3.0])
    np.testing.assert_allclose(got.astype(np.float64), [e / e.sum()], rtol=2**-8)


def test_gradient_from_autograd_with_a_cotangent():
    wrapped = arrays.wrap(torch_kernels, "torch", "cpu")
    assert "autograd" in wrapped.GRADIENTS["softmax_cross_entropy_grad"]
    z = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]])
    y = np.array([2, 0])
    c = np.array([0.5, -2.0])
    got = wrapped.softmax_cross_entropy_grad(z, y, reduction="none", cotangent=c)
    # d/dz of sum_n c_n l_n is c_n (softmax(z_n) - onehot(y_n))
    expected = c[:, None] * (ref.softmax(z) - np.eye(3)[y])
    np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-16)


def test_unsupported_option_is_not_implemented():
    wrapped = arrays.wrap(torch_kernels, "torch", "cpu")
    with pytest.raises(NotImplementedError):
        wrapped.softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 1]), weight=np.ones(3))


def test_missing_cuda_is_a_clear_error():
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present")
    with pytest.raises(arrays.DeviceUnavailable, match="cuda"):
        arrays.wrap(torch_kernels, "torch", "cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_cuda_round_trip():
    got = arrays.wrap(torch_kernels, "torch", "cuda").softmax(np.array([[0.0, 0.0]]))
    np.testing.assert_array_equal(got, [[0.5, 0.5]])


def test_command_checks_a_torch_module_with_no_wrapper(tmp_path):
    import json
    import subprocess
    import sys

    report = tmp_path / "r.json"
    proc = subprocess.run(
        [sys.executable, "-m", "conformance", "--impl", "tests.tensor_modules.torch_kernels",
         "--arrays", "torch", "--only", "softmax,softmax_cross_entropy_grad", "--report", str(report),
         "--max-examples", "5"],
        capture_output=True, text=True, timeout=600)
    assert proc.returncode in (0, 1), proc.stderr
    data = json.loads(report.read_text())
    assert data["options"]["arrays"] == "torch" and data["options"]["device"] == "cpu"
    assert "autograd" in data["gradients"]["softmax_cross_entropy_grad"]
    statuses = {r["check"]: r["status"] for r in data["results"]}
    # torch's softmax of finite logits is right: the definition's value checks pass
    assert statuses["softmax.value.rows"] == "pass"
    assert statuses["softmax.special.posinf"] in ("fail", "known_deviation")  # inf - inf = NaN in torch


def test_builtin_adapter_refuses_arrays_and_a_missing_device():
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "conformance", "--impl", "torch", "--arrays", "torch",
                           "--only", "softmax"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and "takes numpy arrays" in proc.stderr
    if not torch.cuda.is_available():
        proc = subprocess.run([sys.executable, "-m", "conformance", "--impl", "torch", "--device", "cuda",
                               "--only", "softmax"], capture_output=True, text=True, timeout=300)
        assert proc.returncode == 2 and "CUDA" in proc.stderr


def test_jax_adapter_takes_a_device():
    """--device for the built-in jax adapter: the CPU works, a missing GPU is a
    usage error naming the device (exit 2), never a silent CPU run."""
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "conformance", "--impl", "jax", "--device", "cpu",
                           "--only", "logsumexp"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-1500:] + proc.stderr[-1500:]
    import jax

    if not any(d.platform == "gpu" for d in jax.devices()):
        proc = subprocess.run([sys.executable, "-m", "conformance", "--impl", "jax", "--device", "cuda",
                               "--only", "logsumexp"], capture_output=True, text=True, timeout=300)
        assert proc.returncode == 2 and "--device cuda" in proc.stderr
