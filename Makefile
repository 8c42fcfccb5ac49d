# One-command set-up on a fresh Debian/Ubuntu machine with Python 3.11+:
#   make demo   create .venv, install deltagrad, train a small net and draw its graph
#   make test   create .venv, install the test extra, run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test notebooks bench readme-figure system-deps clean

system-deps:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "deltagrad needs Python 3.11+; $(PYTHON) is $$($(PYTHON) --version)"; exit 1; }
	@command -v dot >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq graphviz; }
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium; } \
		|| echo "chromium could not be installed: the browser tests will skip (and fail under CI)"
	@$(PYTHON) -c 'import ensurepip' 2>/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3-venv; }

$(BIN)/python: | system-deps
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-%: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[$*]'
	@touch $@

demo: $(VENV)/.installed-plot
	$(BIN)/python -m nn.demo

test: system-deps $(VENV)/.installed-test $(VENV)/.installed-notebooks
	$(BIN)/python -m ruff check .
	$(BIN)/python -m pytest -q -p no:cacheprovider
	$(BIN)/python -m pytest -q -p no:cacheprovider --nbmake notebooks

notebooks: $(VENV)/.installed-notebooks
	$(BIN)/python -m pytest -q -p no:cacheprovider --nbmake notebooks

bench: $(VENV)/.installed-bench
	$(BIN)/python -m benchmarks

readme-figure: $(VENV)/.installed-plot
	$(BIN)/python -m viz.readme_figure

clean:
	rm -rf $(VENV) build *.egg-info
