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

.PHONY: env docs matrix test bench golden clean

env: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[all]'
	touch $(STAMP)

# Run the conformance suite against every built-in adapter; the reports feed the
# matrix page of the site.
matrix: $(STAMP)
	$(PY) -m conformance.matrix --out $(GEN)/matrix

docs: matrix
	$(SPHINX)
	@echo
	@echo "The site is built: open $(abspath $(HTML))/index.html"

# The whole suite: unit tests, doctests in reference/ and in the docs pages, the
# conformance self-tests, and the docs build with warnings as errors.
test: docs
	$(BIN)/python -m pytest -q

# Wall time of a full conformance run per built-in adapter (prints figures only).
bench: $(STAMP)
	$(PY) -m benchmarks.conformance_time

golden: $(STAMP)
	$(PY) -m conformance.golden.generate

clean:
	rm -rf $(HTML) $(GEN)
