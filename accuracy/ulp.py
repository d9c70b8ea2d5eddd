"""Errors in units in the last place (ulps) of float64, against exact values.

An exact value ``x`` (from mpmath) is stored as a *double-double* ``hi + lo``:
``hi`` is ``x`` rounded to float64 and ``lo`` the float64 nearest to
``x - hi``.  That keeps the exact value to about 106 bits, so a correctly
rounded result shows an error of at most 0.5 ulp, not up to 1.

The error of a finite result ``got`` against a finite exact value ``x`` is

.. math:: \\mathrm{err} = \\frac{|\\mathrm{got} - x|}{\\operatorname{ulp}(x)},
          \\qquad \\operatorname{ulp}(x) = 2^{\\max(e, -1022) - 52},
          \\quad 2^e \\le |x| < 2^{e+1},

the IEEE unit of the binade that holds ``x`` (the spacing of float64 there).
Every element falls in exactly one *category*:

``finite``
    ``x`` is a normal float64 magnitude (``2**-1022 <= |x| <= DBL_MAX``): the
    error in ulps is measured.  A ``got`` that is NaN or infinite is a mismatch
    (counted, not measured).
``underflow``
    ``|x| < 2**-1022``, zero included.  The spec lets an implementation
    return any number of magnitude at most ``2**-1022`` with the sign of ``x``
    there (flushing subnormals to zero and gradual underflow both conform), so
    this is a match or a mismatch, not an error in ulps.
``inf``
    ``x`` is ``±inf`` (a limit the spec names, or an exact value beyond
    ``DBL_MAX`` that rounds to infinity): ``got`` must equal it.
``nan``
    ``x`` is NaN (the spec's ``0/0`` cases): ``got`` must be NaN.
"""

from __future__ import annotations

import numpy as np

SMALLEST_NORMAL = 2.0 ** -1022
CATEGORIES = ("finite", "underflow", "inf", "nan")


def ulp(x):
    """The IEEE unit in the last place of float64 at ``|x|``.

    ``2**(e - 52)`` for ``2**e <= |x| < 2**(e + 1)``, and ``2**-1074`` (the
    spacing of the subnormals) below the smallest normal number, zero included.

    Examples
    --------
    >>> import numpy as np
    >>> from accuracy.ulp import ulp
    >>> ulp(np.array([1.0, 1.5, 2.0, -0.75, 0.0]))
    array([2.22044605e-16, 2.22044605e-16, 4.44089210e-16, 1.11022302e-16,
           4.94065646e-324])
    """
    a = np.abs(np.asarray(x, dtype=np.float64))
    _, e = np.frexp(a)  # a = m * 2**e with 0.5 <= m < 1: the binade is e - 1
    e = np.where(a == 0, -1022, e - 1)
    return np.ldexp(1.0, np.maximum(e, -1022) - 52)


def exact_ulp(hi, lo):
    """``ulp(x)`` of the exact value ``x = hi + lo``.

    Equal to ``ulp(hi)`` except when rounding carried ``x`` up to a power of
    two: ``|hi| = 2**e`` with ``lo`` of the other sign means ``x`` lies in the
    binade below, where the unit is half as large.
    """
    hi = np.asarray(hi, dtype=np.float64)
    lo = np.asarray(lo, dtype=np.float64)
    u = ulp(hi)
    m, _ = np.frexp(np.abs(hi))
    below = (m == 0.5) & (np.sign(lo) * np.sign(hi) < 0) & (np.abs(hi) > SMALLEST_NORMAL)
    return np.where(below, 0.5 * u, u)


def categorize(hi):
    """The category of each exact value (see the module docstring) as strings."""
    hi = np.asarray(hi, dtype=np.float64)
    cat = np.full(hi.shape, "finite", dtype=object)
    cat[np.abs(hi) < SMALLEST_NORMAL] = "underflow"
    cat[np.isinf(hi)] = "inf"
    cat[np.isnan(hi)] = "nan"
    return cat


def ulp_errors(got, hi, lo):
    """Compare results with exact values element by element.

    Parameters
    ----------
    got : array_like
        The results, converted to float64 (a float32 result is compared as the
        float64 number it is).
    hi, lo : array_like
        The exact values as double-doubles, ``x = hi + lo`` (``lo = 0`` for
        infinities, NaN and values in the underflow range).

    Returns
    -------
    errors : float64 ndarray
        The error in ulps of ``x`` for the ``finite`` category where ``got`` is
        finite; NaN elsewhere.
    mismatch : bool ndarray
        ``True`` where the element does not match under its category's rule
        (for ``finite``: ``got`` is NaN or infinite).
    category : object ndarray
        The category of each element.

    Examples
    --------
    One ulp above 1, a correctly rounded third, a NaN where a number is due:

    >>> import numpy as np
    >>> from fractions import Fraction
    >>> from accuracy.ulp import ulp_errors
    >>> got = np.array([1.0 + 2.0**-52, 1 / 3, np.nan])
    >>> hi = np.array([1.0, 1 / 3, 2.0])
    >>> lo = np.array([0.0, float(Fraction(1, 3) - Fraction(1 / 3)), 0.0])
    >>> err, bad, cat = ulp_errors(got, hi, lo)
    >>> float(err[0]), 0.3 < float(err[1]) < 0.5, bool(np.isnan(err[2])), bad.tolist()
    (1.0, True, True, [False, False, True])
    """
    got = np.asarray(got, dtype=np.float64)
    hi = np.asarray(hi, dtype=np.float64)
    lo = np.asarray(lo, dtype=np.float64)
    got, hi, lo = np.broadcast_arrays(got, hi, lo)
    cat = categorize(hi)
    with np.errstate(all="ignore"):
        # got - hi is exact whenever the two are within a factor 2 (Sterbenz),
        # which is every case where the error is small enough to matter.
        err = np.abs((got - hi) - lo) / exact_ulp(hi, lo)
    finite = cat == "finite"
    err = np.where(finite & np.isfinite(got), err, np.nan)
    mismatch = np.zeros(got.shape, dtype=bool)
    mismatch |= finite & ~np.isfinite(got)
    under = cat == "underflow"
    same_sign = (got == 0) | (hi == 0) | (np.sign(got) == np.sign(hi))
    mismatch |= under & ~(np.isfinite(got) & (np.abs(got) <= SMALLEST_NORMAL) & same_sign)
    mismatch |= (cat == "inf") & (got != hi)
    mismatch |= (cat == "nan") & ~np.isnan(got)
    return err, mismatch, cat
