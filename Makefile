# Digit Lab: `make run` opens the app, `make test` runs the whole suite. Both set everything up.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501

.PHONY: setup run serve test test-setup bench screenshots clean

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

# A shared server: on all interfaces, every visitor gets a lab of their own (README: "One server for many").
serve: $(VENV)/.runtime
	-@$(MAKE) --no-print-directory data/mnist/.verified || echo "warning: MNIST could not be fetched; Draw works, Train and Errors need it."
	@addresses="$$(hostname -I 2>/dev/null)"; for a in $${addresses:-localhost}; do \
		case $$a in *:*) ;; *) echo "Digit Lab for everyone on this network: http://$$a:$(PORT)";; esac; done
	DIGITLAB_SHARED=1 $(VENV)/bin/streamlit run app.py --server.port $(PORT) --server.address 0.0.0.0 --server.headless true

test-setup: setup $(VENV)/.dev
	@test -x /usr/bin/chromium || (echo "installing Debian's chromium for the browser tests" && \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) )
	@command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
		if [ "$$(id -u)" = 0 ]; then echo "installing Debian's PostgreSQL for the store's tests (tests/postgres.py)" && \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
		else echo "The store's tests also run on PostgreSQL: install it with 'sudo apt-get install -y postgresql'." && exit 1; fi

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
