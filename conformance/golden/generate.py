"""Regenerate every golden file: ``python -m conformance.golden.generate [family ...]``.

Each ``gen_<family>.py`` beside this file defines ``cases()`` returning a list of
dicts (numpy arrays for arguments, expected values computed with mpmath at
50 or more digits).  Nothing else writes the golden files.
"""

import importlib
import pkgutil
import sys

from . import HERE, save


def main(argv=None):
    wanted = set(argv if argv is not None else sys.argv[1:])
    for info in sorted(pkgutil.iter_modules([str(HERE)]), key=lambda i: i.name):
        if not info.name.startswith("gen_"):
            continue
        family = info.name[len("gen_"):]
        if wanted and family not in wanted:
            continue
        module = importlib.import_module(f"conformance.golden.{info.name}")
        cases = module.cases()
        path = save(family, cases)
        print(f"{path.name}: {len(cases)} cases")


if __name__ == "__main__":
    main()
