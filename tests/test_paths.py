"""RunPaths owns the layout under runs/: the paths it gives each stage are exactly the ones dvc.yaml declares for it."""
from pathlib import Path

import pytest
import yaml

from medart.paths import STAGE_OUTPUTS, RunPaths

ROOT = Path(__file__).resolve().parents[1]
STAGES = yaml.safe_load((ROOT / 'dvc.yaml').read_text())['stages']
DATASET, METHOD = 'some-data', 'some-method'


def _entries(section) -> set[str]:
    "The paths of a dvc.yaml outs/metrics/plots list (each a string or a one-key mapping)."
    return {next(iter(e)) if isinstance(e, dict) else e for e in section or []}


def declared(stage: str) -> set[str]:
    st = STAGES[stage]
    paths = _entries(st.get('outs')) | _entries(st.get('metrics')) | _entries(st.get('plots'))
    return {p.replace('${item.dataset}', DATASET).replace('${item.method}', METHOD) for p in paths}


def test_every_per_dataset_stage_has_its_outputs_in_runpaths():
    per_dataset = {n for n, st in STAGES.items() if 'matrix' in st}
    assert per_dataset == set(STAGE_OUTPUTS), "medart.paths.STAGE_OUTPUTS must list dvc.yaml's per-dataset stages"


@pytest.mark.parametrize('stage', sorted(STAGE_OUTPUTS))
def test_runpaths_match_dvc_yaml(stage):
    got = {str(p) for p in RunPaths(DATASET, METHOD).stage_outputs(stage)}
    assert got == declared(stage), (f"dvc.yaml stage {stage} declares {sorted(declared(stage) - got)} that RunPaths does not give, "
                                    f"RunPaths gives {sorted(got - declared(stage))} that dvc.yaml does not declare: "
                                    "change medart.paths (nbs/00b_paths.ipynb) and dvc.yaml together")


def test_stage_commands_write_their_notebook_where_runpaths_says():
    for stage in STAGE_OUTPUTS:
        cmd = STAGES[stage]['cmd'].replace('${item.dataset}', DATASET).replace('${item.method}', METHOD)
        paths = RunPaths(DATASET, METHOD).real if stage.endswith('_real') else RunPaths(DATASET, METHOD)
        nb = paths.notebook(stage.removesuffix('_real'))
        assert f' {nb} ' in cmd and f'mkdir -p {nb.parent} ' in cmd, f"dvc.yaml stage {stage}: papermill should write {nb}"
