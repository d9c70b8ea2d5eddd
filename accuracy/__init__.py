"""Accuracy of the reference and of the built-in adapters, in ulps against mpmath.

``python -m accuracy`` (``make accuracy``) runs the stress corpus
(:mod:`accuracy.corpus`) through every built-in adapter, compares each result
with the exact value (:mod:`accuracy.exact`, mpmath at 60 digits) using the
ulp measure of :mod:`accuracy.ulp`, and writes ``docs/accuracy/results.json``,
which the accuracy page of the site renders.
"""
