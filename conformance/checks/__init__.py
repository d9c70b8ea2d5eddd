"""Conformance checks, one module per family of losses (mirroring ``reference``).

Importing this package registers every check in :data:`conformance.registry.CHECKS`.
"""

import importlib
import pkgutil

for _info in pkgutil.iter_modules(__path__):
    if not _info.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_info.name}")
