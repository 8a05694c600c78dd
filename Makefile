# facmech: two commands on a fresh machine.
#   make demo   set up .venv if needed, install, run the end-to-end demo
#   make test   set up .venv if needed, install, run ruff and the test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint install clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-install only when the declared dependencies change (idempotent and fast otherwise).
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python -m facmech demo

lint: $(STAMP)
	$(BIN)/ruff check .

test: $(STAMP)
	$(BIN)/ruff check .
	MPLBACKEND=Agg $(BIN)/python -m pytest -n 2 -q

bench: $(STAMP)
	for f in benchmarks/*.py; do MPLBACKEND=Agg $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
