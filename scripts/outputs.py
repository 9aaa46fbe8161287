"""Print where the study's outputs are and its headline numbers (run by `make study` after `dvc repro`)."""
import json
from pathlib import Path

from medart.config import read_yaml

runs = Path('runs')
if not runs.exists():
    raise SystemExit("no runs/ folder: `dvc repro` has not produced anything yet")
params = read_yaml(Path('params.yaml').read_text())


def read(path):
    return json.loads(path.read_text()) if path.exists() else None


def domain_fd(metrics):
    "The domain FD entry of a metrics.json ('mean ± std'), or '—'."
    for k, v in (metrics or {}).items():
        if k.startswith('fd_domain-') and isinstance(v, dict):
            return f"{v['mean']:.3f} ± {v['std']:.3f}"
    return '—'


print(f"\nStudy outputs (profile {params['profile']}, datasets {params['datasets']}, methods {params['methods']}):")
for ds in params['datasets']:
    folder = runs / ds
    split = read(folder / 'split.json')
    if split is None:
        print(f"  {folder}/: not prepared yet"); continue
    n_train = sum(c['train'] for c in split['counts'].values()); n_test = sum(c['test'] for c in split['counts'].values())
    print(f"\n  {ds}: {len(split['classes'])} classes, {n_train} train / {n_test} test images, "
          f"{len(split['problems'])} problem(s) reported in {folder / 'split.json'}")
    print(f"    captions          {folder / 'captions'}/<backend>.jsonl")
    print(f"    {'method':<17} {'domain FD':<18} {'F1 (weighted)':<14} folder")
    for m in [*params['methods'], 'real']:
        mf = folder / m
        cls = read(mf / 'classify.json') or {}
        f1 = cls.get('f1_weighted')
        print(f"    {m:<17} {domain_fd(read(mf / 'metrics.json')):<18} {f1 if f1 is None else round(f1, 3)!s:<14} {mf}/")
    report = runs / 'report' / ds
    print(f"    report            {report / 'report.md'} and report.html (Tables 2-4, Fig. 2 grid, loss curves, colour histograms)")
print("\nPer method: adapter/ (weights), images/eval-s<seed>/ and images/train/ (PNGs + manifest.jsonl), loss.csv, "
      "metrics.json, classify.json and the executed stage notebooks (*.ipynb).")
print("All numbers: .venv/bin/dvc metrics show; all curves and figures: .venv/bin/dvc plots show (writes dvc_plots/index.html); "
      "the notebooks: .venv/bin/jupyter lab")
