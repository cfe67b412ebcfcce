# Two entry points: `make demo` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)
SHARED_DATA := $(abspath ../shared/data)
export AGGLOMERA_DATA_DIR ?= $(if $(wildcard $(SHARED_DATA)),$(SHARED_DATA),)

.PHONY: demo test bench venv clean sysdeps

venv: $(STAMP)

# Browser tests drive Debian's Chromium; the PDF report test renders pages with pdftoppm;
# Chinese text in PDF reports needs a CJK font (fonts-wqy-microhei).
# Installed from Debian's packages when missing (needs root, as in CI); skipped otherwise,
# and the tests that need them then say so and skip.
sysdeps:
	@if ! command -v chromium >/dev/null || ! command -v pdftoppm >/dev/null || \
	    ! (fc-list :lang=zh 2>/dev/null | grep -q .); then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get install -y -q chromium poppler-utils fonts-wqy-microhei >/dev/null 2>&1 || \
	     (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium poppler-utils fonts-wqy-microhei >/dev/null)) \
	     && echo "installed Debian chromium, poppler-utils and fonts-wqy-microhei"; \
	  else echo "note: chromium/pdftoppm/CJK font missing and cannot be installed here; browser and PDF tests will skip"; fi; \
	fi

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/agglomera demo --db demo.duckdb

test: $(STAMP) sysdeps
	$(BIN)/ruff check --select F,E9 src tests benchmarks
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_import.py

clean:
	rm -rf $(VENV) demo.duckdb demo.duckdb.wal .pytest_cache
