# One-command set-up on a fresh Debian/Ubuntu machine with Python 3.11+:
#   make demo   create .venv, install deltagrad, train a small net and draw its graph
#   make test   create .venv, install the test extra, run the whole test suite
#   make lab    install JupyterLab into .venv and open it on the notebooks
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test notebooks lab bench readme-figure viz-js system-deps clean

system-deps:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "deltagrad needs Python 3.11+; $(PYTHON) is $$($(PYTHON) --version)"; exit 1; }
	@command -v dot >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq graphviz; }
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium; } \
		|| echo "chromium could not be installed: the browser tests will skip (and fail under CI)"
	@kpsewhich tikz.sty >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq --no-install-recommends texlive-latex-base texlive-pictures; }
	@command -v pdftoppm >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq poppler-utils; }
	@$(PYTHON) -c 'import ensurepip' 2>/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3-venv; }

$(BIN)/python: | system-deps
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-%: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[$*]'
	@touch $@

demo: $(VENV)/.installed-plot
	$(BIN)/python -m viz.demo

test: system-deps $(VENV)/.installed-test $(VENV)/.installed-notebooks $(VENV)/.installed-lab
	$(BIN)/python -m ruff check .
	$(BIN)/python -m mypy autograd nn viz benchmarks
	$(BIN)/python -m pytest -q -p no:cacheprovider
	$(BIN)/python -m pytest -q -p no:cacheprovider --nbmake notebooks

notebooks: $(VENV)/.installed-notebooks
	$(BIN)/python -m pytest -q -p no:cacheprovider --nbmake notebooks

lab: $(VENV)/.installed-lab
	$(BIN)/jupyter lab --notebook-dir=notebooks $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)

bench: $(VENV)/.installed-bench
	$(BIN)/python -m benchmarks

readme-figure: $(VENV)/.installed-plot
	$(BIN)/python -m viz.readme_figure

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

clean:
	rm -rf $(VENV) build *.egg-info
