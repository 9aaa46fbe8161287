"""The base benchmarks' own pieces: the structure images they share with the base_structures stage (medart.tiny.structures,
whose describer captions its notebook tests), the caption-agreement score of benchmarks/base_follows_captions.py and the
confusion counts of benchmarks/generated_confusion.py."""
import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'benchmarks'))


def _load(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / 'benchmarks' / f'{name}.py')
    module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)
    return module


follows = _load('base_follows_captions')


def test_structures_images_are_seeded_and_add_structures():
    "The base_structures stage's images (medart.tiny.structures): seeded, synth-base changed, dark openings in some images only."
    from medart.tiny.measure import measure
    from medart.tiny.structures import render_structures_image
    from medart.tiny.synth_base import render_base_image
    a, b = render_structures_image(7, 64, 0), render_structures_image(7, 64, 0)
    assert np.array_equal(np.asarray(a), np.asarray(b)), 'the same index and seed must draw the same image'
    assert not np.array_equal(np.asarray(a), np.asarray(render_structures_image(8, 64, 0)))
    assert not np.array_equal(np.asarray(a), np.asarray(render_base_image(7, 64, 0)[0])), 'structures must change synth-base'
    # over 40 images the describer finds dark openings in some and not in others: the structures vary
    openings = [measure(render_structures_image(i, 64, 0), 64, endoscopic=True)['opening'] is not None for i in range(40)]
    assert 5 <= sum(openings) <= 35, sum(openings)


def test_caption_agreement_is_one_for_the_same_images_and_lower_for_shuffled():
    from medart.tiny.structures import render_structures_image
    real = [render_structures_image(i, 64, 0) for i in range(12)]
    same = follows.caption_agreement(real, real)
    assert same['matched']['background'] == 1 and same['matched']['region'] == 1 and same['matched']['opening'] == 1
    assert same['matched']['opening_distance'] in (None, 0.0)
    assert same['chance']['region'] < 1


def test_generated_confusion_counts_every_image_once(tmp_path):
    "benchmarks/generated_confusion.py: each generated image is classified once, counts and labels agree, an empty run is named."
    import pytest
    from medart.classify import build_classifier
    from medart.tiny.synth import render_image
    confusion = _load('generated_confusion')
    classes = ['polyps', 'normal-z-line']
    runs = []
    for k, n in enumerate((3, 2)):
        run = tmp_path / f'seed{k}'
        for c in classes:
            (run / 'images' / c).mkdir(parents=True)
            for i in range(n): render_image('synth-endo', c, i, 64, k).save(run / 'images' / c / f'{i:03d}.png')
        runs.append(run)
    model = build_classifier('tiny', classes, image_size=32, seed=0)  # untrained: any prediction; the bookkeeping is tested
    y_true, y_pred, counts = confusion.confusion_counts(model, runs)
    assert len(y_true) == len(y_pred) == 2 * (3 + 2)
    assert {c: sum(v.values()) for c, v in counts.items()} == {c: 5 for c in classes}
    for c in classes:
        assert all(counts[c].get(p, 0) == sum(t == c and q == p for t, q in zip(y_true, y_pred)) for p in classes)
    fig = confusion.sample_strip(runs, {c: [] for c in classes}, classes, per_class=2)
    assert len(fig.axes) == 2 * 2 * len(classes)
    (tmp_path / 'empty' / 'images').mkdir(parents=True)
    with pytest.raises(SystemExit, match='holds no generated images'):
        confusion.generated_images(tmp_path / 'empty')
