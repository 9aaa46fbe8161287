"The claims run's verdict rule and aggregation (benchmarks/claims.py) on made-up per-seed numbers: no training."
import json
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location('claims', ROOT / 'benchmarks' / 'claims.py')
claims = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(claims)


def st(mean, std, n=3): return dict(mean=mean, std=std, n=n)


def test_verdict_lower_is_better():
    assert claims.verdict(st(1.0, 0.1), st(2.0, 0.1), 'lower') == 'supported'
    assert claims.verdict(st(2.0, 0.1), st(1.0, 0.1), 'lower') == 'contradicted'
    assert claims.verdict(st(1.0, 0.6), st(2.0, 0.6), 'lower') == 'inconclusive'  # 1.6 > 1.4: the intervals overlap


def test_verdict_higher_is_better():
    assert claims.verdict(st(0.9, 0.02), st(0.5, 0.02), 'higher') == 'supported'
    assert claims.verdict(st(0.5, 0.02), st(0.9, 0.02), 'higher') == 'contradicted'
    assert claims.verdict(st(0.6, 0.1), st(0.7, 0.1), 'higher') == 'inconclusive'


def test_verdict_edges():
    assert claims.verdict(st(1.0, 0.5), st(2.0, 0.5), 'lower') == 'inconclusive'  # touching intervals count as overlapping
    assert claims.verdict(st(1.0, 0.0), st(2.0, 0.0), 'lower') == 'supported'  # no spread, different means
    assert claims.verdict(st(1.0, None, 1), st(2.0, None, 1), 'lower') == 'inconclusive'  # one seed: no spread to judge by
    assert claims.verdict(None, st(2.0, 0.1), 'lower') == 'not run'
    with pytest.raises(ValueError): claims.verdict(st(1, 0), st(2, 0), 'closer')


def test_combine():
    assert claims.combine(['supported', 'supported']) == 'supported'
    assert claims.combine(['supported', 'inconclusive']) == 'inconclusive'
    assert claims.combine(['supported', 'contradicted']) == 'contradicted'
    assert claims.combine(['inconclusive', 'contradicted']) == 'contradicted'
    assert claims.combine(['not run', 'not run']) == 'not run'
    assert claims.combine(['not run', 'supported']) == 'inconclusive'  # half a claim is not the claim


def result(preset, seed, **m):
    measures = dict(class_accuracy=0.5, spread_ratio=1.0, colour_distance=0.1, saturation=0.5, real_saturation=0.53, domain_fd=10.0,
                    fid=None) | m
    measures['per_class'] = dict(class_accuracy={'a': measures['class_accuracy'], 'b': 1.0})
    return dict(preset=preset, seed=seed, settings=dict(preset=preset, seed=seed, steps=4), measures=measures,
                seconds=dict(total=60.0))


def test_aggregate():
    results = {
        'med-art': [result('med-art', s, colour_distance=c, domain_fd=f, class_accuracy=a)
                    for s, c, f, a in [(0, 0.01, 5.0, 0.9), (1, 0.02, 6.0, 0.8), (2, 0.03, 7.0, 0.7)]],
        'pixart-alpha': [result('pixart-alpha', s, colour_distance=c, domain_fd=f) for s, c, f in [(1, 0.10, 5.5), (0, 0.12, 6.5), (2, 0.11, 7.5)]],
        'med-art-truncated': [result('med-art-truncated', s, colour_distance=c) for s, c in [(0, 0.13), (1, 0.15)]],
    }
    doc = claims.aggregate(results, commit='abc')
    ma = doc['presets']['med-art']
    assert ma['seeds'] == [0, 1, 2] and ma['same_settings'] and ma['runtime_s'] == 180.0
    assert ma['measures']['colour_distance']['mean'] == pytest.approx(0.02)
    assert ma['measures']['colour_distance']['std'] == pytest.approx(0.01)  # sample std (ddof 1)
    assert ma['measures']['colour_distance']['values'] == [0.01, 0.02, 0.03]
    assert ma['measures']['fid'] is None  # not measured: no statistic
    assert ma['per_class']['class_accuracy']['b']['mean'] == 1.0
    assert doc['presets']['pixart-alpha']['seeds'] == [0, 1, 2]  # sorted by seed
    assert doc['presets']['pixart-alpha']['measures']['colour_distance']['values'] == [0.12, 0.10, 0.11]
    rows = {r['row']: r for r in doc['claims']}
    assert rows['1a']['verdict'] == 'supported'  # 0.02 ± 0.01 vs 0.11 ± 0.01
    assert rows['1b']['verdict'] == 'inconclusive'  # 6 ± 1 vs 6.5 ± 1
    assert rows['5']['verdict'] == 'contradicted'  # truncated 0.14 ± 0.014 is worse than pixart-alpha 0.11 ± 0.01
    assert rows['5']['beside_stats']['mean'] == pytest.approx(0.02)
    assert rows['3']['verdict'] == 'not run' and rows['3']['other_stats'] is None
    assert doc['verdicts'] == {1: 'inconclusive', 2: 'not run', 3: 'not run', 4: 'not run', 5: 'contradicted'}
    assert doc['commit'] == 'abc' and doc['rule'] == claims.RULE and doc['runtime_s'] == 180 + 180 + 120


