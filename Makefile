# The two commands of the README. Both build the virtual environment from nothing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench lint clean browser

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,geo]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/surefoot run

# The web-view tests drive the system's Chromium (tests/view). As root with apt-get
# (CI, a fresh machine) it is installed here; otherwise those tests skip and say why.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium (Debian package) for the browser tests"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "chromium could not be installed: the browser tests will be skipped"; \
	  else \
	    echo "no /usr/bin/chromium (apt-get install chromium as root): the browser tests will be skipped"; \
	  fi; \
	fi

# The flight kernels compile first, on two cores (surefoot warmup), then pytest
# runs on up to four processes (pytest-xdist) that load them from the cache:
# on a 2-core machine with an empty cache 6-7 min instead of 10.5; the ten
# slowest tests are listed at the end.
test: $(STAMP) browser
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/surefoot warmup --batch
	$(BIN)/python -m pytest -q -n auto --maxprocesses 4 --durations=10

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_landing.py

clean:
	rm -rf $(VENV) out .pytest_cache
