# jejak — two commands on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
UV ?= $(shell command -v uv 2>/dev/null || echo "$(HOME)/.local/bin/uv")
PY := .venv/bin/python
DEMO_DIR ?= demo-project
DEMO_EVENTS ?= 200000

.PHONY: demo test lint check install install-dev uv java chromium bench bench-attribution bench-reports bench-dashboard bench-floor clean

uv:
	@command -v uv >/dev/null 2>&1 || test -x "$(HOME)/.local/bin/uv" || python3 -m pip install --user --quiet uv

# Spark needs a Java runtime; install Debian's when the machine has none.
java:
	@command -v java >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless; }

# Journey-map PDF/PNG and the browser tests drive Debian's Chromium (never a downloaded one).
chromium:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

install: uv
	$(UV) sync --frozen --no-dev --compile-bytecode

install-dev: uv java chromium
	$(UV) sync --frozen --all-extras --compile-bytecode

demo: install
	$(PY) -m jejak.cli.main demo --dir $(DEMO_DIR) --events $(DEMO_EVENTS)

lint: install-dev
	.venv/bin/ruff check jejak tests bench
	.venv/bin/ruff format --check jejak tests bench
	.venv/bin/mypy
	.venv/bin/lint-imports

# pytest exits 5 when it collected nothing: an empty suite is a failure, said plainly.
test: lint
	@.venv/bin/pytest; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: the suite is empty or mis-configured" >&2; exit 1; fi; \
	exit $$rc

bench: install-dev
	$(PY) bench/pipeline.py

# Times every report on the 10M-event project bench/pipeline.py built (run `make bench` first).
bench-reports: install-dev
	$(PY) bench/reports.py

# Server time of every dashboard page on the 10M-event project bench/pipeline.py built.
bench-dashboard: install-dev
	$(PY) bench/dashboard.py

# The floor of a build outside SQL (Arrow + numpy) on the 10M-event lake bench/pipeline.py imported.
bench-floor: install-dev
	$(PY) bench/floor_vectorised.py

# Installs ChannelAttribution and DP6 MAM into bench/out/peers-venv (never into .venv) to compare with.
bench-attribution: install-dev
	$(PY) bench/attribution.py

clean:
	rm -rf .venv $(DEMO_DIR) bench/out .pytest_cache .mypy_cache .ruff_cache
