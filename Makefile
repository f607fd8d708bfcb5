# Every target that runs code first creates or refreshes .venv (a brand-new machine
# needs nothing but Python 3.11 and, for the PostgreSQL tests, the local server).
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: venv browser demo test bench airflow lint typecheck format clean

venv: $(STAMP)

# torch first, pinned to the CPU build that lies on every machine here; then the project
# with all its extras; CrypTen last, with --no-deps. CrypTen 0.4.1 declares dependencies it
# never imports (the dead `sklearn` package, torchvision, tensorboard), and every pip install
# that resolves while CrypTen is in the venv prints "ERROR: ... crypten 0.4.1 requires
# sklearn, which is not installed", which reads like a failed install. --no-deps skips that
# check and, as the last pip step, no later install sees CrypTen; a re-run (pyproject.toml
# changed) takes it out first for the same reason (-qq: no "not installed" warning). Last,
# the privacy guard's deduce lookup structures (minutes to build: here, never in a request).
$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip uninstall -qq --yes crypten
	$(BIN)/pip install --quiet "torch==2.13.0"
	$(BIN)/pip install --quiet -e ".[mpc,airflow,dev]"
	$(BIN)/pip install --quiet --no-deps "crypten==0.4.1"
	$(BIN)/python -m samenbeeld.platform.privacy
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/samenbeeld demo run $(DEMO_ARGS)

# Headless Chromium for the dashboard's browser tests: Debian's package, installed once (as
# root) when /usr/bin/chromium is missing; apt's lists are refreshed only if that first try
# cannot find it. Playwright drives this binary; its own browser download is never used.
CHROMIUM := /usr/bin/chromium
APT_GET  := DEBIAN_FRONTEND=noninteractive apt-get -y -q --no-install-recommends

browser: $(CHROMIUM)

$(CHROMIUM):
	$(APT_GET) install chromium || { apt-get -q update && $(APT_GET) install chromium; }

test: $(STAMP) $(CHROMIUM)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

# Airflow 3 in the foreground (UI at http://127.0.0.1:8080); Ctrl-C stops it.
airflow: $(STAMP)
	$(BIN)/samenbeeld airflow up $(AIRFLOW_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy --strict -p samenbeeld.platform -p samenbeeld.federation

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var .pytest_cache
