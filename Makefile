# One-command set-up on a fresh Debian/Ubuntu machine with Python 3.11+:
#   make demo   create .venv, install deltagrad (with Graphviz and matplotlib), train a small net and draw its graph
#   make test   also install Chromium, TeX and poppler and the test extras, run every check, end with a summary
#   make fuzz   run the fuzzers and thread stress tests long (FUZZ=30 times make test's count), with a report
#   make lab    install JupyterLab into .venv and start it on the notebooks: make lab ARGS="--no-browser --port 8899"
# Every stage prints a line as it starts and one with its time as it ends (.ci/stage.py).
PYTHON  ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
ARGS    ?=
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
STAGE   := $(PYTHON) .ci/stage.py run
REPORTS := build/test-reports
# notebooks/source/ holds the one source of the two exercise notebooks (see its generate.py), not a notebook to run
NBMAKE  := -m pytest -q -p no:cacheprovider --nbmake notebooks --ignore=notebooks/source
export DELTAGRAD_MAKE_START := $(shell date +%s)

# $(call apt,CHECK,PACKAGES[,OPTIONS]): unless the shell command CHECK succeeds, apt-get install the Debian PACKAGES
apt = $(1) >/dev/null 2>&1 || $(STAGE) "apt-get install $(2)" -- sh -c '$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $(3) $(2)'

.PHONY: demo test fuzz notebooks lab bench readme-figure viz-js site venv-deps graphviz-deps system-deps clean

# what every target needs: Python 3.11+ and its venv module
venv-deps:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "deltagrad needs Python 3.11+; $(PYTHON) is $$($(PYTHON) --version)"; exit 1; }
	@$(call apt,$(PYTHON) -c 'import ensurepip',python3-venv)

# Graphviz's dot: the demo's and the notebooks' pictures
graphviz-deps:
	@$(call apt,command -v dot,graphviz)

# and for the tests: Chromium (browser tests), TeX with TikZ and poppler (compiling and checking .tex pictures)
system-deps: venv-deps graphviz-deps
	@$(call apt,command -v chromium,chromium) || echo "chromium could not be installed: the browser tests will skip (and fail under CI)"
	@$(call apt,command -v npm,npm)
	@$(call apt,kpsewhich tikz.sty,texlive-latex-base texlive-pictures,--no-install-recommends)
	@$(call apt,command -v pdftoppm,poppler-utils)

$(BIN)/python: | venv-deps
	@$(STAGE) "create $(VENV)" -- $(PYTHON) -m venv $(VENV)

$(VENV)/.installed-%: pyproject.toml | $(BIN)/python
	@$(STAGE) "pip install -e .[$*]" -- $(BIN)/python -m pip install -e '.[$*]'
	@touch $@

demo: graphviz-deps $(VENV)/.installed-plot
	@$(STAGE) "demo (python -m viz.demo)" -- $(BIN)/python -m viz.demo

test: system-deps $(VENV)/.installed-test $(VENV)/.installed-notebooks $(VENV)/.installed-lab
	@rm -rf $(REPORTS)
	@$(STAGE) --record $(REPORTS) "lint (ruff)" -- $(BIN)/python -m ruff check .
	@$(STAGE) --record $(REPORTS) "types (mypy)" -- $(BIN)/python -m mypy autograd nn viz benchmarks
	@$(STAGE) --record $(REPORTS) "unit tests and doctests (pytest)" -- \
		$(BIN)/python -m pytest -q -p no:cacheprovider --ignore=tests/browser --junitxml=$(REPORTS)/tests.xml
	@$(STAGE) --record $(REPORTS) "browser tests (pytest, headless Chromium)" -- \
		$(BIN)/python -m pytest -q -p no:cacheprovider tests/browser --junitxml=$(REPORTS)/browser.xml
	@$(STAGE) --record $(REPORTS) "notebooks (pytest --nbmake)" -- $(BIN)/python $(NBMAKE) --junitxml=$(REPORTS)/notebooks.xml
	@$(PYTHON) .ci/stage.py summary $(REPORTS)

notebooks: graphviz-deps $(VENV)/.installed-notebooks
	@$(STAGE) "notebooks (pytest --nbmake)" -- $(BIN)/python $(NBMAKE)

lab: graphviz-deps $(VENV)/.installed-lab
	@$(STAGE) "JupyterLab on notebooks/ (Ctrl-C stops it)" -- \
		$(BIN)/python .ci/lab.py --notebook-dir=notebooks $(shell [ "$$(id -u)" = 0 ] && echo --allow-root) $(ARGS)

# the differential fuzzers (vs PyTorch, compiled vs scalar, register_op'd ops) and thread stress tests, long:
# FUZZ times the examples and calls make test runs (thousands of graphs); ends with counts and worst errors
FUZZ ?= 30
fuzz: $(VENV)/.installed-test
	@$(STAGE) "fuzzers x$(FUZZ) (tests/autograd/test_fuzz.py, test_threads.py)" -- env DELTAGRAD_FUZZ_EXAMPLES=$(FUZZ) \
		$(BIN)/python -m pytest -q -p no:cacheprovider tests/autograd/test_fuzz.py tests/autograd/test_threads.py

bench: system-deps $(VENV)/.installed-bench
	@$(STAGE) "benchmarks (python -m benchmarks)" -- $(BIN)/python -m benchmarks

readme-figure: graphviz-deps $(VENV)/.installed-plot
	@$(STAGE) "README figure (python -m viz.readme_figure)" -- $(BIN)/python -m viz.readme_figure

# Graphviz compiled to WebAssembly, for the lab's widgets and draw_graph without `dot`: vendored from npm into
# viz/static (the package never fetches it at run time). Refresh with `make viz-js VIZ_JS_VERSION=x.y.z`.
VIZ_JS_VERSION ?= 3.31.0
viz-js:
	rm -rf build/viz-js && mkdir -p build/viz-js
	cd build/viz-js && npm pack --silent @viz-js/viz@$(VIZ_JS_VERSION) >/dev/null && tar xzf viz-js-viz-$(VIZ_JS_VERSION).tgz
	test "$$(node -p 'require("./build/viz-js/package/package.json").license')" = MIT
	cp build/viz-js/package/dist/viz.js viz/static/viz.js
	sed -i 's|^viz/static/viz.js is @viz-js/viz [0-9.]*|viz/static/viz.js is @viz-js/viz $(VIZ_JS_VERSION)|' viz/static/LICENSE-viz-js.txt
	@echo "viz/static/viz.js: @viz-js/viz $(VIZ_JS_VERSION), $$(wc -c < viz/static/viz.js) bytes"

# The browser page, a static site in build/site/: Pyodide (npm `pyodide`, pinned and licence-checked in
# viz/site/build.py), deltagrad's wheel, Graphviz-WASM, lab.js and the lessons; the page fetches nothing elsewhere.
# Serve it with `python3 -m http.server -d build/site` and open http://127.0.0.1:8000/. (make test builds it too.)
site: $(BIN)/python
	@$(call apt,command -v npm,npm)
	@$(STAGE) "build the browser page (build/site)" -- $(BIN)/python viz/site/build.py build/site

clean:
	rm -rf $(VENV) build *.egg-info
