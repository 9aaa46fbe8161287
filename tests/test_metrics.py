"""medart.metrics outside its notebook: torch-fidelity's standard Inception code path on a locally created weights file of
the right shape (Inception at 299 px is too slow on one CPU thread for more than a few images, so this stays small)."""
import math

import numpy as np
import pytest
import torch
from PIL import Image


def _images(folder, n, shift=0.0, seed=0):
    "n small procedural RGB images (smooth colour fields with blobs) as PNGs, optionally brightened by `shift`."
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    yy, xx = np.mgrid[0:64, 0:64] / 64
    paths = []
    for i in range(n):
        c = rng.uniform(0.2, 0.8, 3)
        cx, cy, r = rng.uniform(0.2, 0.8, 3) * [1, 1, 0.3]
        blob = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * (0.05 + r) ** 2))[..., None]
        a = np.clip((c * (1 - 0.5 * blob) + 0.4 * blob * rng.uniform(0, 1, 3) + shift) * 255, 0, 255).astype(np.uint8)
        p = folder / f'{i:03d}.png'
        Image.fromarray(a).save(p)
        paths.append(str(p))
    return paths


def test_inception_standard_path_with_a_local_weights_file(tmp_path):
    import torch_fidelity
    from medart.inception import INCEPTION, fake_inception_weights
    from medart.metrics import ImageSet, distances, features, inception_network
    torch.set_num_threads(1)
    weights = fake_inception_weights(tmp_path / 'w' / 'inception.pth', seed=1)
    with pytest.warns(UserWarning, match='not torch-fidelity'):
        net = inception_network(str(weights))
    a, b = _images(tmp_path / 'a', 6, seed=0), _images(tmp_path / 'b', 6, shift=0.25, seed=1)
    # the standard code path: calculate_metrics with feature_extractor_weights_path, as the evaluate stage's networks use it
    ref = torch_fidelity.calculate_metrics(input1=ImageSet(a, 64), input2=ImageSet(b, 64), fid=True, kid=True, kid_subset_size=6,
                                           kid_subsets=5, cuda=False, save_cpu_ram=True, cache=False, verbose=False,
                                           feature_extractor_weights_path=str(weights))
    assert all(math.isfinite(v) for v in ref.values()) and ref['frechet_inception_distance'] > 0
    fa, fb = features(a, [net], 64)[INCEPTION], features(b, [net], 64)[INCEPTION]
    ours = distances(fa, fb, INCEPTION, kid_subset_size=1000, kid_subsets=5, seed=2020)  # 2020: torch-fidelity's default KID seed
    # ours is computed in the sets' joint span (exact); torch-fidelity's 2048-d eigenvalues of a rank-12 product carry ~1e-4 of noise
    assert ours['fid_inception-v3-compat'] == pytest.approx(ref['frechet_inception_distance'], abs=1e-3)
    assert ours['kid_inception-v3-compat_mean'] == pytest.approx(ref['kernel_inception_distance_mean'], rel=1e-5)


def test_inception_absent_names_the_paths_and_the_fix(tmp_path, monkeypatch):
    "No torch-fidelity cache and no converted network (setup has not run): the error names both paths and the setup command."
    from medart.inception import INCEPTION_FILE, MetricUnavailable, inception_weights
    monkeypatch.setattr(torch.hub, 'get_dir', lambda: str(tmp_path / 'hub'))
    monkeypatch.setenv('MEDART_INCEPTION_DIR', str(tmp_path / 'setup'))
    with pytest.raises(MetricUnavailable) as e:
        inception_weights('')
    msg = str(e.value)
    assert str(tmp_path / 'hub' / 'checkpoints' / INCEPTION_FILE) in msg and str(tmp_path / 'setup') in msg
    assert 'bash scripts/setup.sh' in msg and 'python -m medart.inception' in msg and 'evaluate.inception_weights' in msg


def test_domain_extractor_registers_once(tmp_path):
    from torch_fidelity.registry import FEATURE_EXTRACTORS_REGISTRY
    from transformers import ViTConfig, ViTForImageClassification
    from medart.metrics import DomainFeatures, register_domain
    model = ViTForImageClassification(ViTConfig(image_size=64, patch_size=8, hidden_size=32, num_hidden_layers=2,
                                                num_attention_heads=2, intermediate_size=64, num_labels=8))
    n = len(FEATURE_EXTRACTORS_REGISTRY)
    register_domain('domain-test-once', model, 64, [0.5] * 3, [0.5] * 3)
    register_domain('domain-test-once', model, 64, [0.5] * 3, [0.5] * 3)
    assert len(FEATURE_EXTRACTORS_REGISTRY) == n + 1 and FEATURE_EXTRACTORS_REGISTRY['domain-test-once'] is DomainFeatures
    with pytest.raises(ValueError, match='already torch-fidelity'):
        register_domain('inception-v3-compat', model, 64, [0.5] * 3, [0.5] * 3)
