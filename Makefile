# Two commands do everything on a fresh machine:
#   make run    set up .venv, build the index from articles/ on first start, open the chat
#   make test   set up .venv with the test tools (and Chromium), run every test
PY := .venv/bin/python
PIP := .venv/bin/pip
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False

.PHONY: run test setup bench bench-embedding clean-index

.venv/.stamp-run: pyproject.toml
	test -x $(PY) || python3 -m venv .venv
	# torch first and exactly this version: the local CPU wheel (any other spec pulls CUDA).
	$(PIP) install -q --disable-pip-version-check torch==2.13.0
	$(PIP) install -q --disable-pip-version-check -e .
	touch $@

.venv/.stamp-test: pyproject.toml .venv/.stamp-run
	$(PIP) install -q --disable-pip-version-check -e ".[test,ray]"
	command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } \
		|| echo "warning: could not install chromium; the browser tests need it (apt-get install -y chromium)"
	touch $@

setup: .venv/.stamp-run

run: .venv/.stamp-run
	$(PY) app.py

test: .venv/.stamp-test
	$(PIP) check
	$(PY) -m pytest

bench: .venv/.stamp-run
	$(PY) bench/run.py

# Embedding throughput, the COVID-QA builds (torch float32 against the default backend) and an update; ~10 min.
bench-embedding: .venv/.stamp-run
	$(PY) bench/run.py --only embedding,build,update

clean-index:
	rm -rf index/gen-* index/.tmp-* index/CURRENT index/.lock
