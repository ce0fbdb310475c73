# make        set everything up and build every edition of the PML publication into dist/
# make test   run the whole test suite
# make bench  speed and memory against pandoc, then a 50-publication catalog build
# make lint   ruff and mypy
# make previews  re-render the README's PNG previews from the PML PDF

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
READY  := $(VENV)/.ready
SYSTEM := $(VENV)/.system
TOOLS  := $(VENV)/.validators

.PHONY: all setup bytecode build test bench lint previews clean
.DEFAULT_GOAL := all

all: build

$(READY): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[test]'
	touch $@

$(SYSTEM): scripts/setup-system.sh | $(READY)
	bash scripts/setup-system.sh
	touch $@

# The validators (javac, Ace from package-lock.json, PdfUaCheck compiled against veraPDF): make test runs them.
$(TOOLS): scripts/setup-validators.sh package-lock.json tools/java/PdfUaCheck.java | $(READY) $(SYSTEM)
	PYTHON=$(BIN)/python bash scripts/setup-validators.sh
	touch $@

setup: $(READY) $(SYSTEM) $(TOOLS)

# Byte-compile the package first (pip does this for installed packages, not for an editable one): a
# machine that sets PYTHONDONTWRITEBYTECODE would otherwise recompile brochure/ on every build (~20 ms).
bytecode: setup
	$(BIN)/python -m compileall -q brochure

# Each publication through the validation gate first (EPUBCheck, Nu, Ace, veraPDF; its outputs into .cache/checked):
# the catalog build then makes the same EPUB bytes, and an EPUB the gate passed carries the conformance claim.
build: bytecode
	for source in publications/*/*.md; do $(BIN)/brochure -q build "$$source" -o .cache/checked --check || exit 2; done
	$(BIN)/brochure build publications -o dist

# Two pytest-xdist workers, each test file on one of them: a file's module and session fixtures (the corpus build,
# the validation gate's builds) are made once. (Not --dist loadgroup: with pytest 9.2, xdist 3.8 ignores xdist_group.)
# After `bytecode`: the suite starts the CLI over a hundred times, each would otherwise compile brochure/ again (~0.1 s).
test: bytecode
	$(BIN)/python -m pytest -n 2 --dist loadfile

bench: bytecode
	$(BIN)/python bench/job.py
	$(BIN)/python bench/run.py
	$(BIN)/python bench/limits.py
	$(BIN)/python bench/catalog.py
	$(BIN)/python bench/orders.py

previews: setup
	$(BIN)/python scripts/previews.py

lint: setup
	$(BIN)/ruff check brochure tests bench scripts
	$(BIN)/mypy brochure

clean:
	rm -rf dist .cache
