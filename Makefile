# thidua — two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

export PREFECT_HOME ?= $(CURDIR)/data/prefect
export PREFECT_SERVER_ANALYTICS_ENABLED ?= false
export PREFECT_LOGGING_LEVEL ?= WARNING
export DO_NOT_TRACK ?= 1
export GX_ANALYTICS_ENABLED ?= false

.PHONY: setup system-deps demo test lint lock clean serve deploy worker audit bench bench-medium bench-quick screens

setup: $(STAMP)

# Editable install: pyproject's package-dir makes it a .pth file naming the checkout, so packages added
# later import without a reinstall (no package-list finder, no deprecated "compat" mode, no warning box).
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

## demo: generate sample exports 2024-01..2025-12, start the stand-in API, close every month of 2025
demo: setup
	@mkdir -p "$(PREFECT_HOME)"
	$(VENV)/bin/thidua demo

## test: the whole suite, on SQLite and (when reachable) PostgreSQL
# The task-run recorder of the in-process test server only adds shutdown noise to tests.
## system-deps: the Debian packages the tests drive, installed here when missing (as root, or through sudo):
# headless Chromium + ChromeDriver (dashboard, target pages), LibreOffice Calc (report -> PDF, .xls/.ods copies)
# and Writer (a plan .docx -> PDF), poppler-utils (PDF pages read back); then the local PostgreSQL server is
# started if it is down (ops/start-postgres.sh). Idempotent: a machine that has everything pays a few dpkg
# queries. A desktop LibreOffice (libreoffice-calc, libreoffice-writer) counts for its -nogui package (the two
# conflict). `make test` depends on this target and .ci/run calls `make test`: one road on every machine.
DEB_PACKAGES := chromium chromium-driver libreoffice-calc-nogui libreoffice-writer-nogui poppler-utils
system-deps:
	@installed() { dpkg-query -W -f='$${Status}' "$$1" 2>/dev/null | grep -q "ok installed"; }; \
	missing=""; for p in $(DEB_PACKAGES); do \
	  installed "$$p" || installed "$${p%-nogui}" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO=sudo; \
	  echo "installing Debian packages:$$missing"; \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get update -q >/dev/null || true; \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends $$missing >/dev/null \
	    || { echo "could not install$$missing: run as root, or install them with apt-get" >&2; exit 1; }; \
	fi
	@ops/start-postgres.sh

# The suite runs in $(TEST_WORKERS) processes (pytest-xdist), a test file per process at a time: each process has
# its own Prefect test server, stand-in API and PostgreSQL databases; the reliability summary gathers them.
TEST_WORKERS ?= 2
test: setup system-deps
	@mkdir -p "$(PREFECT_HOME)"
	PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_ENABLED=false $(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile --durations=20

## screens: PNG screenshots of the dashboard, a target page, a validation report and the printed report
# into docs/screens/ (ops/screens.py: the demo warehouse under data/screens, made once; Chromium, LibreOffice)
screens: setup system-deps
	$(PY) ops/screens.py

## bench: pipeline vs baseline side by side (bench/README.md; hours: a 114-ward city, 1 M dossiers, 3,321 units)
# Needs the PostgreSQL server (THIDUA_BENCH_PG_URL); inputs are cached under data/bench/.
bench: setup
	@mkdir -p "$(PREFECT_HOME)"
	$(PY) -m bench.run
	$(PY) -m bench.report

## bench-medium: the 114-ward city for a quarter, 1 M dossiers, a 600-unit nation slice (~30 min here)
bench-medium: setup
	@mkdir -p "$(PREFECT_HOME)"
	$(PY) -m bench.run --size medium
	$(PY) -m bench.report

## bench-quick: the same at toy sizes (5 wards x 2 months, 50k dossiers, 200 units) as a smoke check
bench-quick: setup
	@mkdir -p "$(PREFECT_HOME)"
	$(PY) -m bench.run --quick
	$(PY) -m bench.report

## serve / deploy / worker: the operator path (README, "Operate"); each runs in its own terminal or unit
serve: setup
	@mkdir -p "$(PREFECT_HOME)"
	ops/serve.sh

deploy: setup
	ops/deploy.sh

worker: setup
	ops/worker.sh

## audit: known vulnerabilities in the locked dependencies (pip-audit over constraints.txt, PyPI's data);
# fails on a finding not listed in ops/pip-audit-ignore.txt, warns loudly when the service is unreachable
audit: setup
	$(PY) ops/audit.py

lint: setup
	$(VENV)/bin/ruff check .

## lock: rewrite constraints.txt from the current .venv
lock: setup
	$(PY) -m pip freeze --exclude-editable | grep -v '^-e' > constraints.txt.new && mv constraints.txt.new constraints.txt

clean:
	rm -rf data .pytest_cache
