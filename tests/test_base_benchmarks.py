"""The base benchmarks' own pieces: the photograph-like images with generic structures, the describer's captions of a base's
pretraining images, and the caption-agreement score of benchmarks/base_follows_captions.py."""
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


binding, follows = _load('base_text_binding'), _load('base_follows_captions')


def test_primitives_images_are_seeded_and_add_structures():
    from medart.tiny.synth_base import render_base_image
    a, b = binding.render_primitives_image(7, 64, 0), binding.render_primitives_image(7, 64, 0)
    assert np.array_equal(np.asarray(a), np.asarray(b)), 'the same index and seed must draw the same image'
    assert not np.array_equal(np.asarray(a), np.asarray(binding.render_primitives_image(8, 64, 0)))
    assert not np.array_equal(np.asarray(a), np.asarray(render_base_image(7, 64, 0)[0])), 'structures must change synth-base'
    # over 40 images the describer finds dark openings in some and not in others: the structures vary
    from medart.tiny.measure import measure
    openings = [measure(binding.render_primitives_image(i, 64, 0), 64, endoscopic=True)['opening'] is not None for i in range(40)]
    assert 5 <= sum(openings) <= 35, sum(openings)


def test_describer_captions_are_kept_and_redone_when_the_images_change(tmp_path):
    from medart.tiny.base import to_tensor
    images = to_tensor([binding.render_primitives_image(i, 64, 0) for i in range(3)])
    path = tmp_path / 'captions.json'
    caps = binding.describer_captions(images, path)
    assert len(caps) == 3 and all(c.startswith('A photograph, ') for c in caps)
    kept = json.loads(path.read_text())
    kept['captions'][0] = 'kept'; path.write_text(json.dumps(kept))
    assert binding.describer_captions(images, path)[0] == 'kept', 'a matching store must be reused'
    assert len(binding.describer_captions(images[:2], path)) == 2, 'a store for other images must be redone'


def test_caption_agreement_is_one_for_the_same_images_and_lower_for_shuffled():
    real = [binding.render_primitives_image(i, 64, 0) for i in range(12)]
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
