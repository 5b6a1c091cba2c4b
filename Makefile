VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
# The OPA Go evaluator, in-process: the test oracle for real OPA semantics. Its wheel
# declares a Python range it does not need, hence --ignore-requires-python.
OPA_ORACLE := opa-golib-python-bindings==0.4.4
DEMO_NOW ?= 2026-11-27T00:00:00Z

.PHONY: install demo test test-all dist lint fuzz bench bench-ledger bench-portal bench-terraform bench-peers bench-yaml bench-admission packs-test test-network clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	# The distribution was named `compliance` before (a name another project holds on PyPI).
	$(PIP) uninstall -q -y compliance 2>/dev/null || true
	$(PIP) install -q -e '.[test]'
	$(PIP) install -q --ignore-requires-python $(OPA_ORACLE)
	touch $(STAMP)

demo: install
	mkdir -p out
	test -f out/keys/signing.key || $(VENV)/bin/compliance keys generate --out out/keys
	$(VENV)/bin/compliance evaluate examples/bpi --format table --fail-on none --now $(DEMO_NOW)
	$(VENV)/bin/compliance evaluate examples/bpi --format json -o out/bpi-report.json --fail-on none --now $(DEMO_NOW)
	$(VENV)/bin/compliance evaluate examples/bpi --format sarif -o out/bpi-report.sarif --fail-on none --now $(DEMO_NOW)
	$(VENV)/bin/compliance evaluate examples/bpi --format html -o out/bpi-report.html --fail-on none --now $(DEMO_NOW) \
		--bundle out/bpi-evidence.tar.gz --sign-key out/keys/signing.key
	$(VENV)/bin/compliance evidence verify out/bpi-evidence.tar.gz --key out/keys/signing.pub --quiet
	@echo "JSON report:   out/bpi-report.json" >&2
	@echo "SARIF report:  out/bpi-report.sarif" >&2
	@echo "HTML report:   out/bpi-report.html (also inside the bundle)" >&2
	@echo "Signed bundle: out/bpi-evidence.tar.gz" >&2
	@echo "  verify with: .venv/bin/compliance evidence verify out/bpi-evidence.tar.gz --key out/keys/signing.pub" >&2

# make test samples the per-pack-case equivalence tests with a fixed seed (tests/sampling.py):
# the scoped parallel split (whole-suite inputs and every parameter set always run) and
# cold == warm through the cache (a case of every check always runs); make test-all runs
# every pack case in both.
test: install
	$(PY) -m pytest -n 2 --durations=10 tests

test-all: install
	COMPLIANCE_EXHAUSTIVE=1 $(PY) -m pytest -n 2 --durations=10 tests

# Wheel and sdist into dist/, built with the virtualenv's setuptools (no download).
dist: install
	rm -rf dist
	$(PY) -m build --no-isolation --outdir dist .

lint: install
	$(VENV)/bin/ruff check compliance tests benchmarks
	$(VENV)/bin/ruff format --check compliance tests benchmarks
	$(VENV)/bin/mypy compliance
	$(VENV)/bin/lint-imports --no-cache

# The tests/fuzz hypothesis harnesses with many more examples (make test runs them with a
# few: the "ci" profile), then atheris, coverage-guided, over the loaders and redaction,
# seeded with the fixture inputs. atheris 3.0.0 installs as a binary wheel for Python 3.11
# here; crashing inputs land in $(FUZZ_OUT) and, once fixed, in tests/fuzz/regressions/.
FUZZ_EXAMPLES ?= 2000
FUZZ_RUNS ?= 200000
FUZZ_OUT ?= out/fuzz
fuzz: install
	COMPLIANCE_FUZZ=long COMPLIANCE_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest -p no:cacheprovider tests/fuzz
	$(PIP) install -q atheris==3.0.0
	mkdir -p $(FUZZ_OUT)/corpus
	$(PY) tests/fuzz/atheris_harness.py -atheris_runs=$(FUZZ_RUNS) -artifact_prefix=$(FUZZ_OUT)/ $(FUZZ_OUT)/corpus

packs-test: install
	$(VENV)/bin/compliance packs test

# pre-commit try-repo builds the hook's own virtualenv from PyPI (~1 min, needs the registry).
test-network: install
	COMPLIANCE_NETWORK_TESTS=1 $(PY) -m pytest tests/integration/test_precommit.py

# Bytecode compiled first, as pip does when it installs the wheel (an editable checkout
# otherwise compiles every module on every run where PYTHONDONTWRITEBYTECODE is set).
bench: install
	$(PY) -m compileall -q compliance
	$(PY) benchmarks/run.py
	$(PY) benchmarks/terraform.py
	$(PY) benchmarks/ledger.py
	$(PY) benchmarks/portal.py

# The portal's run page (and the other pages) for a ledger run of the 10k corpus: server time.
bench-portal: install
	$(PY) -m compileall -q compliance
	$(PY) benchmarks/portal.py

# Cold load of a generated 100-file Terraform configuration (one run each; also in make bench).
bench-terraform: install
	$(PY) -m compileall -q compliance
	$(PY) benchmarks/terraform.py

# What the ledger costs: recording a 10k run, its size over 90 days, a 90-day period report.
bench-ledger: install
	$(PY) -m compileall -q compliance
	$(PY) benchmarks/ledger.py

# Checkov 3.3.30 in its own virtualenv (benchmarks/.peers, git-ignored); make bench then
# measures it side by side on the ~1k corpus.
bench-peers: install
	test -x benchmarks/.peers/venv/bin/checkov || (python3 -m venv benchmarks/.peers/venv && \
		benchmarks/.peers/venv/bin/pip install -q checkov==3.3.30)
	$(PY) -m compileall -q compliance
	$(PY) benchmarks/run.py

# Faster YAML parsers than the C loader (pinned in the script, installed without their
# dependencies into benchmarks/.peers/yaml): speed, values, line numbers, alias bombs.
bench-yaml: install
	$(PY) benchmarks/yaml_parsers.py --install benchmarks/.peers/yaml --results benchmarks/RESULTS.md

bench-admission: install
	$(PY) benchmarks/admission.py --results benchmarks/RESULTS.md

clean:
	rm -rf $(VENV) out dist build .compliance-cache .pytest_cache
