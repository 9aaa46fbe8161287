"""The generate stage's notebook (nbs/generate.ipynb) run by papermill on a miniature study in a temporary folder.
Its inputs are made directly (a split, a caption store, a random tiny base with random LoRA adapters) rather than by
the earlier stages' notebooks, which tests/test_study_notebooks.py runs; this keeps the test to a few seconds of
generation."""
import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from medart.config import read_yaml

from notebooks import papermill  # tests/notebooks.py

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent




def make_study(tmp_path):
    "A prepared split (10 images per class), describe-backend captions, a tiny base and LoRA adapters for med-art."
    import torch
    from medart.captions import CaptionStore
    from medart.data import DataSettings, prepare_split, split_files
    from medart.lora import add_lora, perturb_lora, save_adapters
    from medart.models import PIXART_ALPHA
    from medart.tiny.families import build_tiny_pipeline
    torch.set_num_threads(1)
    params = read_yaml((ROOT / 'params.yaml').read_text())
    base = tmp_path / 'base'
    build_tiny_pipeline(seed=0).save_pretrained(base)
    params['models']['tiny_base'] = str(base)
    (tmp_path / 'params.yaml').write_text(yaml.safe_dump(params, sort_keys=False))
    runs = tmp_path / 'runs'
    split = prepare_split('synth-endo', runs / 'synth-endo' / 'split.json', DataSettings(synth_root=tmp_path / 'synth', synth_images_per_class=10))
    CaptionStore(runs / 'synth-endo' / 'captions' / 'describe.jsonl').append(
        [dict(key=r['sha256'], caption=f"An endoscopic image of {r['label'].replace('-', ' ')}, image {i}.")
         for i, r in enumerate(split_files(split, 'train'))])
    pipe, _ = PIXART_ALPHA.start('tiny', base=base)
    add_lora(pipe, rank=4)
    perturb_lora(pipe.transformer)
    save_adapters(pipe, runs / 'synth-endo' / 'med-art' / 'adapter', base=str(base))
    return runs, split


def test_generate_notebook(tmp_path):
    from medart.generate import read_generated
    runs, split = make_study(tmp_path)
    papermill('generate.ipynb', tmp_path / 'generate.ipynb', params_path=tmp_path / 'params.yaml', runs_dir=runs,
              dataset='synth-endo', method='med-art', seeds=2, train_images_per_class=2, batch_size=8)
    out = runs / 'synth-endo' / 'med-art'
    n_test = sum(r['split'] == 'test' for r in split['files'])
    classes = split['classes']
    for name, n in [('eval-s0', n_test), ('eval-s1', n_test), ('train', 2 * len(classes))]:
        recs = read_generated(out / 'images' / name)  # raises unless the manifest is complete and matches the files
        assert len(recs) == n, name
        assert all(Path(r['path']).parent.name == r['label'] and r['method'] == 'med-art' for r in recs)
    s0, s1 = read_generated(out / 'images' / 'eval-s0'), read_generated(out / 'images' / 'eval-s1')
    assert [r['seed'] for r in s0] != [r['seed'] for r in s1]
    summary = json.loads((out / 'generate.json').read_text())
    assert summary['complete'] and summary['generated'] == 2 * n_test + 2 * len(classes)
    assert summary['sets']['eval-s0']['per_class'] == {c: n_test // len(classes) for c in classes}
    assert (out / 'samples.png').stat().st_size > 10_000
