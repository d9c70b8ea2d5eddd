"""``python -m accuracy``: see :func:`accuracy.measure.main`."""

import sys

from .measure import main

if __name__ == "__main__":
    sys.exit(main())
