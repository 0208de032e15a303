# The README's two commands (`make certify`, `make test`) and the CI gate (`make check`).
# Every target installs from requirements.lock (the whole dependency tree, pinned and hashed)
# into .venv first; `make upgrade` re-resolves the lock to the newest versions pyproject allows.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LOCK := requirements.lock
# uv resolves and installs; it is pinned by the lock like everything else. The editable install is a
# path entry (compat mode): the default mode's import finder costs every Python start in the venv ~20 ms.
UV := $(BIN)/uv
export UV_PYTHON_DOWNLOADS := never
LOCK_ARGS := pyproject.toml --extra test --extra bench --extra cluster --group dev --universal --python-version 3.11 --generate-hashes

.PHONY: certify test check setup upgrade test-unlocked bench clean

$(BIN)/payercert: pyproject.toml setup.py $(LOCK) validators/_linecheck.c
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$$(sed -n 's/^uv==\([^ ]*\).*/\1/p' $(LOCK))"
	$(UV) pip sync --quiet --python $(BIN)/python --require-hashes $(LOCK)
	$(UV) pip install --quiet --python $(BIN)/python --no-deps --no-build-isolation -e . --config-settings editable_mode=compat
	touch $(BIN)/payercert

setup: $(BIN)/payercert

# Certify every implemented feed against its local simulator and render the HTML report.
certify: setup
	$(BIN)/payercert certify --target local --reports reports

# The harness's own tests (what CI runs after `make check`): two workers, progress per file.
test: setup
	$(BIN)/python -m pytest tests -n 2 --dist loadfile -rs

# The CI gate's static checks: lint, format, types, import contracts.
check: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# Re-resolve the lock to the newest versions pyproject.toml allows (then run `make test`).
upgrade: setup
	$(UV) pip compile --quiet --upgrade $(LOCK_ARGS) -o $(LOCK)

# The tests on a fresh, unlocked resolve (the newest allowed versions of everything).
test-unlocked: setup
	rm -rf .venv-unlocked
	$(PYTHON) -m venv .venv-unlocked
	$(UV) pip install --quiet --python .venv-unlocked/bin/python --upgrade --no-cache setuptools wheel
	$(UV) pip install --quiet --python .venv-unlocked/bin/python --upgrade --no-build-isolation -e '.[test,bench,cluster]'
	.venv-unlocked/bin/python -m pytest tests -n 2 --dist loadfile

# Validator throughput (LTSS NDJSON; AB2D EOB NDJSON against orjson, jsonschema and fhir.resources),
# start-up, and the local certification's wall time.
bench: setup
	cd bench && ../$(BIN)/python run.py
	cd bench && ../$(BIN)/python ab2d.py 20000
	cd bench && ../$(BIN)/python ab2d.py 100000
	cd bench && ../$(BIN)/python x12.py
	cd bench && ../$(BIN)/python startup.py
	cd bench && ../$(BIN)/python certify.py
	cd bench && ../$(BIN)/python cluster.py

clean:
	rm -rf $(VENV) .venv-unlocked reports/allure-results reports/allure-report reports/certificate.* reports/history
