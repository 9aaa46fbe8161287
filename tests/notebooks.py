"""Running an experiment notebook as the study does (papermill, its own kernel), for the tests of the stage notebooks."""
import os
import sys
from pathlib import Path

from medart.stage_io import run_stage_notebook

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def papermill(nb, out, timeout=900, env=None, **params):
    "Execute nbs/`nb` into `out` with `params` (-p key value), from the repository root (offline, one thread); fail with its log's end; the measurements."
    # the kernel shows figures as dvc's run does (the inline backend): conftest's MPLBACKEND=Agg is for the tests' own process
    env = dict({k: v for k, v in os.environ.items() if k != 'MPLBACKEND'}, HF_HUB_OFFLINE='1', OMP_NUM_THREADS='1', PATH=f"{BIN}:{os.environ['PATH']}", **(env or {}))
    return run_stage_notebook(ROOT / 'nbs' / nb, out, cwd=ROOT, env=env, timeout=timeout, **params)
