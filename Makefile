# make run: set everything up, then serve HOCOVISIO (embedded PostgreSQL, real SFU).
# make test: the same, plus what the tests need, then run the whole test suite.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export HOCOVISIO_CACHE_DIR ?= /var/cache/hocovisio
WORKER_STAMP := $(HOCOVISIO_CACHE_DIR)/worker-path

.PHONY: setup setup-test system system-test venv venv-test worker fbs web run test lint bench screenshots clean

# What serving needs; setup-test adds what the tests and benchmarks need (a browser, umockdev,
# coturn, the test libraries), so that a server installed with `make run` gets none of them.
setup: system venv worker fbs web

setup-test: setup system-test venv-test

system:
	bash scripts/setup-system.sh run

system-test:
	bash scripts/setup-system.sh test

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	touch $@

venv-test: $(VENV)/.installed-test

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install -q -e '.[test]'
	touch $@

# The worker build takes minutes; worker/build.sh caches it outside the checkout.
worker: system
	mkdir -p $(HOCOVISIO_CACHE_DIR)
	bash worker/build.sh > $(WORKER_STAMP).tmp
	tail -n 1 $(WORKER_STAMP).tmp > $(WORKER_STAMP) && rm $(WORKER_STAMP).tmp

# flatc's bindings and the codec emitted from the same schemas (sfu_control/wire/_fbs).
fbs: system venv
	src=$$(bash worker/fetch-source.sh) && PYTHON=$(BIN)/python bash scripts/gen_fbs.sh "$$src"

# The browser client (web/): npm ci when the lock changes, the esbuild bundle when a source does.
web: web/dist/.built

web/node_modules/.installed: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	touch $@

web/dist/.built: web/node_modules/.installed web/build.mjs $(shell find web/src -type f)
	cd web && npm run build
	touch $@

run: setup
	MEDIASOUP_WORKER_BIN=$${MEDIASOUP_WORKER_BIN:-$$(cat $(WORKER_STAMP))} $(BIN)/hocovisio run

lint: venv-test
	$(BIN)/ruff check app sfu_control protoo station tests migrations bench scripts
	$(BIN)/ruff format --check app sfu_control protoo station tests migrations bench scripts

test: setup-test lint
	MEDIASOUP_WORKER_BIN=$${MEDIASOUP_WORKER_BIN:-$$(cat $(WORKER_STAMP))} $(BIN)/pytest -q

# bench/node holds mediasoup's Node library, the control-plane benchmark's reference peer only.
bench: setup-test
	cd bench/node && npm ci --ignore-scripts --no-audit --no-fund
	for script in bench/[!_]*.py; do \
		MEDIASOUP_WORKER_BIN=$${MEDIASOUP_WORKER_BIN:-$$(cat $(WORKER_STAMP))} \
		$(BIN)/python -m bench.$$(basename $$script .py) || exit 1; \
	done

# The pictures of the pages in docs/screenshots/, shown in the README.
screenshots: setup-test
	MEDIASOUP_WORKER_BIN=$${MEDIASOUP_WORKER_BIN:-$$(cat $(WORKER_STAMP))} $(BIN)/python -m scripts.screenshots

clean:
	rm -rf $(VENV) sfu_control/wire/_fbs
