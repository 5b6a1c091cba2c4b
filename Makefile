VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
# The OPA Go evaluator, in-process: the test oracle for real OPA semantics. Its wheel
# declares a Python range it does not need, hence --ignore-requires-python.
OPA_ORACLE := opa-golib-python-bindings==0.4.4

.PHONY: install demo test lint bench bench-peers bench-admission clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[test]'
	$(PIP) install -q --ignore-requires-python $(OPA_ORACLE)
	touch $(STAMP)

demo: install
	mkdir -p out
	$(VENV)/bin/compliance evaluate examples/bpi --format table --fail-on none --now 2026-11-27T00:00:00Z
	$(VENV)/bin/compliance evaluate examples/bpi --format json -o out/bpi-report.json --fail-on none --now 2026-11-27T00:00:00Z
	@echo "JSON report: out/bpi-report.json" >&2

test: install
	$(PY) -m pytest -n 2 tests

lint: install
	$(VENV)/bin/ruff check compliance tests
	$(VENV)/bin/ruff format --check compliance tests
	$(VENV)/bin/mypy compliance

bench: install
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) out .compliance-cache .pytest_cache
