"""dvc.yaml's code deps are the import graph of the notebooks its stages run (medart.deps): a stage re-runs when any package
file it executes changes, and only then."""
from pathlib import Path

from medart.deps import EXEMPT, check_dvc_deps, dvc_code_deps, dvc_stage_notebooks

ROOT = Path(__file__).resolve().parents[1]


def test_dvc_code_deps_follow_the_import_graph():
    bad = check_dvc_deps(ROOT)
    assert not bad, ("dvc.yaml's medart/*.py deps differ from what the stage notebooks import; run `python -m medart.deps --write`:\n"
                     + '\n'.join(f"  {s} ({p['notebook']}): missing {p['missing']}, not imported {p['extra']}" for s, p in bad.items()))


def test_every_notebook_stage_is_checked():
    stages = dvc_stage_notebooks(ROOT / 'dvc.yaml')
    assert {'prepare', 'caption', 'train', 'generate', 'evaluate', 'classify', 'report'} <= set(stages)
    listed = dvc_code_deps(ROOT / 'dvc.yaml')
    assert all(listed[s] for s in stages if s not in EXEMPT), 'a notebook stage lists no medart/*.py dep at all'
    assert set(EXEMPT) == {'base', 'base_structures'}  # the committed base's two stages: their own code only, on purpose
    assert listed['base'] == ['medart/tiny/base.py'] and listed['base_structures'] == ['medart/tiny/structures.py']
