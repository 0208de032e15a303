# The two commands of the README. Both set up .venv from the project's own files first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: certify test setup bench clean

$(BIN)/payercert: pyproject.toml setup.py validators/_linecheck.c
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/payercert

setup: $(BIN)/payercert

# Certify every implemented feed against its local simulator and render the HTML report.
certify: setup
	$(BIN)/payercert certify --target local --reports reports

# The harness's own tests (what CI runs).
test: setup
	$(BIN)/python -m pytest tests

# Validator throughput: LTSS NDJSON, and AB2D EOB NDJSON against orjson, jsonschema and fhir.resources.
bench: setup
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python bench/run.py
	$(BIN)/python bench/ab2d.py

clean:
	rm -rf $(VENV) reports/allure-results reports/allure-report reports/certificate.* reports/history
