#!/usr/bin/env bash
# The conformance step of tinyloss's CI: every loss-spec check becomes a pytest
# test, known deviations become expected failures, and CI reads the JUnit XML.
set -euo pipefail
python -m pytest -q --pyargs conformance \
    --impl tinyloss_adapter.py \
    --conformance-known-deviations tinyloss-deviations.toml \
    --junitxml conformance-junit.xml
