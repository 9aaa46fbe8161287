"""Print where the study's outputs are (run by `make study` after `dvc repro`)."""
import json
from pathlib import Path

runs = Path('runs')
if not runs.exists():
    raise SystemExit("no runs/ folder: `dvc repro` has not produced anything yet")
print("\nStudy outputs (under runs/):")
for folder in sorted(p for p in runs.iterdir() if p.is_dir()):
    files = sorted(f for f in folder.rglob('*') if f.is_file())
    shown = [f for f in files if f.suffix in ('.json', '.jsonl', '.csv', '.png', '.md', '.html', '.ipynb') and f.parent == folder]
    print(f"  {folder}/  ({len(files)} files)")
    for f in shown:
        print(f"    {f.name}")
    split = folder / 'split.json'
    if split.exists():
        m = json.loads(split.read_text())
        n_train = sum(c['train'] for c in m['counts'].values()); n_test = sum(c['test'] for c in m['counts'].values())
        print(f"    -> {m['dataset']}: {len(m['classes'])} classes, {n_train} train / {n_test} test images, "
              f"{len(m['problems'])} problem(s) reported")
print("\nOpen the executed notebooks (runs/<dataset>/*.ipynb) in JupyterLab: .venv/bin/jupyter lab")
