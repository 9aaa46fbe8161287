# The commands of the README, and the pieces they are made of.
#   make study   set up, then run the study (dvc repro) on the embedded offline default; print where outputs are
#   make test    set up, then run every check CI runs
#   make claims  set up, then the claims run of the miniature (benchmarks/claims.py: 7 presets x 3 training seeds; its runtime is
#                runtime_s in results/miniature-claims.json; resumable: run it again after an interruption) -> results/miniature-claims.{json,md}
#   make docs    re-execute the pages that read results/ (nbs/index.ipynb, nbs/findings/, nbs/guide/), then make readme
SHELL := /bin/bash
VENV  ?= .venv
BIN   := $(VENV)/bin
# The tiny profile needs no network; without this every hub look-up waits ~30 s before failing.
export HF_HUB_OFFLINE ?= 1
export TRANSFORMERS_OFFLINE ?= 1
export PYTHONHASHSEED ?= 0
# DVC stages call papermill and jupyter by name: put the project's environment first
export PATH := $(abspath $(VENV))/bin:$(PATH)

.PHONY: setup study test claims lint-notebooks nbtest pytest readme docs clean-runs

setup:
	@bash scripts/setup.sh

study: setup
	@mkdir -p data
	$(BIN)/dvc repro
	@$(BIN)/python scripts/outputs.py

# the split, the captions and the real-trained classifier first (nothing to do when the study has run); CLAIMS_ARGS passes
# options, e.g. make claims CLAIMS_ARGS='--presets med-art pixart-alpha --seeds 2' (see python benchmarks/claims.py --help)
CLAIMS_ARGS ?=
claims: setup
	@mkdir -p data
	$(BIN)/dvc repro classify_real
	$(BIN)/python benchmarks/claims.py $(CLAIMS_ARGS)

# CI order: nbdev_clean and nbdev_export leave no diff, nbdev_test, pytest tests/
test: setup lint-notebooks nbtest pytest

lint-notebooks:
	$(BIN)/nbdev_clean
	@git diff --exit-code --stat -- nbs || { echo "nbdev_clean changed the notebooks above: run 'make lint-notebooks' and commit" >&2; exit 1; }
	$(BIN)/nbdev_export
	@git diff --exit-code --stat -- medart || { echo "medart/ differs from the notebooks: run nbdev_export and commit both" >&2; exit 1; }
	@test -z "$$(git status --porcelain -- medart nbs)" || { git status --porcelain -- medart nbs; echo "untracked or changed files under nbs/ or medart/: commit them" >&2; exit 1; }

nbtest:
	OMP_NUM_THREADS=1 $(BIN)/nbdev_test --n_workers 2 --do_print  # one thread per notebook: 2 workers on 2 cores

pytest:
	$(BIN)/python -m pytest -q tests/

# README.md is nbs/index.ipynb's markdown and outputs, without the code (tests/test_repository.py runs the same command)
readme:
	$(BIN)/jupyter nbconvert --to markdown --no-input --log-level WARN nbs/index.ipynb --output-dir . --output README

# the pages keep their outputs; tests/test_docs.py fails when one differs from what its code gives now
docs: setup
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace --log-level WARN nbs/index.ipynb nbs/findings/*.ipynb nbs/guide/*.ipynb
	$(BIN)/nbdev_clean
	$(MAKE) readme