def test_aggregate_flags_mixed_settings():
    rs = [result('dora', 0), result('dora', 1)]
    rs[1]['settings']['steps'] = 8
    assert not claims.aggregate({'dora': rs})['presets']['dora']['same_settings']


def test_markdown():
    results = {p: [result(p, s, domain_fd=d + s) for s in range(3)] for p, d in [('med-art', 1.0), ('dora', 10.0)]}
    md = claims.markdown(claims.aggregate(results, command='python benchmarks/claims.py', written='now', commit='abc'))
    assert '| med-art | 3 |' in md and '| dora | 3 |' in md
    assert '| 4 | LoRA is at least as good as DoRA (domain FD) | domain fd | med-art | 2 ± 1 | dora | 11 ± 1 | **supported** |' in md
    assert '4. LoRA is at least as good as DoRA: **supported**' in md
    assert 'FID' not in md.split('## Claims')[0]  # no FID column when no run measured it
    assert claims.RULE in md
    for rs in results.values():  # the runtime is split into training the adapters and generating + measuring
        for r in rs: r['seconds'] = dict(train=45.0, total=60.0)
    md = claims.markdown(claims.aggregate(results, command='python benchmarks/claims.py', written='now', commit='abc'))
    assert 'runtime 6.0 min: 4.5 training the adapters (a --cfg run reuses them), 1.5 generating and measuring' in md


def test_parse_variant():
    assert claims.parse_variant('med-art-w0.01=med-art:hldf_weight=0.01') == ('med-art-w0.01', 'med-art', {'hldf_weight': 0.01})
    assert claims.parse_variant('x=dora:hldf=false, hldf_every=50') == ('x', 'dora', {'hldf': False, 'hldf_every': 50})
    for bad in ('med-art:hldf_weight=0.01', 'x=med-art', '=med-art:hldf=false', 'x=:hldf=false'):
        with pytest.raises(ValueError, match='--variant'): claims.parse_variant(bad)


def test_variant_rows_stay_out_of_the_verdicts():
    results = {p: [result(p, s, colour_distance=c + 0.01 * s) for s in range(3)]
               for p, c in [('med-art', 0.30), ('pixart-alpha', 0.10), ('w', 0.01)]}
    doc = claims.aggregate(results, variants={'w': 'med-art'})
    rows = {r['row']: r for r in doc['variant_claims']}
    assert set(rows) == {'1a/w', '1b/w', '2a/w', '2c/w', '3/w', '4/w'}  # every row whose claimed-better preset is med-art
    assert rows['1a/w']['verdict'] == 'supported' and rows['1a/w']['better'] == 'w'  # 0.02 ± 0.01 vs 0.11 ± 0.01
    assert doc['verdicts'][1] == 'contradicted'  # med-art's own 0.31 vs 0.11: the variant does not change it
    md = claims.markdown(doc)
    assert "## Variants" in md and '| 1a/w |' in md and '**supported**' in md.split('## Variants')[1]
    assert 'variant_claims' not in claims.aggregate(results)  # no variants: no section


def test_comparable_ignores_hldf_keys_only_without_hldf():
    base = dict(preset='pixart-alpha', seed=0, steps=960, train=dict(hldf=False, hldf_weight=None, hldf_every=100, lr=0.001))
    reweighted = dict(base, train=dict(base['train'], hldf_weight=0.01))
    assert claims.comparable(base) == claims.comparable(reweighted)  # PixArt-α does not depend on the colour-loss weight
    assert claims.comparable(base) != claims.comparable(dict(base, train=dict(base['train'], lr=0.0001)))
    on, on_reweighted = (dict(base, train=dict(t, hldf=True)) for t in (base['train'], reweighted['train']))
    assert claims.comparable(on) != claims.comparable(on_reweighted)  # Med-Art does


