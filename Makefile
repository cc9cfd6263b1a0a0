# Two commands: `make run` runs everything, `make test` tests everything. Both set themselves up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
# CI runs the suite a second time on the machine's PostgreSQL and Redis servers, without the
# browser tests (pages read the database only through services the other tests run there) and
# without the tests marked database_free, which would run exactly the same code again.
CI_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/test
CI_REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: run test bench

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@

run: $(STAMP)
	$(BIN)/flask --app wsgi devstack

test: $(STAMP)
	@sh tests/ensure_chromium.sh
	$(BIN)/python -m pytest $(PYTEST_ARGS)
ifeq ($(CI),true)
	DATABASE_URL=$(CI_DATABASE_URL) REDIS_URL=$(CI_REDIS_URL) $(BIN)/python -m pytest -m "not browser and not database_free" $(PYTEST_ARGS)
endif

bench: $(STAMP)
	$(BIN)/python -m bench $(K)
