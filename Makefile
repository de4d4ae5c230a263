# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
PG_URL ?= postgres://postgres@127.0.0.1:5432/hotline
# The public data and the Open311 schemas live beside the checkout (../shared); a checkout
# elsewhere on this machine finds them at /work/shared. Only tests and benchmarks read them.
HOTLINE_DATA_DIR ?= $(firstword $(wildcard $(CURDIR)/../shared/data /work/shared/data))
export HOTLINE_DATA_DIR
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-sqlite test-postgres test-ha ha-packages install browser telephony screenshots lint format bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	@rm -f $(VENV)/.installed-*
	@touch $@

# Front-end libraries (htmx) from the npm registry, exactly as locked; served from node_modules/.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

install: $(STAMP) node_modules/.package-lock.json

# The browser tests drive Debian's Chromium; without a CJK font every Chinese character is a box
# (in pages, charts and reports). The report test opens the Word file with LibreOffice and reads
# the PDF back with poppler. With CI=true a failed install fails here (the tests fail, not skip).
browser:
	@(command -v chromium >/dev/null && command -v soffice >/dev/null && \
		command -v pdftotext >/dev/null && fc-list 2>/dev/null | grep -qi "Noto Sans CJK") || \
		(apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk \
			libreoffice-writer-nogui poppler-utils) || \
		{ [ "$$CI" != true ] || exit 1; echo "chromium/libreoffice not installed: their tests will be skipped"; }

# The SIP tests (tests/calls/sip) run Kamailio, sipp and baresip from Debian. Kamailio's modules
# of deploy/kamailio/kamailio.cfg: crypto (HMAC) is in kamailio-tls-modules, http_client in
# kamailio-utils-modules, jansson in kamailio-extra-modules. With CI=true a failed install fails.
TELEPHONY_PACKAGES := kamailio kamailio-tls-modules kamailio-utils-modules kamailio-extra-modules \
	sip-tester baresip
telephony:
	@dpkg -s $(TELEPHONY_PACKAGES) >/dev/null 2>&1 || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			$(TELEPHONY_PACKAGES)) || \
		{ [ "$$CI" != true ] || exit 1; echo "kamailio/sipp/baresip not installed: the SIP tests will be skipped"; }

# A developer's server: DEBUG on unless set, since with DEBUG off `hotline serve` refuses the
# development secret key (production sets HOTLINE_SECRET_KEY and friends, see README).
run: install
	$(BIN)/hotline migrate --noinput
	$(BIN)/hotline demo --tickets $${DEMO_TICKETS:-300}
	HOTLINE_DEBUG=$${HOTLINE_DEBUG:-true} $(BIN)/hotline serve --host $(HOST) --port $(PORT)

test: install browser telephony
	$(BIN)/ruff check .
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres
	$(MAKE) --no-print-directory test-ha

test-sqlite: install browser telephony
	env -u HOTLINE_DATABASE_URL $(BIN)/pytest

# With CI=true a missing PostgreSQL fails the run; elsewhere it is reported and skipped.
test-postgres: install browser telephony
	@$(BIN)/python -m hotline.pgcheck "$(PG_URL)" || exit 1
	@if $(BIN)/python -m hotline.pgcheck --quiet "$(PG_URL)"; then \
		HOTLINE_DATABASE_URL="$(PG_URL)" $(BIN)/pytest; fi

# High availability (docs/ha.md): etcd and three PostgreSQL 15 members under Patroni, started in a
# temporary folder on free ports (never the shared server on 5432); the leader is killed mid-load.
# With CI=true a failed install of patroni/etcd fails here (the tests fail, not skip).
HA_PACKAGES := patroni etcd-server etcd-client
ha-packages:
	@dpkg -s $(HA_PACKAGES) >/dev/null 2>&1 || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			$(HA_PACKAGES)) || \
		{ [ "$$CI" != true ] || exit 1; echo "patroni/etcd not installed: the HA tests will be skipped"; }

test-ha: install ha-packages
	HOTLINE_TEST_HA=1 env -u HOTLINE_DATABASE_URL $(BIN)/pytest -s tests/ha

# Documentation screenshots: the browser tests save each role's page into docs/screenshots.
screenshots: install browser
	HOTLINE_SCREENSHOTS=$(CURDIR)/docs/screenshots env -u HOTLINE_DATABASE_URL $(BIN)/pytest \
		tests/browser tests/portal/test_portal_browser.py tests/reports/test_dashboard_browser.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache *.egg-info node_modules
