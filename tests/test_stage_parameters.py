"""The parameters cell of every stage notebook: None is its only "unset" value, and the notebook resolves its parameters with one
`medart.params_files.stage_params` call (which reads the `params` stage's file for its instance) (the train stage through `medart.launch.stage_inputs`), which accepts each name it passes."""
import ast
import json
from pathlib import Path

import pytest

from medart.config import notebook_keys

ROOT = Path(__file__).resolve().parents[1]
STAGES = ['prepare', 'caption', 'base', 'base_structures', 'train', 'generate', 'evaluate', 'classify', 'report']
# parameters that name what to run, not a setting of params.yaml: they have real defaults
NAMES = {'dataset', 'method', 'params_path', 'runs_dir', 'out_dir'}
# notebook-only parameters (not keys of params.yaml), each None by default
OWN = {'caption': {'backend', 'limit'}, 'train': {'steps'}, 'generate': {'rank', 'world'}}


def code_cells(stage):
    nb = json.loads((ROOT / 'nbs' / f'{stage}.ipynb').read_text())
    return [c for c in nb['cells'] if c['cell_type'] == 'code']


def parameters(stage) -> dict:
    "{name: default} of the stage notebook's `parameters` cell."
    cell = next(c for c in code_cells(stage) if 'parameters' in c['metadata'].get('tags', []))
    tree = ast.parse(''.join(cell['source']))
    return {n.target.id: ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.AnnAssign)}


def calls(stage, name) -> list[ast.Call]:
    tree = ast.parse('\n'.join(''.join(l for l in c['source'] if not l.lstrip().startswith(('%', '!'))) for c in code_cells(stage)))
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, 'id', getattr(n.func, 'attr', None)) == name]


@pytest.mark.parametrize('stage', STAGES)
def test_none_is_the_only_unset_value(stage):
    params = parameters(stage)
    settings = {k: v for k, v in params.items() if k not in NAMES}
    assert settings, f"nbs/{stage}.ipynb: no settings in its parameters cell?"
    not_none = {k: v for k, v in settings.items() if v is not None}
    assert not not_none, (f"nbs/{stage}.ipynb: parameters {not_none} have a default of their own; a setting's default is None "
                          f"(params.yaml's value; medart.config.SCHEMA holds the defaults)")
    unknown = set(settings) - set(notebook_keys(stage)) - OWN.get(stage, set()) - {'profile'}
    assert not unknown, f"nbs/{stage}.ipynb: parameters {unknown} are neither keys the {stage} stage reads nor its own"


@pytest.mark.parametrize('stage', STAGES)
def test_one_resolution_through_stage_params(stage):
    for old in ('resolve_params', 'load_params', 'params_record', 'read_params'):
        assert not calls(stage, old), f"nbs/{stage}.ipynb resolves by hand with {old}; call medart.params_files.stage_params once"
    if stage == 'train':  # stage_inputs resolves with stage_params, for the notebook and every launched process alike
        assert len(calls(stage, 'stage_inputs')) == 1
        return
    (call,) = calls(stage, 'stage_params')
    assert ast.literal_eval(call.args[0]) == stage
    passed = {k.arg for k in call.keywords}
    assert passed <= set(notebook_keys(stage)), passed - set(notebook_keys(stage))
    assert passed == set(parameters(stage)) - NAMES - OWN.get(stage, set()) - {'profile'}, \
        f"nbs/{stage}.ipynb must pass each of its settings to stage_params"
