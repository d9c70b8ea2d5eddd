# Quick start: `make docs` builds the site, `make test` runs the whole suite.
# Either one creates the environment (.venv inside the checkout) when needed.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
STAMP  := $(VENV)/.installed
HTML   := docs/_build/html
GEN    := docs/_generated
SPHINX := $(BIN)/sphinx-build -W --keep-going -n -b html docs $(HTML)

.PHONY: env docs matrix test bench golden clean browser accuracy

env: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[all]'
	touch $(STAMP)

# Run the conformance suite against every built-in adapter and write the
# committed matrix data (docs/conformance/matrix/<adapter>.json, summary.json)
# that the matrix page renders.  About ten minutes; run it after changing checks,
# cases, golden vectors, deviation files, adapters, the reference or the pins
# (`make test` fails while the data is stale).  One adapter:
# `.venv/bin/python -m conformance.matrix --adapters torch`.
matrix: $(STAMP)
	$(PY) -m conformance.matrix

# Renders the committed results (matrix, accuracy, performance); runs nothing.
docs: $(STAMP)
	$(SPHINX)
	@echo
	@echo "The site is built: open $(abspath $(HTML))/index.html"

# Debian's Chromium for the browser test of the built site
# (tests/test_site_browser.py): Playwright drives this binary and never
# downloads a browser of its own.  Installing it needs root (apt-get).
CHROMIUM ?= /usr/bin/chromium
browser:
	@test -x $(CHROMIUM) || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; }
	@test -x $(CHROMIUM) || { echo "no Chromium at $(CHROMIUM)" >&2; exit 1; }

# The whole suite: unit tests, doctests in reference/ and in the docs pages, the
# conformance self-tests, the docs build with warnings as errors, and the built
# site opened page by page in headless Chromium.
test: docs browser
	$(BIN)/python -m pytest -q

# Speed of the reference next to numpy, PyTorch and JAX, the scaling sweeps and
# the wall time of a full conformance run per built-in adapter, first run (empty
# JAX compilation cache and hypothesis storage) and warm run.  Prints figures
# (no test asserts a time) and writes docs/performance/results.json, which the
# performance page of the site renders.  Each adapter runs twice, so it takes
# longer than `make matrix`.
bench: $(STAMP)
	$(PY) -m benchmarks

golden: $(STAMP)
	$(PY) -m conformance.golden.generate

# Error in ulps against mpmath of the reference and every built-in adapter over
# the stress corpus; writes docs/accuracy/results.json, which the accuracy page
# of the site renders.  About a minute.
accuracy: $(STAMP)
	$(PY) -m accuracy --out docs/accuracy/results.json

clean:
	rm -rf $(HTML) $(GEN)
