"""The experiment notebooks chained as the study runs them (papermill, one kernel each), on a miniature study in a
temporary folder: prepare -> caption -> train -> generate -> classify (real) -> evaluate (real, method) -> classify ->
report, for Med-Art and two Table 2 baselines through their method presets (SDXL: the text path with two encoders and
size conditioning; Fast-DiT: the class-label path; every baseline's own code is tested in nbs/14_baselines). SDXL is trained
and generates; evaluate and classify, which read generated sets whatever made them, run for Med-Art and Fast-DiT. nbdev_test
skips caption and train (they need the previous stage's output); this test is where their whole code path runs in CI."""
import csv
import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from medart.config import read_yaml

from notebooks import papermill  # tests/notebooks.py

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


BASELINES = ['sdxl', 'fast-dit']
SCORED = ['med-art', 'fast-dit']  # the methods evaluated and classified here (and so in the report); sdxl is trained and generates


def _row(report: str, section: str, method: str) -> list[str]:
    "The cells of `method`'s row in the table under the heading that starts with `section`."
    part = report.split(f'## {section}', 1)[1].split('\n## ', 1)[0]
    rows = [l for l in part.splitlines() if l.startswith(f'| {method} |')]
    assert rows, f"no row for {method} under '{section}':\n{part}"
    return [c.strip() for c in rows[0].strip('|').split('|')]


def _table(report: str, section: str) -> tuple[list[str], dict[str, list[str]]]:
    "(header, {method: cells}) of the table under the heading that starts with `section`, Markdown escapes undone."
    part = report.split(f'## {section}', 1)[1].split('\n## ', 1)[0]
    lines = [l for l in part.splitlines() if l.startswith('| ')]
    cells = lambda l: [re.sub(r'\\(.)', r'\1', c.strip()) for c in re.split(r'(?<!\\)\|', l.strip())[1:-1]]
    assert lines, f"no table under '{section}':\n{part}"
    return cells(lines[0]), {cells(l)[0]: cells(l) for l in lines[1:]}


def _pm(v, std=None) -> str:
    "A result file's number as the report prints it: `{mean, std}` dicts, plain numbers with an optional std."
    from medart.report import fmt
    return fmt(v['mean'], v['std']) if isinstance(v, dict) else fmt(v, std)


def check_report_tables(report: str, runs: Path, dataset: str, methods: list, ablations: list, size: int):
    """Every number of the report's Tables 2-4 and of its checks, colour and cost tables is the one in the file it comes from
    (metrics.json, classify.json, checks.json, train.json, generate.json; colour: recomputed from the images), in the row of
    its method and the column of its metric."""
    from medart.data import load_image, read_split, split_files
    from medart.generate import read_generated
    from medart.report import TABLE2, colour_summary
    load = lambda m, f: json.loads((runs / dataset / m / f).read_text())
    keys = {'FID': 'fid_{}', 'FD': 'fd_{}', 'KID': 'kid_{}_mean'}
    for section, rows in [('Table 2', [m for m in TABLE2 if m in methods] + ['real']), ('Table 3', ablations + ['real'])]:
        header, table = _table(report, section)
        assert list(table) == rows, (section, list(table))
        cols = [(i, re.fullmatch(r'(FID|FD|KID) \[(.+)\] \(this run\)', h).groups())
                for i, h in enumerate(header) if h.endswith('(this run)')]
        assert {k for _, (k, _) in cols} == {'FID', 'FD', 'KID'}, header
        for m in rows:
            metrics = load(m, 'metrics.json')
            for i, (kind, net) in cols: assert table[m][i] == _pm(metrics[keys[kind].format(net)]), (section, m, header[i])
    header, table = _table(report, 'Table 4')
    assert list(table) == [*methods, 'real']
    for m in table:
        c = load(m, 'classify.json')
        for label, key in [('F1 (weighted)', 'f1_weighted'), ('BACC', 'balanced_accuracy'), ('AUC (OvR macro)', 'auc_ovr_macro')]:
            assert table[m][header.index(f'{label} (this run)')] == _pm(c[key]), (m, label)
    header, table = _table(report, 'Does each method show its classes?')
    assert list(table) == [*methods, 'real']
    for m in methods:
        c = load(m, 'checks.json')
        want = [m, _pm(c['class_accuracy'], c.get('class_accuracy_std')), _pm(c['spread_ratio'], c.get('spread_ratio_std')),
                'passed' if c['collapse_check_passed'] else '**failed**', _pm(c['colour_distance'], c.get('colour_distance_std')),
                _pm(c['saturation'], c.get('saturation_std'))]
        assert table[m] == want, (m, table[m], want)
    real = load('real', 'checks.json')
    assert table['real'] == ['real', _pm(real['class_accuracy']), '1', '—', '0', _pm(real['saturation'])]
    header, table = _table(report, 'Colour of real vs generated images')
    test = [load_image(r['path'], size) for r in split_files(read_split(runs / dataset / 'split.json'), 'test')]
    for m in methods:
        images = [load_image(r['path'], size) for r in read_generated(runs / dataset / m / 'images' / 'eval-s0')]
        assert table[m] == [m, *(_pm(v) for v in colour_summary(images, test).values())], m
    header, table = _table(report, 'Cost')
    for m in methods:
        tr, ge = load(m, 'train.json'), load(m, 'generate.json')
        assert table[m] == [m, str(tr['steps']), str(tr['hldf_events']), _pm(tr['seconds']), str(tr.get('processes', 1)),
                            str(ge['images']), _pm(ge['images_per_s'])], m


