"""Conformance suite: check any implementation of the loss functions against the spec."""

SPEC_VERSION = "0.1.0"

#: Seconds one check may take by default (``--timeout``).  It leaves room for
#: the slowest correct check on a busy machine: a CTC property of the Keras
#: adapter compiles about 80 XLA programs and took 28 s alone on two cores
#: with an empty compilation cache, more with a second process beside it.
#: A hanging function costs one time-out whatever the limit.
DEFAULT_TIMEOUT = 60.0