def test_comparable_knows_the_base_by_its_weights():
    run = dict(preset='med-art', seed=0, base='runs/base-structures/pipeline', base_sha='abc', train=dict(hldf=True))
    assert claims.comparable(run) == claims.comparable(dict(run, base='runs/bench/base-primitives-long/pipeline'))  # same weights
    assert claims.comparable(run) != claims.comparable(dict(run, base_sha='def'))  # other weights at the same folder: stale
    old = dict(run); old.pop('base_sha')
    assert claims.comparable(old) != claims.comparable(dict(old, base='elsewhere'))  # no hash saved: the folder is all there is


def test_same_training_ignores_the_name_only():
    train = dict(hldf=True, hldf_weight=0.01)
    variant = dict(preset='med-art-w0.01', overrides={'hldf_weight': 0.01}, seed=1, train=train, captions_sha='abc')
    preset = dict(preset='med-art', seed=1, train=train, captions_sha='abc')
    assert claims.same_training(variant) == claims.same_training(preset)
    assert claims.same_training(variant) != claims.same_training(dict(preset, seed=2))
    assert claims.same_training(variant) != claims.same_training(dict(preset, captions_sha='def'))


def test_copy_equal_training(tmp_path):
    settings = dict(preset='med-art-w0.01', overrides={'hldf_weight': 0.01}, seed=0, train=dict(hldf=True, hldf_weight=0.01))
    src = tmp_path / 'med-art-w0.01' / 'seed0'
    (src / 'adapter').mkdir(parents=True)
    (src / 'adapter' / 'medart_lora.safetensors').write_bytes(b'weights')
    (src / 'train.json').write_text(json.dumps(dict(settings=settings, report={'steps': 960}, seconds=1.0)))
    dest = tmp_path / 'med-art' / 'seed0'
    mine = dict(settings, preset='med-art'); mine.pop('overrides')
    assert claims.copy_equal_training(tmp_path, dest, dict(mine, seed=1), 1) is None  # another seed: nothing to copy
    assert claims.copy_equal_training(tmp_path, dest, dict(mine, train=dict(hldf=True, hldf_weight=0.05)), 0) is None
    trained = claims.copy_equal_training(tmp_path, dest, mine, 0)
    assert trained['settings'] == mine and trained['report'] == {'steps': 960} and 'med-art-w0.01' in trained['copied_from']
    assert (dest / 'adapter' / 'medart_lora.safetensors').read_bytes() == b'weights'
    assert json.loads((dest / 'train.json').read_text())['settings'] == mine


def test_base_needs_its_own_out_and_a_pipeline(tmp_path, capsys):
    "--base: the committed base's run folder (runs/claims) is refused, and so is a folder that holds no saved pipeline."
    with pytest.raises(SystemExit):
        claims.main(['--base', str(tmp_path)])
    assert 'needs an --out of its own' in capsys.readouterr().err
    with pytest.raises(SystemExit):
        claims.main(['--base', str(tmp_path), '--out', str(tmp_path / 'runs')])
    assert 'no model_index.json' in capsys.readouterr().err


def test_run_files_keep_another_guidance_scale_apart(tmp_path):
    "--cfg X: a run's images, grid and result at another guidance scale sit beside the study's, never over them."
    default = claims.run_files(tmp_path, None, 4.5)
    assert default == dict(images=tmp_path / 'images', grid=tmp_path / 'grid.png', result=tmp_path / 'result.json')
    assert claims.run_files(tmp_path, 4.5, 4.5) == default  # the study's own scale is the default files
    other = claims.run_files(tmp_path, 2.0, 4.5)
    assert other == dict(images=tmp_path / 'images-cfg2', grid=tmp_path / 'grid-cfg2.png', result=tmp_path / 'result-cfg2.json')
    assert set(other.values()).isdisjoint(default.values())


def test_cfg_needs_its_own_results(capsys):
    "--cfg at another scale than generate.cfg refuses to write over results/, the table at the study's scale."
    with pytest.raises(SystemExit):
        claims.main(['--cfg', '2', '--aggregate-only'])
    assert 'needs a --results of its own' in capsys.readouterr().err
