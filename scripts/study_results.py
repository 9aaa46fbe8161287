"""Keep the offline study's headline numbers, its Fig. 2 grid and the two commands' measured times in results/study/ (committed),
for the README and nbs/findings/study.ipynb to read.

Run from the repository root:
    .venv/bin/python scripts/study_results.py                        # after `make study`: copy runs/ -> results/study/study.json, fig2_grid.png
    .venv/bin/python scripts/study_results.py --time 'make study' LOG  # record a `/usr/bin/time -v` log's wall time and peak memory
                                                                     # in results/study/timings.json (also 'make test', 'setup')
"""
import argparse
import json
import os
import re
import subprocess
import time
from pathlib import Path

from PIL import Image

from medart.config import read_yaml
from medart.io import write_json_atomic
from medart.paths import RunPaths

OUT = Path('results/study')


def read(path: Path) -> dict | None:
    return json.loads(path.read_text()) if path.exists() else None


def method_record(dataset: str, method: str) -> dict:
    "What the README and the study page show of one method (or 'real'): headline scores, checks, training cost."
    p = RunPaths(dataset, method)
    checks = read(p.checks_json) or {}
    train = read(p.train_json) or {}
    return {'evaluate': read(p.evaluate_scores), 'classify': read(p.classify_scores),
            'checks': {k: v for k, v in checks.items() if not isinstance(v, (dict, list)) or k.endswith('_per_class')},
            'train': {k: train.get(k) for k in ('steps', 'hldf_events', 'seconds') if k in train}}


def machine() -> dict:
    cpu = next((l.split(':', 1)[1].strip() for l in Path('/proc/cpuinfo').read_text().splitlines() if l.startswith('model name')), None) \
        if Path('/proc/cpuinfo').exists() else None
    mem = next((int(l.split()[1]) / 2**20 for l in Path('/proc/meminfo').read_text().splitlines() if l.startswith('MemTotal')), None) \
        if Path('/proc/meminfo').exists() else None
    return {'cpus': os.cpu_count(), 'cpu': cpu, 'memory_gib': round(mem, 1) if mem else None}


def commit() -> str | None:
    r = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], capture_output=True, text=True)
    return r.stdout.strip() or None


def compact_grid(dataset: str, methods: list, seed: int, out: Path, names: dict | None = None) -> Path:
    """The README's figure: Fig. 2's images without their captions, a column per class and a row each for the real image and each
    method's image from that image's caption (the first evaluation set, the same picks as the report's Fig. 2)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from medart.data import read_split, split_files
    from medart.generate import grid_rows, read_generated
    split = read_split(RunPaths(dataset).split)
    sets = {m: read_generated(RunPaths(dataset, m).eval_set(seed)) for m in methods}
    rows = grid_rows(sets, split_files(split, 'train'), split.get('classes'))
    cols = ['real', *methods]
    fig, axes = plt.subplots(len(cols), len(rows), figsize=(1.05 * len(rows) + 0.7, 1.05 * len(cols) + 0.35), squeeze=False)
    for j, r in enumerate(rows):
        for i, c in enumerate(cols):
            ax = axes[i, j]
            ax.set_xticks([]); ax.set_yticks([])
            for side in ax.spines.values(): side.set_visible(False)
            if r['images'].get(c): ax.imshow(Image.open(r['images'][c]).convert('RGB'))
            if i == 0: ax.set_title(r['label'].replace('-', ' ').replace(' ', '\n', 1), fontsize=7)
            if j == 0: ax.set_ylabel((names or {}).get(c, c), fontsize=8)
    fig.tight_layout(pad=0.2, w_pad=0.1, h_pad=0.1)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    Image.open(out).convert('RGB').quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(out, optimize=True)   # a small PNG
    return out


def copy_study(width: int = 900) -> Path:
    """results/study/study.json, fig2_grid.png (the report's Fig. 2, downscaled) and fig2_compact.png (the README's) from the finished
    study under runs/ (the first dataset of params.yaml)."""
    params = read_yaml(Path('params.yaml').read_text())
    dataset, methods = params['datasets'][0], params['methods']
    grid = RunPaths(dataset).report_dir / 'fig2_grid.png'
    if not grid.exists(): raise SystemExit(f"{grid}: no report yet; run `make study` first")
    doc = {'command': 'make study', 'dataset': dataset, 'profile': params['profile'], 'seed': params['seed'], 'methods': methods,
           'written': time.strftime('%Y-%m-%d %H:%M'), 'commit': commit(),
           'results': {m: method_record(dataset, m) for m in [*methods, 'real']}}
    OUT.mkdir(parents=True, exist_ok=True)
    write_json_atomic(OUT / 'study.json', doc)
    im = Image.open(grid).convert('RGB')
    if im.width > width: im = im.resize((width, round(im.height * width / im.width)), Image.LANCZOS)
    im.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(OUT / 'fig2_grid.png', optimize=True)
    compact_grid(dataset, methods, params['seed'], OUT / 'fig2_compact.png', {'med-art': 'Med-Art', 'pixart-alpha': 'PixArt-α'})
    return OUT / 'study.json'


def parse_time_log(text: str) -> dict:
    "Wall time (s) and peak RSS (GiB) from the output of GNU `/usr/bin/time -v`."
    wall = re.search(r'Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)', text)
    rss = re.search(r'Maximum resident set size \(kbytes\): (\d+)', text)
    if not wall: raise SystemExit("no 'Elapsed (wall clock) time' line: give the stderr of `/usr/bin/time -v <command>`")
    secs = sum(float(x) * 60 ** i for i, x in enumerate(reversed(wall.group(1).split(':'))))
    return {'wall_s': round(secs, 1), 'peak_rss_gib': round(int(rss.group(1)) / 2**20, 2) if rss else None}


def record_time(command: str, log: Path, note: str = '') -> Path:
    "Add `command`'s measured time from `log` to results/study/timings.json (other commands' entries are kept)."
    path = OUT / 'timings.json'
    doc = read(path) or {}
    doc[command] = {**parse_time_log(Path(log).read_text()), 'note': note, 'measured': time.strftime('%Y-%m-%d'),
                    'commit': commit(), 'machine': machine()}
    OUT.mkdir(parents=True, exist_ok=True)
    write_json_atomic(path, doc)
    return path


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--time', nargs=2, metavar=('COMMAND', 'LOG'), help="record COMMAND's time from a /usr/bin/time -v LOG")
    ap.add_argument('--note', default='', help='how it was run (e.g. "fresh clone, alone on the machine, pip cache warm")')
    a = ap.parse_args()
    print(record_time(*a.time, a.note) if a.time else copy_study())
