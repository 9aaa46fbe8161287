"""The import graph of medart: module-level and function-level imports both count (a lazy import still loads the module)."""
from pathlib import Path

import pytest

from medart.deps import closure, module_graph

GRAPH = module_graph(Path(__file__).resolve().parents[1])  # {module: the medart modules it imports}, read with ast


def reachable(start: str) -> set[str]:
    return closure({start}, GRAPH) - {start}


def test_the_graph_sees_known_edges():  # guards the parser: a graph with no edges would pass everything below
    assert 'classify' in GRAPH['metrics'] and 'data' in GRAPH['captions'] and 'hldf' in GRAPH['train']


def test_io_and_paths_are_leaves():
    assert GRAPH['io'] == set(), f"medart.io must import nothing from medart, imports {GRAPH['io']}"
    assert GRAPH['paths'] <= {'io'}, f"medart.paths may import only medart.io, imports {GRAPH['paths']}"


@pytest.mark.parametrize('module', ['metrics', 'classify'])
def test_evaluation_does_not_load_the_training_stack(module):
    bad = reachable(module) & {'train', 'baselines', 'generate', 'registry'}
    assert not bad, f"medart.{module} reaches {sorted(bad)} through its imports: computing metrics must not load the training stack"


@pytest.mark.parametrize('module', ['metrics', 'classify', 'generate'])
def test_no_edge_to_train_or_baselines(module):
    # the done-when of issue 15: no import edge from metrics, classify or generate to train or baselines
    bad = GRAPH[module] & {'train', 'baselines'}
    assert not bad, f"medart.{module} imports {sorted(bad)}: it must reach a family through medart.registry only"


def test_generate_does_not_load_training():
    assert 'train' not in reachable('generate'), "medart.generate reaches medart.train: generation must not load the training loop"


def test_families_sit_below_training():  # config -> io/paths -> data -> families/models -> train -> generate -> metrics/classify -> report
    below = {'families', 'models', 'baselines', 'registry', 'lora', 'sampling'}
    for m in below:
        bad = reachable(m) & {'train', 'generate', 'metrics', 'classify', 'report', 'launch'}
        assert not bad, f"medart.{m} reaches {sorted(bad)}: a model family must not import what comes after it"
    assert 'registry' in GRAPH['train'] and 'registry' in GRAPH['generate']
