"""Running an experiment notebook as the study does (papermill, its own kernel), for the tests of the stage notebooks."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def papermill(nb, out, timeout=900, **params):
    "Execute nbs/`nb` into `out` with `params` (-p key value), from the repository root; fail with its stderr."
    args = [str(BIN / 'papermill'), str(ROOT / 'nbs' / nb), str(out), '-k', 'python3', '--no-progress-bar', '--cwd', str(ROOT)]
    for k, v in params.items():
        args += ['-p', k, str(v)]
    env = dict(os.environ, HF_HUB_OFFLINE='1', OMP_NUM_THREADS='1', PATH=f"{BIN}:{os.environ['PATH']}")
    r = subprocess.run(args, capture_output=True, text=True, env=env, timeout=timeout)
    assert r.returncode == 0, f"{nb} failed:\n{r.stderr[-3000:]}"
