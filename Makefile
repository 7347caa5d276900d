# Every target sets up what it needs: a fresh machine needs only Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements.lock
SHARED_DATA ?= ../shared/data
DEMO_FILES := $(wildcard $(SHARED_DATA)/ws/cryptofeed__BINANCE.ws.1.0)
DEMO_INSTRUMENTS := $(wildcard $(SHARED_DATA)/ref/cryptofeed__BINANCE.0)
DEMO_HISTORY := $(wildcard $(SHARED_DATA)/ohlcv/freqtrade__UNITTEST_BTC-1m.json $(SHARED_DATA)/ohlcv/backtesting.py__GOOG.csv)

.PHONY: clean-kernels setup run test lint bench clean lock postgres screenshots package

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

# The desktop window on the embedded default (SQLite in the data dir, paper broker): the live
# Binance public feed when Binance is reachable (LIVE=0 turns that off), else the Binance
# capture in ../shared/data replayed; the OHLCV files as chart history, when present.
# Without a display it says so and runs the same session headless.
LIVE ?= 1
LIVE_SYMBOLS ?= BTCUSDT,ETHUSDT,SOLUSDT
run: $(STAMP)
	@bash packaging/linux-desktop-libs.sh
	@if [ "$(LIVE)" = 1 ] && $(BIN)/python -m terminal.netcheck stream.binance.com 9443; then \
		echo "Binance is reachable: the live public feed ($(LIVE_SYMBOLS))"; \
		set -x; $(BIN)/trading-terminal --stay --live binance --live-symbols $(LIVE_SYMBOLS) $(if $(DEMO_HISTORY),--history $(DEMO_HISTORY)); \
	else \
		echo "offline (or LIVE=0): the recorded demo"; \
		set -x; $(BIN)/trading-terminal --stay --speed 1 --max-gap 2 $(if $(DEMO_FILES),--replay $(DEMO_FILES)) $(if $(DEMO_INSTRUMENTS),--instruments $(DEMO_INSTRUMENTS)) $(if $(DEMO_HISTORY),--history $(DEMO_HISTORY)); \
	fi

# PNGs of the main window on the real data, drawn off screen, into docs/screenshots
screenshots: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m terminal.ui.screenshots --out docs/screenshots --shared-data $(SHARED_DATA)

postgres:
	@bash tests/tools/postgres.sh install

test: $(STAMP) postgres
	@bash tests/tools/chromium.sh install
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy terminal plugins local_api
	$(BIN)/lint-imports

bench: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m bench

# A one-folder PyInstaller bundle in dist/trading-terminal (see packaging/trading-terminal.spec);
# check it with `dist/trading-terminal/trading-terminal selftest`
package: $(STAMP)
	$(BIN)/pyinstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller \
		packaging/trading-terminal.spec

lock:
	$(PYTHON) -m venv /tmp/tt-lock-venv && /tmp/tt-lock-venv/bin/pip install --quiet '.[dev]' && \
	/tmp/tt-lock-venv/bin/pip freeze --exclude-editable | grep -v '^trading-terminal' > $(LOCK)

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
	$(MAKE) clean-kernels

# numba checks a cached kernel against its own file only: after editing a kernel that others
# call from other files (terminal/kernels/text_scan.py, book.py...), drop the caches
clean-kernels:
	find terminal plugins -name '*.nbi' -delete -o -name '*.nbc' -delete
