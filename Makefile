# StrideGuard — `make run` starts the app, `make test` runs every test.
# Both bootstrap .venv on a fresh machine.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# Stamps: what `make run` needs (the package and its dependencies), and the test extras on top.
STAMP  := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
LIGHTHOUSE_DIR := .lighthouse
HOST   ?= 127.0.0.1
PORT   ?= 5000
# The machine kind's PostgreSQL (trust auth); tests create a throwaway database per run.
export STRIDEGUARD_TEST_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/test

.PHONY: run test test-fast audit bench fuzz lighthouse services chromium clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml plugins/example-plugin/pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $(STAMP)

$(TEST_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(TEST_STAMP)

run: $(STAMP)
	@$(COMPILE_APP)
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

# The suite runs on pytest-xdist workers (-n auto: one per core); the browser tests stay
# together on one worker (one server, one Chromium). Kinds are markers: browser, process
# (real server/worker/CLI processes), network (pip-audit: `make audit`, not here).
# pytest keeps the modules it rewrites for its assertions (the tests, conftest, and every module
# of the hypothesis and schemathesis plugins: ~280, ~2.4 s per process) as bytecode only when
# writing bytecode is allowed: the controller writes them once and every xdist worker reuses them.
PYTEST := env -u PYTHONDONTWRITEBYTECODE $(PY) -m pytest -p no:cacheprovider -q
XDIST  ?= -n auto --dist loadgroup
# Bytecode for our own modules, written once before the suite: this machine kind sets
# PYTHONDONTWRITEBYTECODE=1, so without it every server, worker and CLI process a test starts
# compiles the app again (~0.4 s of CPU each, hundreds of processes).
COMPILE_APP = $(PY) -m compileall -q -j 0 server plugins >/dev/null
COMPILE = $(PY) -m compileall -q -j 0 server plugins tests >/dev/null

test: $(TEST_STAMP) chromium services
	$(COMPILE)
	$(PYTEST) $(XDIST) -m "not network"

# No browser, no processes, no network: the in-process tests on SQLite, and on PostgreSQL the
# ones whose behaviour depends on the database (marker `database`); schemathesis tries 5
# examples per operation (15 in `make test`, 300 in `make fuzz`). `make test` runs both
# databases for every backend-parametrised test.
test-fast: $(TEST_STAMP) services
	$(COMPILE)
	SG_FUZZ_EXAMPLES=5 $(PYTEST) $(XDIST) -m "not browser and not process and not network and (not postgres or database)"

# pip-audit asks PyPI for known vulnerabilities of every installed dependency (network).
audit: $(TEST_STAMP)
	$(PYTEST) -m network tests/security/test_supply_chain.py

bench: $(TEST_STAMP) services
	@command -v wrk >/dev/null 2>&1 || { (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(PY) -m tests.bench.run $(BENCH_ARGS)

# A longer fuzzing run than the one `make test` includes, and the full hostile-input corpus
# (every field case anonymously too, both surrogate halves, surrogates as raw UTF-8).
fuzz: $(TEST_STAMP) services
	SG_FUZZ_EXAMPLES=300 SG_FUZZ_STEPS=40 SG_HOSTILE_FULL=1 SG_LANES_WRITES=60 $(PY) -m pytest -p no:cacheprovider -q -s \
	  tests/security/test_fuzz.py tests/security/test_hostile.py tests/security/test_one_runner_lanes.py

# Lighthouse 12 (npm, into .lighthouse/, git-ignored) on Debian's Chromium: the shell, the
# check-in and History screens and the therapist's patient page at phone size must score
# performance >= 0.9, accessibility >= 0.95, best practices >= 0.9 (tests/lighthouse.py starts
# the app, creates the demo runner and therapist and signs in through the forms with
# Playwright: it needs the test extras).
lighthouse: $(TEST_STAMP) chromium
	@test -x $(LIGHTHOUSE_DIR)/node_modules/.bin/lighthouse || npm install --silent --no-audit --no-fund --prefix $(LIGHTHOUSE_DIR) lighthouse@12
	$(PY) -m tests.lighthouse --lighthouse $(LIGHTHOUSE_DIR)/node_modules/.bin/lighthouse

clean:
	rm -rf $(VENV) build *.egg-info test-output $(LIGHTHOUSE_DIR)
