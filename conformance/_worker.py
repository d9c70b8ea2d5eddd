"""The child side of the isolated run (see :mod:`conformance._isolation`).

Started with one argument, a JSON object ``{"target", "max_examples", "seed", "dtypes",
"arrays", "device", "baseline"}``.
It keeps its original stdin and stdout for the protocol and gives the
implementation ``/dev/null`` as stdin and stderr as stdout, so whatever the
implementation prints or reads cannot corrupt the protocol.  It imports the
target, then answers:

* once, at start: ``{"provided": [...]}`` or ``{"import_error": "one line"}``;
* for each request ``{"check": ID}``: ``{"result": {...}}``, the row of
  :func:`conformance.run_check.run_check` (its ``to_dict()``);
* for ``{"modules": true}``: ``{"modules": [...]}``, the ``conformance`` modules
  it has imported (a test keeps the session side out of this process).

It imports :mod:`conformance.run_check`, the checks and the target, never the
session side (:mod:`conformance.session`, deviations, reports) nor the other
built-in adapters.

It exits at the end of its input.  ``python -m conformance._worker CONFIG``
runs it by hand.
"""

from __future__ import annotations

import json
import math
import os
import sys


def _protocol_streams():
    proto_in = os.fdopen(os.dup(0), "r", encoding="utf-8")
    proto_out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    sys.stdin = open(os.devnull)  # noqa: SIM115 - lives as long as the process
    sys.stdout = sys.stderr
    return proto_in, proto_out


def _die_with_parent() -> None:
    """Linux: get SIGKILL when the parent dies (best effort)."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            import signal

            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
        except Exception:  # noqa: BLE001
            pass


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    config = json.loads(argv[0])
    proto_in, proto_out = _protocol_streams()
    _die_with_parent()

    def send(message):
        proto_out.write(json.dumps(message, allow_nan=True) + "\n")
        proto_out.flush()

    from .run_check import (ImportFailure, describe_exception, plain, provided_functions, resolve,
                            resolve_baseline, run_check)

    try:
        implementation = resolve(config["target"], config.get("arrays") or "numpy", config.get("device") or "cpu")
        baseline = resolve_baseline(config.get("baseline"))
        from .registry import load_all_checks

        checks = load_all_checks()
    except ImportFailure as exc:
        send({"import_error": str(exc)})
        return 0
    except Exception as exc:  # noqa: BLE001 - the checks themselves failed to import
        send({"import_error": f"cannot load the conformance checks: {describe_exception(exc)}"})
        return 0
    send({"provided": provided_functions(implementation),
          "gradients": getattr(implementation, "GRADIENTS", None)})
    for line in proto_in:
        if not line.strip():
            continue
        request = json.loads(line)
        if request.get("modules"):
            send({"modules": sorted(m for m in sys.modules if m == "conformance" or m.startswith("conformance."))})
            continue
        check = checks.get(request.get("check"))
        if check is None:
            row = {"check": request.get("check"), "function": None, "clause": None, "kind": None,
                   "status": "error", "message": f"unknown check id {request.get('check')!r}"}
        else:
            row = run_check(check, implementation, max_examples=config.get("max_examples", 50),
                            seed=config.get("seed", 0), timeout=None, dtypes=config.get("dtypes"),
                            baseline=baseline).to_dict()
        row = plain(row)
        for key in ("max_abs_error", "max_ulp_error"):
            if isinstance(row.get(key), float) and math.isnan(row[key]):
                row[key] = None
        send({"result": row})
    return 0


if __name__ == "__main__":
    sys.exit(main())
