# StrideGuard — `make run` starts the app, `make test` runs every test.
# Both bootstrap .venv on a fresh machine.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 5000
# The machine kind's PostgreSQL (trust auth); tests create a throwaway database per run.
export STRIDEGUARD_TEST_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/test

.PHONY: run test test-fast bench fuzz services chromium clean

$(STAMP): pyproject.toml plugins/example-plugin/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/strideguard run --host $(HOST) --port $(PORT)

# Debian's Chromium for the browser tests (Playwright cannot download its own here).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# Start PostgreSQL and Redis with the machine's documented commands when they are down.
services:
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
	@redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 || redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
	@for i in $$(seq 1 30); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 1; done

test: $(STAMP) chromium services
	$(PY) -m pytest -p no:cacheprovider -q

test-fast: $(STAMP) services
	$(PY) -m pytest -p no:cacheprovider -q -m "not browser"

bench: $(STAMP) services
	@command -v wrk >/dev/null 2>&1 || { (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(PY) -m tests.bench.run

# A longer fuzzing run than the one `make test` includes.
fuzz: $(STAMP) services
	SG_FUZZ_EXAMPLES=300 SG_FUZZ_STEPS=40 $(PY) -m pytest -p no:cacheprovider -q -s tests/security/test_fuzz.py

clean:
	rm -rf $(VENV) build *.egg-info test-output
