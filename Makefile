# Two commands set everything up on a fresh machine with only Python and pip:
#   make demo   - virtualenv, install, run the bundled demo
#   make test   - the same, then the test suite
PYTHON ?= python3
VENV ?= .venv
# make test runs the suite on this many pytest-xdist workers: about 6 min on 2 cores (12 on one)
TEST_WORKERS ?= 2
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EMBEDDINGS := $(VENV)/.embeddings

.PHONY: install demo test lint bench serve clean system-packages tools

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@# An editable install compiles nothing: bytecode now spares every command's start-up the
	@# compiling of our modules (Python still recompiles any source that changes).
	$(BIN)/python -m compileall -q analysis storage crawler flagging scheduler scan readouts >/dev/null
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/readouts --db demo.db demo

# Debian packages some tests drive: chromium for the browser tests (no Playwright browser
# download) and wget, whose WARCs the import tests read. Installed here when missing and possible
# (root with apt, as in CI); otherwise those tests skip, saying why.
SYSTEM_PACKAGES := chromium wget

system-packages:
	@missing=""; for tool in $(SYSTEM_PACKAGES); do command -v $$tool >/dev/null 2>&1 || missing="$$missing $$tool"; done; \
	if [ -z "$$missing" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing$$missing for the browser and import tests (apt-get)"; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; } \
		|| echo "could not install$$missing: the tests that need it will skip"; \
	else echo "$$missing missing and cannot be installed here (needs root and apt-get): the tests that need it will skip"; fi

# The web-archiving tools the WARC/WACZ tests check exports with (wacz validate, pywb's
# wb-manager and wayback). They pin many dependencies of their own, so they live in their own
# venv, out of the product's; if they cannot be installed, those tests skip, saying why.
TOOLS_VENV ?= .venv-tools
TOOLS_STAMP := $(TOOLS_VENV)/.installed

$(TOOLS_STAMP):
	@{ $(PYTHON) -m venv $(TOOLS_VENV) && $(TOOLS_VENV)/bin/pip install --quiet wacz pywb \
		&& touch $@; } || echo "could not install wacz and pywb: WARC replay tests will skip"

tools: $(TOOLS_STAMP)

# The sentence-embedding model behind `reported` citations. It needs PyTorch: only the CPU build
# is installed, and only when this machine provides it (pip's configured local wheels); without
# it those tests skip, saying why, and everything else runs.
$(EMBEDDINGS): $(STAMP)
	@if $(BIN)/pip install --quiet --no-index --no-deps 'torch==2.13.0' 2>/dev/null; then \
		$(BIN)/pip install --quiet 'torch==2.13.0' -e '.[test,embeddings]' \
		|| echo "could not install the embedding model: reported-citation tests will skip"; \
	else echo "no CPU build of PyTorch here: reported-citation tests will skip"; fi
	touch $@

test: $(STAMP) $(EMBEDDINGS) system-packages tools
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) $(TOOLS_VENV) demo.db demo.db-* .pytest_cache
