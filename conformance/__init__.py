"""Conformance suite: check any implementation of the loss functions against the spec."""

SPEC_VERSION = "0.1.0"