def _flat(d: dict, prefix=''):
    for k, v in d.items():
        if isinstance(v, dict): yield from _flat(v, f'{prefix}{k}.')
        else: yield prefix + k


def report_html(nb: Path) -> str:
    "The HTML page of an executed report notebook, made by the command the report stage of dvc.yaml runs."
    cmd = yaml.safe_load((ROOT / 'dvc.yaml').read_text())['stages']['report']['cmd']
    convert = shlex.split(next(part for part in cmd.split('&&') if 'nbconvert' in part))
    convert = [str(BIN / convert[0]), *(str(nb) if a.endswith('report.ipynb') else a for a in convert[1:])]
    subprocess.run(convert, check=True, capture_output=True)
    return nb.with_suffix('.html').read_text()


def dvc_metrics_show(root: Path) -> dict:
    "`dvc metrics show --json` of the repository's dvc.yaml on the outputs under `root` (which holds the study's params.yaml): {path: metrics}."
    shutil.copy(ROOT / 'dvc.yaml', root / 'dvc.yaml')
    subprocess.run([str(BIN / 'dvc'), 'init', '--no-scm', '-q'], cwd=root, check=True, capture_output=True)
    r = subprocess.run([str(BIN / 'dvc'), 'metrics', 'show', '--json'], cwd=root, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return {path: v['data'] for rev in json.loads(r.stdout).values() for path, v in rev['data'].items()}


def test_prepare_caption_train_chain(tmp_path):
    from medart.tiny.families import build_tiny_pipeline
    from medart.report import fmt
    params = read_yaml((ROOT / 'params.yaml').read_text())
    params['synth']['images_per_class'] = 10                      # 8 train + 2 test images per class
    params['profiles']['tiny']['generate'] = dict(seeds=2, train_images_per_class=4)
    params['profiles']['tiny']['classify'].update(epochs=2)
    params['profiles']['tiny']['evaluate'].update(per_class_min=2, kid_subset_size=8, kid_subsets=4)
    params['methods'] = ['med-art', *BASELINES]
    params['train']['validation_every'] = 2                          # validation images at steps 2 and 4
    params['data']['synth_root'] = str(tmp_path / 'synth')
    base = tmp_path / 'base'
    build_tiny_pipeline(seed=0).save_pretrained(base)                # a base without the 20-minute base stage
    params['models']['tiny_base'] = str(base)
    (tmp_path / 'params.yaml').write_text(yaml.safe_dump(params, sort_keys=False))
    runs = tmp_path / 'runs'
    common = dict(params_path=tmp_path / 'params.yaml', runs_dir=runs, dataset='synth-endo')
    papermill('prepare.ipynb', tmp_path / 'prepare.ipynb', **common)
    assert (runs / 'synth-endo' / 'split.json').exists()
    papermill('caption.ipynb', tmp_path / 'caption.ipynb', **common)
    rows = (runs / 'synth-endo' / 'captions' / 'describe.jsonl').read_text().splitlines()
    assert len(rows) == 64
    papermill('train.ipynb', tmp_path / 'train.ipynb', method='med-art', steps=4, hldf_every=2, hldf_steps=3,
              hldf_backprop_last_k=3, **common)
    out = runs / 'synth-endo' / 'med-art'
    assert (out / 'adapter' / 'medart_lora.safetensors').exists()
    log = list(csv.DictReader(open(out / 'loss.csv')))
    assert len(log) == 4
    assert [bool(r['colour_loss']) for r in log] == [False, True, False, True], "HLDF events at steps 2 and 4 carry a colour loss"
    used = json.loads((out / 'train.json').read_text())['params']  # each parameter with where it came from
    assert used['train.hldf_every'] == {'value': 2, 'from': 'notebook parameter'}
    assert (used['train.resolution'], used['train.hldf']) == ({'value': 64, 'from': 'profiles.tiny'}, {'value': True, 'from': 'default'})
    live = out / 'dvclive' / 'plots'  # train.report_to: dvclive (the default): what `dvc plots show` draws for this method
    tsv = lambda name: [int(r['step']) for r in csv.DictReader(open(live / 'metrics' / f'{name}.tsv'), delimiter='\t')]
    assert tsv('diffusion_loss') == [1, 2, 3, 4] and tsv('colour_loss') == [2, 4] and tsv('extra_grad_norm') == [2, 4]
    assert sorted(p.name for p in (live / 'images' / 'validation').iterdir()) == ['2.png', '4.png']
    assert sorted(p.name for p in (out / 'validation').iterdir()) == ['step_0000002.png', 'step_0000004.png']
    assert 'README.md' in {p.name for p in (out / 'adapter').iterdir()} and '![samples](samples.png)' in (out / 'adapter' / 'README.md').read_text()

    papermill('generate.ipynb', tmp_path / 'generate.ipynb', method='med-art', **common)
    assert (out / 'generate.json').exists()
    papermill('classify.ipynb', tmp_path / 'classify-real.ipynb', method='real', **common)
    papermill('evaluate.ipynb', tmp_path / 'evaluate-real.ipynb', method='real', **common)
    papermill('evaluate.ipynb', tmp_path / 'evaluate.ipynb', method='med-art', **common)
    papermill('classify.ipynb', tmp_path / 'classify.ipynb', method='med-art', **common)
    m = json.loads((out / 'metrics.json').read_text())
    fd = [k for k in m if k.startswith('fd_domain-')]
    assert fd and m[fd[0]]['n'] == 2, "domain FD over the two generation seeds"
    assert m['params']['generate.seeds'] == {'value': 2, 'from': 'profiles.tiny'}
    assert json.loads((out / 'classify.json').read_text())['params']['classify.epochs'] == {'value': 2, 'from': 'profiles.tiny'}

    for b in BASELINES:  # the same stages, through the baseline's method preset (train.family)
        bout = runs / 'synth-endo' / b
        papermill('train.ipynb', tmp_path / f'train-{b}.ipynb', method=b, steps=3, **common)
        train = json.loads((bout / 'train.json').read_text())
        assert (train['family'], train['baseline'], train['steps']) == (b, b, 3)
        assert len((bout / 'loss.csv').read_text().splitlines()) == 1 + 3
        papermill('generate.ipynb', tmp_path / f'generate-{b}.ipynb', method=b, **common)
        rows = [json.loads(l) for l in (bout / 'images' / 'eval-s0' / 'manifest.jsonl').read_text().splitlines()]
        assert rows and all(r['family'] == b for r in rows)
        if b in SCORED:  # evaluate and classify read the generated sets whatever made them: one baseline's run of them will do
            papermill('evaluate.ipynb', tmp_path / f'evaluate-{b}.ipynb', method=b, **common)
            papermill('classify.ipynb', tmp_path / f'classify-{b}.ipynb', method=b, **common)
    for b in BASELINES:
        bout = runs / 'synth-endo' / b
        assert (bout / 'dvclive' / 'plots').is_dir() and (bout / 'validation').is_dir()  # dvc.yaml's outputs exist (empty: no tracker here)

    # Table 3 has rows only when an ablation ran: the report reads files, so Med-Art's, copied as DoRA's, make one without a
    # fifth training (the tables are checked against the files below, whatever made them)
    shutil.copytree(out, runs / 'synth-endo' / 'dora', ignore=shutil.ignore_patterns('adapter', 'checkpoints', 'cache', '*.ipynb'))
    study = (tmp_path / 'params.yaml').read_text()
    (tmp_path / 'params.yaml').write_text(yaml.safe_dump(dict(params, methods=[*SCORED, 'dora']), sort_keys=False))
    papermill('report.ipynb', tmp_path / 'report.ipynb', params_path=tmp_path / 'params.yaml', runs_dir=runs, dataset='synth-endo')
    (tmp_path / 'params.yaml').write_text(study)
    report = (runs / 'report' / 'synth-endo' / 'report.md').read_text()
    assert '| med-art |' in report and 'FD \\[domain-' in report and (runs / 'report' / 'synth-endo' / 'fig2_grid.png').exists()
    assert '(paper, paper)' not in report and '(paper, Kvasir v2)' in report  # synth-endo is shown beside the paper's Kvasir numbers
    html = report_html(tmp_path / 'report.ipynb')  # report.html: rendered tables and figures, no front matter, no warnings
    assert html.count('<table') >= 6 and html.count('<img') >= 3, 'report.html should show Tables 2-4, the checks, colour, cost and its figures'
    for text in ('skip_exec', 'Warning', 'data-mime-type="application/vnd.jupyter.stderr"', '| med-art |'):
        assert text not in html, f"report.html shows {text!r}"
    protocol = json.loads((runs / 'report' / 'synth-endo' / 'protocol.json').read_text())  # whole, not cut off
    assert '[protocol.json](protocol.json)' in report and '```json' not in report
    for m in [*SCORED, 'real']:
        assert protocol[m] == json.loads((runs / 'synth-endo' / m / 'metrics.json').read_text())['protocol'], m
    assert protocol['real']['pool_split'] == 'test' and _row(report, 'Protocol', 'real')[2] == str(protocol['real']['n_real'])
    check_report_tables(report, runs, 'synth-endo', methods=[*SCORED, 'dora'], ablations=['dora', 'med-art'], size=64)

    # `dvc metrics show` on this study with the repository's dvc.yaml: only the headline files, one row each, few columns
    from medart.metrics import SCORES
    (tmp_path / 'params.yaml').write_text(yaml.safe_dump(dict(params, methods=SCORED), sort_keys=False))  # the methods scored here
    shown = dvc_metrics_show(tmp_path)
    methods = [*SCORED, 'real']
    assert sorted(shown) == sorted(f'runs/synth-endo/{m}/{f}_scores.json' for m in methods for f in ('evaluate', 'classify')), sorted(shown)
    columns = ['Path', *sorted({k for metrics in shown.values() for k in _flat(metrics)})]
    assert len(columns) <= 40, f"dvc metrics show prints {len(columns)} columns: {columns}"
    assert set(columns) == {'Path', 'f1', 'bacc', 'auc', *SCORES, *(f'{k}_std' for k in SCORES)}, columns
