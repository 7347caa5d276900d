# Every target sets up what it needs: a fresh machine needs only Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements.lock
SHARED_DATA ?= ../shared/data
DEMO_FILES := $(wildcard $(SHARED_DATA)/ws/cryptofeed__BINANCE.ws.1.0 $(SHARED_DATA)/ws/cryptofeed__COINBASE.ws.28.0 $(SHARED_DATA)/ws/cryptofeed__KRAKEN.ws.50.0 $(SHARED_DATA)/ws/cryptofeed__KRAKEN.ws.48.0)

export QT_QPA_PLATFORM ?= offscreen

.PHONY: setup run test lint bench clean lock postgres

setup: $(STAMP)

$(STAMP): pyproject.toml $(LOCK)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@if $(BIN)/python -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)'; then \
		$(BIN)/python -m pip install --quiet --no-deps -r $(LOCK); \
	else \
		echo "note: $(LOCK) is for CPython 3.11; installing from pyproject ranges"; \
		$(BIN)/python -m pip install --quiet '.[dev]'; \
	fi
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@# finplot is only the benchmarks' reference chart; its PyQt6 requirement is not wanted
	$(BIN)/python -m pip install --quiet --no-deps finplot==1.9.7
	@touch $(STAMP)

# Until the desktop window lands: the headless engine on the embedded default (SQLite in the
# data dir, paper broker) replaying the recorded captures in ../shared/data when present.
run: $(STAMP)
	$(BIN)/trading-terminal --headless --stay --speed 1 --max-gap 2 $(if $(DEMO_FILES),--replay $(DEMO_FILES))

postgres:
	@bash tests/tools/postgres.sh install

test: $(STAMP) postgres
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy terminal plugins local_api
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python -m bench

lock:
	$(PYTHON) -m venv /tmp/tt-lock-venv && /tmp/tt-lock-venv/bin/pip install --quiet '.[dev]' && \
	/tmp/tt-lock-venv/bin/pip freeze --exclude-editable | grep -v '^trading-terminal' > $(LOCK)

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
