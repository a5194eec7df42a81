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

lint: $(VENV)/.installed
	$(BIN)/ruff check lfi_xl udfs tests

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .hypothesis *.egg-info
