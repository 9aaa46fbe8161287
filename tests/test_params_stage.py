"""The `params` stage through DVC itself, on a miniature pipeline: a bad `-S` stops before any output is deleted, a set value
takes effect whatever it equals, and editing one dataset's entry in datasets.yaml re-runs that dataset's stages only."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ENTRY = "{name}:\n  modality: {modality}\n  classes: [x, y]\n  features: colour\n  path: {name}\n"


def miniature(tmp: Path):
    "The repository's own `params` stage, then a per-dataset stage reading the dataset entry and a per-method stage (uncached outputs)."
    real = yaml.safe_load((ROOT / 'dvc.yaml').read_text())['stages']
    stages = {'params': real['params'],
              'prepare': {'matrix': {'dataset': '${datasets}'},
                          'cmd': 'mkdir -p runs/${item.dataset} && cp runs/params/prepare/${item.dataset}.json runs/${item.dataset}/prepared.json',
                          'deps': ['runs/params/prepare/${item.dataset}.json'],
                          'outs': [{'runs/${item.dataset}/prepared.json': {'cache': False}}]},
              'train': {'matrix': {'dataset': '${datasets}', 'method': '${methods}'},
                        'cmd': 'mkdir -p runs/${item.dataset}/${item.method} && '
                               'cp runs/params/train/${item.dataset}/${item.method}.json runs/${item.dataset}/${item.method}/train.json',
                        'deps': ['runs/params/train/${item.dataset}/${item.method}.json', 'runs/${item.dataset}/prepared.json'],
                        'outs': [{'runs/${item.dataset}/${item.method}/train.json': {'cache': False}}]}}
    (tmp / 'dvc.yaml').write_text(yaml.safe_dump({'stages': stages}, sort_keys=False))
    shutil.copy(ROOT / 'params.yaml', tmp / 'params.yaml')
    (tmp / 'datasets.yaml').write_text(ENTRY.format(name='a', modality='fundus') + ENTRY.format(name='b', modality='fundus'))
    override(tmp, ['datasets=[a,b]', 'methods=[med-art]'])


def override(tmp, overrides):
    "What `dvc exp run -S ...` does to params.yaml before it reproduces."
    from dvc.utils.hydra import apply_overrides
    apply_overrides(str(tmp / 'params.yaml'), overrides)


def dvc(tmp, *args, check=True):
    env = dict(os.environ, PYTHONPATH=str(ROOT), PATH=f"{BIN}:{os.environ['PATH']}", DVC_NO_ANALYTICS='1')
    r = subprocess.run([str(BIN / 'dvc'), *args], cwd=tmp, capture_output=True, text=True, env=env, timeout=300)
    if check: assert r.returncode == 0, r.stdout + r.stderr
    return r


def ran(result) -> set:
    return {l.split("'")[1] for l in result.stdout.splitlines() if l.startswith("Running stage '")}


def test_params_stage_guards_outputs_and_reruns_exactly_what_changed(tmp_path):
    miniature(tmp_path)
    dvc(tmp_path, 'init', '--no-scm', '-q')
    assert ran(dvc(tmp_path, 'repro')) == {'params', 'prepare@a', 'prepare@b', 'train@a-med-art', 'train@b-med-art'}
    assert ran(dvc(tmp_path, 'repro')) == {'params'}  # nothing changed: only the check runs

    # a value set equal to the paper's default wins over the tiny profile's (0.001), and re-runs only the stages that read it
    override(tmp_path, ['train.lr=0.0001'])
    assert ran(dvc(tmp_path, 'repro')) == {'params', 'train@a-med-art', 'train@b-med-art'}
    train = json.loads((tmp_path / 'runs/a/med-art/train.json').read_text())
    assert train['params']['train.lr'] == {'value': 0.0001, 'from': 'params.yaml'}

    # editing one dataset's registry entry re-runs that dataset's stages only
    (tmp_path / 'datasets.yaml').write_text(ENTRY.format(name='a', modality='dermoscopic') + ENTRY.format(name='b', modality='fundus'))
    assert ran(dvc(tmp_path, 'repro')) == {'params', 'prepare@a', 'train@a-med-art'}  # train@a: its input prepared.json changed
    assert json.loads((tmp_path / 'runs/a/prepared.json').read_text())['dataset_entry']['modality'] == 'dermoscopic'

    # an invalid override (the form DVC's own error message suggests) stops in the params stage, and every output stays
    outputs = {p: p.read_bytes() for p in (tmp_path / 'runs').glob('[ab]/**/*.json')}
    assert len(outputs) == 4
    override(tmp_path, ['+train.hldf_evry=100', 'train.lr=0.01'])
    r = dvc(tmp_path, 'repro', check=False)
    assert r.returncode != 0
    assert 'train.hldf_evry: unknown parameter (did you mean train.hldf_every?)' in r.stderr, r.stderr
    assert ran(r) == {'params'}
    assert {p: p.read_bytes() for p in outputs} == outputs


@pytest.mark.parametrize('where', ['datasets.yaml', 'params.yaml'])
def test_hostile_dataset_names_stop_the_params_stage(tmp_path, where):
    "A dataset name that would run a shell command or write outside runs/ stops the `params` stage; nothing runs, nothing escapes."
    miniature(tmp_path)
    dvc(tmp_path, 'init', '--no-scm', '-q')
    hostile = ['x;touch PWNED;echo', '../../escape']
    if where == 'datasets.yaml':  # the entries alone, not even in the study's list, stop the registry
        (tmp_path / 'datasets.yaml').write_text(''.join(ENTRY.format(name=yaml.safe_dump(n).split('\n')[0], modality='fundus')
                                                        for n in ['a', *hostile]))
    else:  # the names in the study's list (as a hand edit of params.yaml would put them)
        raw = yaml.safe_load((tmp_path / 'params.yaml').read_text())
        (tmp_path / 'params.yaml').write_text(yaml.safe_dump({**raw, 'datasets': ['a', *hostile]}, sort_keys=False))
    before = {p for p in tmp_path.parent.rglob('*')}
    r = dvc(tmp_path, 'repro', check=False)
    assert r.returncode != 0
    assert "x;touch PWNED;echo" in r.stderr and 'does not match' in r.stderr, r.stderr
    assert ran(r) == {'params'}
    created = {p for p in tmp_path.parent.rglob('*')} - before
    assert not [p for p in created if 'PWNED' in p.name or 'escape' in str(p)], created
    assert not [p for p in created if not p.is_relative_to(tmp_path)], created


def test_the_study_seed_does_not_reach_the_committed_base():
    """`dvc exp run -S seed=3` must not rebuild the tiny base (an hour of pretraining standing in for a downloaded PixArt-α, which
    the study's seed would not change either): the resolved files the base stages depend on do not hold `seed`; base.seed is theirs."""
    from medart.config import read_yaml
    from medart.params_files import stage_files, stage_params_path
    raw = read_yaml((ROOT / 'params.yaml').read_text())
    files = lambda r: {p.as_posix(): doc for p, doc in stage_files(r).items()}
    study, reseeded, base_reseeded = files(raw), files(dict(raw, seed=3)), files(dict(raw, base=dict(raw['base'], seed=3)))
    for stage in ('base', 'base_structures'):
        path = stage_params_path(stage).as_posix()
        assert reseeded[path] == study[path], stage
        assert base_reseeded[path] != study[path] and base_reseeded[path]['params']['base.seed']['value'] == 3, stage
    train = stage_params_path('train', raw['datasets'][0], raw['methods'][0]).as_posix()
    assert reseeded[train]['params']['seed']['value'] == 3 and reseeded[train] != study[train]  # the study's seed still reaches training
