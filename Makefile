# The two commands (see README):
#   make book   install everything, execute every notebook with papermill, build the Jupyter Book
#   make test   install everything, run the test suite, build the book in the quick profile
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
PY     := $(VENV)/bin/python
PROFILE ?= full

.PHONY: test book lab serve install system-deps browser-deps pytest book-quick clean

$(VENV)/.installed: requirements.txt constraints.txt pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "srlib needs Python 3.11, found " + sys.version.split()[0]'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade "pip==26.3"
	$(PY) -m pip install -q -r requirements.txt -c constraints.txt
	$(PY) -m pip install -q --no-deps -e .
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	$(PY) tools/book.py --quiet-kernel >/dev/null
	touch $@

system-deps:
	bash scripts/install-system-deps.sh

browser-deps:
	bash scripts/install-system-deps.sh --browser

install: system-deps $(VENV)/.installed

pytest: install
	$(PY) -m pytest -q

book-quick: install
	$(PY) tools/book.py --profile quick

# The README's test command: the quick book, then the test suite (with the checks of its HTML,
# in headless Chromium too).
test: install browser-deps
	$(PY) tools/book.py --profile quick
	$(PY) -m pytest -q

# The README's report command.
book: install
	$(PY) tools/book.py --profile $(PROFILE)

# JupyterLab refuses to start as root unless told (containers, cloud notebooks): tell it when uid is 0.
lab: install
	@echo "JupyterLab starts below: open the http://localhost:8888/lab?token=... address it prints."
	$(VENV)/bin/jupyter lab notebooks/ $(if $(filter 0,$(shell id -u)),--allow-root)

# The built book on the loopback interface (make book first).
serve:
	@test -f _build/html/index.html || { echo "no built book: run 'make book' (or 'make book PROFILE=quick') first" >&2; exit 1; }
	@echo "serving _build/html at http://127.0.0.1:8000/ (Ctrl-C stops)"
	$(PYTHON) -m http.server --directory _build/html --bind 127.0.0.1 8000

clean:
	rm -rf _build
