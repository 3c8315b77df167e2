# Digit Lab: `make run` opens the app, `make test` runs the whole suite. Both set everything up.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501

.PHONY: setup run serve haproxy test test-setup bench screenshots clean

setup: $(VENV)/.runtime data/mnist/.verified

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

# MNIST for training and the Errors page (drawing needs only the bundled model).
data/mnist/.verified:
	$(PY) -m training.fetch && touch $@

run: $(VENV)/.runtime
	-@$(MAKE) --no-print-directory data/mnist/.verified || echo "warning: MNIST could not be fetched; Draw works, Train and Errors need it."
	$(VENV)/bin/streamlit run app.py --server.port $(PORT) --server.headless true

# A shared server: on all interfaces, every visitor gets a lab of their own (README: "One server for many"),
# one Streamlit process per core behind haproxy (serve.py); REPLICAS=1 for a single process.
REPLICAS ?=
serve: $(VENV)/.runtime haproxy
	-@$(MAKE) --no-print-directory data/mnist/.verified || echo "warning: MNIST could not be fetched; Draw works, Train and Errors need it."
	$(PY) serve.py --port $(PORT) $(if $(REPLICAS),--replicas $(REPLICAS))

# Debian's haproxy keeps each visitor on one replica; without it serve.py says so and runs one process.
haproxy:
	-@command -v haproxy >/dev/null || ls /usr/sbin/haproxy >/dev/null 2>&1 || \
		if [ "$$(id -u)" = 0 ]; then echo "installing Debian's haproxy for serve.py" && \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null; \
		else echo "serve.py uses every core with haproxy: install it with 'sudo apt-get install -y haproxy'."; fi

test-setup: setup $(VENV)/.dev haproxy
	@test -x /usr/bin/chromium || (echo "installing Debian's chromium for the browser tests" && \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) )
	@command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
		if [ "$$(id -u)" = 0 ]; then echo "installing Debian's PostgreSQL for the store's tests (tests/postgres.py)" && \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
		else echo "The store's tests also run on PostgreSQL: install it with 'sudo apt-get install -y postgresql'." && exit 1; fi
	@command -v haproxy >/dev/null || test -x /usr/sbin/haproxy || \
		(echo "The tests of serve.py need haproxy: install it with 'sudo apt-get install -y haproxy'." && exit 1)

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# ruff first: a lint or format slip fails in seconds, before the suite's minutes (settings in pyproject.toml)
test: test-setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m pytest tests --durations=12  # the slowest tests listed: the suite must stay under 20 minutes

# The browser benchmarks need Playwright and Chromium, like the browser tests.
bench: test-setup
	$(PY) -m bench.run_all

# The README's pictures: the browser tests save what they see at their key moments.
screenshots: test-setup
	DIGITLAB_SCREENSHOTS=docs/screenshots $(PY) -m pytest tests/e2e -q

clean:
	rm -rf $(VENV) data/mnist
