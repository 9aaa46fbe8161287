# The commands of the README, and the pieces they are made of.
#   make study   set up, then run the study (dvc repro) on the embedded offline default; print where outputs are
#   make test    set up, then run every check CI runs
#   make claims  set up, then the claims run of the miniature (benchmarks/claims.py: 7 presets x 5 training seeds, several hours
#                on 2 cores; resumable: run it again after an interruption) -> results/miniature-claims.{json,md} and the
#                guidance-scale tables results/claims-cfg/cfg{1,2,3}/ (each adapter generated again at CFG 1, 2 and 3), then
#                the findings page nbs/findings/claims.ipynb re-rendered from them (make claims-page)
#   make docs    re-execute the pages that read results/ (nbs/index.ipynb, nbs/findings/, nbs/guide/), then make readme
SHELL := /bin/bash
VENV  ?= .venv
BIN   := $(VENV)/bin
export PYTHONHASHSEED ?= 0
# DVC stages call python, papermill and jupyter by name: put the project's environment first, for every target (make dvc too)
export PATH := $(abspath $(VENV))/bin:$(PATH)
# Offline only where nothing may be downloaded: the tests and the claims run (tiny profile). The tiny profile's stages set
# HF_HUB_OFFLINE themselves; the full profile downloads its weights, so `make study` and `make dvc` leave the network on.
# (Without it a hub look-up in a test waits ~30 s before failing.)
test nbtest pytest claims paper-scale-smoke: export HF_HUB_OFFLINE ?= 1
test nbtest pytest claims paper-scale-smoke: export TRANSFORMERS_OFFLINE ?= 1

.PHONY: setup study test claims claims-page lint-notebooks nbtest pytest readme docs clean-runs dvc paper-scale paper-scale-smoke

setup:
	@bash scripts/setup.sh

study: setup
	@mkdir -p data
	$(BIN)/dvc repro
	@$(BIN)/python scripts/outputs.py

# the split, the captions and the real-trained classifier first (nothing to do when the study has run); CLAIMS_ARGS passes
# options, e.g. make claims CLAIMS_ARGS='--jobs 2 --presets med-art pixart-alpha --seeds 2' (see python benchmarks/claims.py
# --help); the default runs two single-thread runs at a time, as the committed runs were made (threads change rounding)
CLAIMS_ARGS ?= --jobs 2
claims: setup
	@mkdir -p data
	$(BIN)/dvc repro classify_real
	$(BIN)/python benchmarks/claims.py $(CLAIMS_ARGS)
	@$(MAKE) --no-print-directory claims-page

# the findings page of the claims run: nbs/findings/claims.ipynb executed so that its stored output renders the committed
# results/miniature-claims.json (tests/test_claims.py fails while they disagree)
claims-page:
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace --log-level WARN nbs/findings/claims.ipynb
	$(BIN)/nbdev_clean --fname nbs/findings/claims.ipynb

# DVC with the project's environment on PATH, from a shell where nothing is activated (the full profile on a GPU machine), e.g.
#   make dvc ARGS="exp run -S profile=full -S 'datasets=[kvasir]'"
#   make dvc ARGS="repro"
ARGS ?= status
dvc: setup
	@mkdir -p data
	$(BIN)/dvc $(ARGS)

# The full profile's stages on random-weight models of the real architectures at their real sizes (benchmarks/paper_scale.py;
# about an hour on 2 CPU cores, ~8 GB of model folders under runs/paper-scale/models) -> results/paper-scale/.
# On a GPU: make paper-scale PAPER_SCALE_ARGS='--device cuda' (the benchmark only: seconds per step and HLDF event, peak memory).
PAPER_SCALE_ARGS ?=
paper-scale: setup
	$(BIN)/python benchmarks/paper_scale.py $(PAPER_SCALE_ARGS)

# the same path at the real widths with one layer, 64-px images, a few minutes (what tests/test_paper_scale.py runs)
paper-scale-smoke: setup
	$(BIN)/python benchmarks/paper_scale.py --smoke --out /tmp/medart-paper-scale-smoke

# CI order: nbdev_clean and nbdev_export leave no diff, ruff passes on medart/ (pyproject.toml's [tool.ruff]), then
# pytest: tests/ and every notebook (tests/test_notebooks.py runs each as nbdev_test does), spread over 2 workers together
test: setup lint-notebooks pytest

lint-notebooks:
	$(BIN)/nbdev_clean
	@git diff --exit-code --stat -- nbs || { echo "nbdev_clean changed the notebooks above: run 'make lint-notebooks' and commit" >&2; exit 1; }
	$(BIN)/nbdev_export
	@git diff --exit-code --stat -- medart || { echo "medart/ differs from the notebooks: run nbdev_export and commit both" >&2; exit 1; }
	@$(BIN)/ruff check medart || { echo "ruff (settings: pyproject.toml) found the problems above in medart/: fix them" \
	  "in the notebook's #| export cell, then run nbdev_export (never edit medart/*.py by hand)" >&2; exit 1; }
	@out="$$($(BIN)/python scripts/function_sizes.py)"; rc=$$?; echo "$$out" | grep -vE -- '<- over$$'; \
	  test $$rc -eq 0 || { echo "a function in medart/ is over 60 lines or 10 parameters (scripts/function_sizes.py): split it" >&2; exit 1; }
	@test -z "$$(git status --porcelain -- medart nbs)" || { git status --porcelain -- medart nbs; echo "untracked or changed files under nbs/ or medart/: commit them" >&2; exit 1; }

nbtest:
	OMP_NUM_THREADS=1 $(BIN)/nbdev_test --n_workers 2 --do_print  # one thread per notebook: 2 workers on 2 cores

# tests/ on 2 workers (pytest-xdist), one thread each: a file's tests stay together (its module fixtures are built once), each
# notebook is a unit of its own (a class each), the longest start first (tests/conftest.py); the slowest tests listed at the end
pytest:
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest -q -n 2 --dist loadscope --no-loadscope-reorder --durations=25 tests/

# README.md is nbs/index.ipynb's markdown and outputs, without the code (tests/test_repository.py runs the same command)
readme:
	$(BIN)/jupyter nbconvert --to markdown --no-input --log-level WARN nbs/index.ipynb --output-dir . --output README

# the pages keep their outputs; tests/test_docs.py fails when one differs from what its code gives now
docs: setup
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace --log-level WARN nbs/index.ipynb nbs/findings/*.ipynb nbs/guide/*.ipynb
	$(BIN)/nbdev_clean
	$(MAKE) readme
