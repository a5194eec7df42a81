# Two commands set everything up on a fresh machine with only Python 3.11+:
#   make demo   creates .venv, installs lfi-xl, runs the main job on the shipped files
#   make test   creates .venv, installs lfi-xl with its test tools, runs every test
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
OUT    ?= out

.PHONY: demo test bench lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

demo: $(VENV)/.installed
	@mkdir -p $(OUT)
	$(BIN)/lfi-xl plan workbooks/dsg_plan.xlsx > $(OUT)/plan.txt
	$(BIN)/lfi-xl validate workbooks/dsg_plan.xlsx workbooks/template_kpi.xlsx > $(OUT)/validation.txt || true
	$(BIN)/lfi-xl extract --kpi workbooks/template_kpi.xlsx --plan workbooks/dsg_plan.xlsx -o $(OUT)
	@echo
	@echo "Output in $(OUT)/: the Schools Forum extract (.xlsx, and .pdf where LibreOffice is"
	@echo "installed), plan.txt (the computed plan and its reconciliation) and validation.txt."

test: $(VENV)/.installed
	$(BIN)/python -m pytest

# Benchmarks (never part of make test): 1k to 1M placements, against LibreOffice and the
# formulas engine; writes bench/results.json and docs/performance.md. Sizes: make bench
# SIZES=1000,10000
SIZES ?= 1000,10000,100000,1000000
bench: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/python bench/run.py --sizes $(SIZES)

lint: $(VENV)/.installed
	$(BIN)/ruff check lfi_xl udfs tests bench

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .hypothesis *.egg-info
