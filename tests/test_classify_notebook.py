"""The classify stage's notebook (nbs/classify.ipynb) run by papermill on a miniature study in a temporary folder: the
upper bound (method real: the real training split, saved as the domain network) and a method trained on a generated
set. The generated set is made directly with medart.generate from a random tiny pipeline (2 solver steps), so the test
takes seconds; tests/test_generate_notebook.py runs the generate notebook itself."""
import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from medart.config import load_params, read_yaml

from notebooks import papermill  # tests/notebooks.py

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent




def test_classify_notebook_real_and_generated(tmp_path):
    import torch
    from medart.classify import load_classifier, predict
    from medart.data import DataSettings, prepare_split, split_files
    from medart.generate import SamplerSettings, generate_set, train_prompts
    from medart.tiny.families import build_tiny_pipeline
    torch.set_num_threads(1)
    params = read_yaml((ROOT / 'params.yaml').read_text())
    (tmp_path / 'params.yaml').write_text(yaml.safe_dump(params, sort_keys=False))
    runs = tmp_path / 'runs'
    split = prepare_split('synth-endo', runs / 'synth-endo' / 'split.json', DataSettings(synth_root=tmp_path / 'synth', synth_images_per_class=10))
    classes, test = split['classes'], split_files(split, 'test')
    common = dict(params_path=tmp_path / 'params.yaml', runs_dir=runs, dataset='synth-endo')

    papermill('classify.ipynb', tmp_path / 'real.ipynb', method='real', epochs=2, **common)
    out = runs / 'synth-endo' / 'real'
    res = json.loads((out / 'classify.json').read_text())
    for k in ('f1_weighted', 'balanced_accuracy', 'auc_ovr_macro', 'accuracy'):
        assert isinstance(res[k], float) and 0 <= res[k] <= 1, k          # flat numbers: what `dvc metrics show` lists
    assert res['n'] == len(test) == 16
    assert res['protocol'] | {'train_seconds': 0} == dict(
        model='tiny', loaded_from=dict(model='tiny', revision=None, commit=None), epochs=2, lr=params['profiles']['tiny']['classify']['lr'],
        batch_size=load_params(tmp_path / 'params.yaml')['classify']['batch_size'],
        image_size=params['profiles']['tiny']['classify']['image_size'], n_train=64, n_test=16, seed=0,
        train_set='real training split', device='cuda' if torch.cuda.is_available() else 'cpu', train_seconds=0)  # the device it ran on
    assert [h['epoch'] for h in res['history']] == [1, 2]
    scores = json.loads((out / 'classify_scores.json').read_text())  # what `dvc metrics show` lists: three numbers
    assert scores == dict(f1=res['f1_weighted'], bacc=res['balanced_accuracy'], auc=res['auc_ovr_macro'])
    assert (out / 'confusion.png').stat().st_size > 5_000
    assert not (out / 'classifier_checkpoints').exists()
    model, pre = load_classifier(out / 'classifier')                  # the domain network of the evaluate stage
    assert pre['classes'] == classes and pre['image_size'] == res['protocol']['image_size']
    probs = predict(model, test)
    assert abs((probs.argmax(1) == [classes.index(r['label']) for r in test]).mean() - res['accuracy']) < 1e-9

    pipe = build_tiny_pipeline(seed=0)
    train = split_files(split, 'train')
    captions = {r['sha256']: f"An endoscopic image of {r['label'].replace('-', ' ')}" for r in train}
    prompts = train_prompts(train, captions, per_class=2, seed=0, classes=classes)
    generate_set(pipe, prompts, runs / 'synth-endo' / 'med-art' / 'images' / 'train',
                 SamplerSettings(steps=2, cfg=4.5, batch_size=16), seed=10_000, progress=False)
    papermill('classify.ipynb', tmp_path / 'med-art.ipynb', method='med-art', epochs=1, **common)
    out = runs / 'synth-endo' / 'med-art'
    res = json.loads((out / 'classify.json').read_text())
    assert res['method'] == 'med-art' and res['protocol']['n_train'] == 16 and res['n'] == 16
    assert res['protocol']['train_set'].endswith('med-art/images/train')
    assert (out / 'confusion.png').exists() and not (out / 'classifier').exists()
