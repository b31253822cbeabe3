# make run: set everything up, then serve HOCOVISIO (embedded PostgreSQL, real SFU).
# make test: set everything up, then run the whole test suite.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export HOCOVISIO_CACHE_DIR ?= /var/cache/hocovisio
WORKER_STAMP := $(HOCOVISIO_CACHE_DIR)/worker-path

.PHONY: setup system venv worker fbs run test lint bench clean

setup: system venv worker fbs

system:
	bash scripts/setup-system.sh

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

# The worker build takes minutes; worker/build.sh caches it outside the checkout.
worker: system
	mkdir -p $(HOCOVISIO_CACHE_DIR)
	bash worker/build.sh | tail -n 1 > $(WORKER_STAMP).tmp
	mv $(WORKER_STAMP).tmp $(WORKER_STAMP)

fbs: system
	bash scripts/gen_fbs.sh "$$(bash worker/fetch-source.sh | tail -n 1)" sfu_control/_fbs

run: setup
	MEDIASOUP_WORKER_BIN=$${MEDIASOUP_WORKER_BIN:-$$(cat $(WORKER_STAMP))} $(BIN)/hocovisio run

lint: venv
	$(BIN)/ruff check app sfu_control tests migrations
	$(BIN)/ruff format --check app sfu_control tests migrations

test: setup lint
	MEDIASOUP_WORKER_BIN=$${MEDIASOUP_WORKER_BIN:-$$(cat $(WORKER_STAMP))} $(BIN)/pytest -q

bench: setup
	for script in bench/[!_]*.py; do \
		MEDIASOUP_WORKER_BIN=$${MEDIASOUP_WORKER_BIN:-$$(cat $(WORKER_STAMP))} \
		$(BIN)/python -m bench.$$(basename $$script .py) || exit 1; \
	done

clean:
	rm -rf $(VENV) sfu_control/_fbs
