"""softmax hangs on every input; log_softmax is correct but one of its checks calls softmax.

A run must spend one time-out here: the first softmax check times out, the
other softmax checks are not run, and the log_softmax property that calls
softmax (``needs=("softmax",)``) is skipped naming softmax instead of timing
out a second time.
"""

import time

from reference import log_softmax  # noqa: F401  (correct)


def softmax(z, axis=-1):
    time.sleep(3600)
