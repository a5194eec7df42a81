# Two commands set everything up on a fresh machine with Python 3.11+:
#   make demo   creates .venv with lfi-xl and its dependencies only (no test tools), runs
#               one report on copies of the shipped files
#   make test   installs what the tests need (LibreOffice and poppler with apt when they
#               are missing), adds the test tools to .venv, runs every test
# Both install from constraints.txt, the tested versions (make lock regenerates it).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
OUT    ?= out
PIP_INSTALL := $(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt
# The system tools the tests use: LibreOffice to open, recalculate and render workbooks,
# poppler-utils to read and rasterise PDFs, python3-uno to ask LibreOffice which VBA
# modules it reads out of the built add-in; LibreOffice Writer to render the DfE return
# (.docx) to PDF.
SYSTEM_PACKAGES := libreoffice-calc-nogui libreoffice-writer-nogui poppler-utils python3-uno

.PHONY: demo test bench lint lock bundle system-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# lfi-xl and what it needs to run: all make demo installs.
$(VENV)/.runtime: $(BIN)/python pyproject.toml constraints.txt
	$(PIP_INSTALL) -e .
	touch $@

# ... and the test tools (pytest, hypothesis, ruff, mypy, import-linter, oletools, ...).
$(VENV)/.installed: $(VENV)/.runtime
	$(PIP_INSTALL) -e '.[test]'
	touch $@

# The report cycle on copies of the shipped workbooks (they stay as shipped): the plan,
# Plan Data refreshed from the latest forecast, recalculated, checked, the Forum paper,
# and the workbooks printed.
demo: $(VENV)/.runtime
	@mkdir -p $(OUT)
	cp workbooks/dsg_plan.xlsx workbooks/template_kpi.xlsx $(OUT)/
	$(BIN)/lfi-xl plan $(OUT)/dsg_plan.xlsx > $(OUT)/plan.txt
	$(BIN)/lfi-xl refresh --kpi $(OUT)/template_kpi.xlsx --plan $(OUT)/dsg_plan.xlsx > /dev/null
	$(BIN)/lfi-xl recalc $(OUT)/template_kpi.xlsx $(OUT)/dsg_plan.xlsx > /dev/null
	$(BIN)/lfi-xl validate $(OUT)/dsg_plan.xlsx $(OUT)/template_kpi.xlsx > $(OUT)/validation.txt || true
	$(BIN)/lfi-xl extract --kpi $(OUT)/template_kpi.xlsx -o $(OUT) > $(OUT)/extract.txt || true
	-$(BIN)/lfi-xl print $(OUT)/dsg_plan.xlsx $(OUT)/template_kpi.xlsx -o $(OUT)/print > /dev/null
	@echo
	@echo "Output in $(OUT)/: the Schools Forum extract, plan.txt (the computed plan and its"
	@echo "reconciliation), validation.txt, the refreshed workbooks and, in print/, their PDFs."
	@cat $(OUT)/extract.txt

# Installs the system tools only when one is missing: as root with apt-get, otherwise with
# sudo; with neither it stops at once and names the packages.
system-deps:
	@if command -v soffice >/dev/null && command -v pdftoppm >/dev/null \
	    && [ -e /usr/lib/libreoffice/program/libswlo.so ] \
	    && /usr/bin/python3 -c "import uno" 2>/dev/null; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then SUDO=; \
	elif command -v sudo >/dev/null; then SUDO=sudo; \
	else echo "make test needs these Debian/Ubuntu packages: $(SYSTEM_PACKAGES) (install them, or run as root)"; exit 1; fi; \
	if ! command -v apt-get >/dev/null; then \
	  echo "make test needs LibreOffice Calc, poppler-utils and LibreOffice's Python bridge (uno): install them"; exit 1; fi; \
	echo "Installing $(SYSTEM_PACKAGES) with apt-get"; \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	  $(SYSTEM_PACKAGES) >/dev/null

test: system-deps $(VENV)/.installed
	$(BIN)/python -m pytest

# constraints.txt: every package of the tested environment at its exact version (xlwings
# among them: the add-in is built for that version's DLL). Run after changing pyproject.
# What only Windows installs cannot come from a Linux freeze: it is pinned here (make
# bundle downloads exactly that for the council's PCs).
WINDOWS_PINS := 'colorama==0.4.6; sys_platform == "win32"' 'pywin32==312; sys_platform == "win32"' 
lock:
	rm -rf .venv-lock
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet --disable-pip-version-check '.[test,bench]'
	(echo "# The tested environment, written by make lock: pip install -c constraints.txt ..."; \
	 (.venv-lock/bin/python -m pip freeze --disable-pip-version-check --exclude lfi-xl; \
	  printf '%s\n' $(WINDOWS_PINS)) | $(PYTHON) -c "import sys; print(''.join(sorted(sys.stdin, key=str.lower)), end='')") \
	 > constraints.txt
	rm -rf .venv-lock build

# IT's offline install folder (docs/addin.md, For IT): wheels of the locked versions for
# 64-bit Windows and CPython 3.11/3.12, the built add-in, the blank workbooks, install.cmd
# and SHA256SUMS, in dist/bundle. Needs PyPI (on this machine, not on the council's PCs).
bundle: $(VENV)/.installed
	$(BIN)/python -m lfi_xl.build.addin.bundle -o dist/bundle

# Benchmarks (never part of make test): 1k to 1M placements, against LibreOffice and the
# formulas engine; writes bench/results.json and docs/performance.md. Sizes: make bench
# SIZES=1000,10000
SIZES ?= 1000,10000,100000,1000000
bench: system-deps $(VENV)/.installed
	$(PIP_INSTALL) -e '.[test,bench]'
	$(BIN)/python bench/run.py --sizes $(SIZES)

lint: $(VENV)/.installed
	$(BIN)/ruff check lfi_xl udfs tests bench

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .hypothesis *.egg-info
