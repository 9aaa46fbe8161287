"""benchmarks/claims.py without training: its options, its resume rules, the aggregation of a results file anew, and the
findings page against the committed results (medart.stats and medart.claims are tested in their notebooks)."""
import json
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location('claims', ROOT / 'benchmarks' / 'claims.py')
claims = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(claims)


def test_parse_variant():
    assert claims.parse_variant('med-art-w0.01=med-art:hldf_weight=0.01') == ('med-art-w0.01', 'med-art', {'hldf_weight': 0.01})
    assert claims.parse_variant('x=dora:hldf=false, hldf_every=50') == ('x', 'dora', {'hldf': False, 'hldf_every': 50})
    for bad in ('med-art:hldf_weight=0.01', 'x=med-art', '=med-art:hldf=false', 'x=:hldf=false'):
        with pytest.raises(ValueError, match='--variant'): claims.parse_variant(bad)


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
    "--cfg X: a run's images, classifier set, grid and results at another guidance scale sit beside the study's, never over them."
    default = claims.run_files(tmp_path, None, 4.5)
    assert default == dict(images=tmp_path / 'images', grid=tmp_path / 'grid.png', result=tmp_path / 'result.json',
                           train_set=tmp_path / 'classifier-set', classify=tmp_path / 'classify.json',
                           checkpoints=tmp_path / 'classifier-checkpoints')
    assert claims.run_files(tmp_path, 4.5, 4.5) == default  # the study's own scale is the default files
    other = claims.run_files(tmp_path, 2.0, 4.5)
    assert other['images'] == tmp_path / 'images-cfg2' and other['classify'] == tmp_path / 'classify-cfg2.json'
    assert set(other.values()).isdisjoint(default.values())


def test_cfg_needs_its_own_results(capsys):
    "--cfg at another scale than generate.cfg refuses to write over results/, the table at the study's scale."
    with pytest.raises(SystemExit):
        claims.main(['--cfg', '2', '--aggregate-only'])
    assert 'needs a --results of its own' in capsys.readouterr().err


def test_table4_is_kept_while_its_settings_hold(tmp_path):
    "A run's classify.json is reused when the classifier, its seed, the classifier set's generation and the adapter are unchanged."
    P = dict(classify=dict(model_id='tiny', lr=1e-3, epochs=15, batch_size=32, image_size=64), generate=dict(steps=20, batch_size=8))
    settings = dict(table4=dict(classify=P['classify'], seed=0, train_images_per_class=60, generate_seed=1000),
                    generate=dict(steps=20, cfg=4.5, seed=0), split_sha='s', captions_sha='c')
    files = claims.run_files(tmp_path, None, 4.5)
    meta = dict(preset='med-art', training_seed=0, adapter='abc')
    want = dict(settings['table4'], adapter='abc', generate=settings['generate'], split_sha='s', captions_sha='c')
    done = dict(settings=want, table4=dict(f1=0.6, bacc=0.6, auc=0.9), seconds=dict(generate=40.0, train=30.0, predict=1.0))
    files['classify'].write_text(json.dumps(done))
    assert claims.table4(None, P, {}, settings, files, None, meta) == done  # nothing generated or trained (no study, no pipeline)
    with pytest.raises(AttributeError):  # another adapter: Table 4 is made anew (here it fails at once, with no study to make it)
        claims.table4(None, P, {}, settings, files, None, dict(meta, adapter='def'))


def test_from_json_aggregates_a_results_file_anew(tmp_path):
    "--from-json: the per-seed values of a committed results file through the paired protocol, with the runs' provenance kept."
    from medart.claims import RULE, render_claims_markdown
    source = ROOT / 'results' / 'claims-cfg' / 'cfg2' / 'miniature-claims.json'
    src = json.loads(source.read_text())
    doc = claims.main(['--from-json', str(source), '--results', str(tmp_path)])
    assert doc['rule'] == RULE and doc['commit'] == src['commit'] and doc['command'] == src['command']
    assert 'cfg2/miniature-claims.json' in doc['aggregated']['source']
    rows = {r['row']: r for r in doc['claims']}
    ma, sc = (src['presets'][p]['measures']['domain_fd']['values'] for p in ('med-art', 'simple-caption'))
    assert rows['2c']['d'] == pytest.approx([a - b for a, b in zip(ma, sc)])  # paired over the file's seeds
    assert rows['2c']['n'] == len(ma) >= 2 and rows['2c']['p_holm'] >= rows['2c']['p']
    assert {r['row']: r['verdict'] for r in src['claims']} == {r: c['verdict'] for r, c in rows.items()}  # the same protocol
    assert (tmp_path / 'miniature-claims.md').read_text() == render_claims_markdown(doc)
    with pytest.raises(SystemExit):
        claims.main(['--from-json', str(source), '--results', str(source.parent)])


FINDINGS = ROOT / 'nbs' / 'findings' / 'claims.ipynb'


def _page_markdown() -> str:
    "The claims tables as the findings page shows them: the stored Markdown output of its rendering cell."
    for c in json.loads(FINDINGS.read_text())['cells']:
        for o in c.get('outputs', []):
            if 'render_claims_markdown' in ''.join(c['source']) and 'text/markdown' in o.get('data', {}):
                md = o['data']['text/markdown']
                return ''.join(md) if isinstance(md, list) else md
    raise AssertionError(f"{FINDINGS.relative_to(ROOT)} has no stored Markdown output: run `make claims-page`")


def test_findings_page_shows_the_committed_results():
    "The page is the rendering of results/miniature-claims.json as committed: a new results file needs `make claims-page`."
    from medart.claims import render_claims_markdown
    doc = json.loads((ROOT / 'results' / 'miniature-claims.json').read_text())
    assert _page_markdown() == render_claims_markdown(doc, heading=2), \
        "nbs/findings/claims.ipynb is stale against results/miniature-claims.json: run `make claims-page` and commit it"


def test_findings_page_numbers_are_the_json_rounded_once():
    "A sample of the page's numbers, each the json's float rounded once (3 significant digits; 2 for p and std)."
    doc, page = json.loads((ROOT / 'results' / 'miniature-claims.json').read_text()), _page_markdown()
    tested = [r for r in doc['claims'] if r.get('p') is not None]
    assert tested, 'the results file has no tested row'
    for r in tested[:: max(1, len(tested) // 6)]:
        assert f"| {r['row']} | {r['text']} |" in page
        assert f"| {r['mean']:.3g} | [{r['ci'][0]:.3g}, {r['ci'][1]:.3g}] |" in page
        assert f"| {r['p']:.2g} | {r['p_holm']:.2g} | [{r['ci_holm'][0]:.3g}, {r['ci_holm'][1]:.3g}] | **{r['verdict']}** |" in page
    for p, s in doc['presets'].items():
        m = s['measures']['colour_distance']
        assert f"{m['mean']:.3g} ± {m['std']:.2g}" in page.split(f'| {p} |')[1].split('\n')[0]
    for k, v in doc['verdicts'].items():
        assert f"**{v}**" in page.split('Verdict per claim')[1].split(f'\n{k}. ')[1].split('\n')[0]


def test_worker_share_splits_the_runs():
    todo = [(p, k) for k in range(5) for p in ('a', 'b', 'c')]
    shares = [claims.worker_share(todo, f'{k}/2') for k in range(2)]
    assert sorted(shares[0] + shares[1]) == sorted(todo) and not set(shares[0]) & set(shares[1])
    assert claims.worker_share(todo, None) == todo
    for bad in ('2/2', 'x', '1'):
        with pytest.raises(ValueError, match='--worker'): claims.worker_share(todo, bad)
    assert claims.command_line(['--seeds', '5', '--jobs', '1', '--worker', '0/2']) == 'python benchmarks/claims.py --seeds 5'
    import argparse
    worker = argparse.Namespace(seeds=5, jobs=1, worker='1/2', aggregate_only=False, from_json=None)
    assert claims.recorded_args(worker) == dict(seeds=5, jobs=2)  # a worker records its parent's --jobs
    assert claims.recorded_args(argparse.Namespace(seeds=5, jobs=1, worker=None)) == dict(seeds=5, jobs=1)


def test_a_kept_result_counts_when_its_run_folder_is_gone(tmp_path):
    """Run folders (runs/claims, ignored by git) are lost with the machine; the result kept in --results/claims-runs/ counts as the
    finished run in a later session, but only with the same settings."""
    ledger, out = tmp_path / 'claims-runs', tmp_path / 'runs'
    settings = dict(preset='med-art', seed=1, train=dict(hldf=True, hldf_weight=0.05), base_sha='abc', rules=claims.RUN_RULES)
    result = dict(preset='med-art', seed=1, settings=settings, measures=dict(fid=200.0))
    assert claims.ledger_result(ledger, 'med-art', 1, settings) is None  # nothing kept yet
    path = claims.ledger_file(ledger, 'med-art', 1)
    path.parent.mkdir(parents=True); path.write_text(json.dumps(result))
    assert path == ledger / 'med-art-seed1.json'
    assert claims.ledger_result(ledger, 'med-art', 1, settings) == result
    assert claims.ledger_result(ledger, 'med-art', 1, dict(settings, base_sha='def')) is None  # another base: run again
    assert claims.ledger_result(ledger, 'med-art', 1, {k: v for k, v in settings.items() if k != 'rules'}) is None  # older rules
    assert claims.ledger_result(None, 'med-art', 1, settings) is None
    found = claims.load_results(out, ['med-art'], 2, ledger=ledger)  # seed 1 kept, seed 0 never run, no run folder at all
    assert found == {'med-art': [result]}
    folder = out / 'med-art' / 'seed1'; folder.mkdir(parents=True)
    (folder / 'result.json').write_text(json.dumps(dict(result, measures=dict(fid=199.0))))
    assert claims.load_results(out, ['med-art'], 2, ledger=ledger)['med-art'][0]['measures']['fid'] == 199.0  # the folder first


def test_other_scales_are_run_from_the_finished_adapter(tmp_path):
    """--also-cfg: each scale once, never the study's own, none beside --cfg; a copy of the study at that scale without Table 4
    that shares the real features; its tables under --results/claims-cfg/cfgX; --finished-only needs the adapter in its folder."""
    study_cfg = claims.default_guidance()
    assert claims.other_scales([1, 2, 2.0, study_cfg], None) == [1.0, 2.0]
    assert claims.other_scales([1, 2], 3.0) == []
    with pytest.raises(ValueError, match='must be > 0'):
        claims.other_scales([0], None)
    assert claims.scale_results(Path('results'), 2.0) == Path('results/claims-cfg/cfg2')
    assert claims.scale_results(Path('results'), 2.5) == Path('results/claims-cfg/cfg2.5')

    class Fake:  # what at_scale touches of a claims.Study
        cfg, table4, computed = None, True, 0
        @property
        def real_features(self):
            Fake.computed += 1
            self.__dict__.setdefault('_features', {'fid': 'features'})
            return self._features
    study = Fake()
    other = claims.at_scale(study, 2)
    assert (other.cfg, other.table4) == (2.0, False) and (study.cfg, study.table4) == (None, True)  # the study is left as it was
    assert other._features is study._features  # computed once, before the copy: every scale shares them

    assert not claims.has_adapter(tmp_path, 'med-art', 0)
    folder = tmp_path / 'med-art' / 'seed0'
    (folder / 'adapter').mkdir(parents=True)
    (folder / 'adapter' / 'medart_lora.safetensors').write_bytes(b'w')
    assert not claims.has_adapter(tmp_path, 'med-art', 0)  # training not finished: no train.json yet
    (folder / 'train.json').write_text('{}')
    assert claims.has_adapter(tmp_path, 'med-art', 0)


def test_readme_claims_numbers_are_the_json_rounded_once():
    """The README's claims section is nbs/index.ipynb's output from results/miniature-claims.json: a sample of its numbers, each
    the json's float rounded once (the paired difference and Holm interval to 3 significant digits, Holm p to 2), and its
    count of seeds and tested rows."""
    doc = json.loads((ROOT / 'results' / 'miniature-claims.json').read_text())
    readme = (ROOT / 'README.md').read_text()
    section = readme.split('## The claims run')[1].split('\n## ')[0]
    tested = [r for r in doc['claims'] if r.get('p_holm') is not None]
    assert tested, 'the results file has no tested row'
    for r in tested[:: max(1, len(tested) // 6)]:
        line = next((ln for ln in section.splitlines() if ln.startswith(f"| {r['row']} | {r['text']} |")), None)
        assert line, f"row {r['row']} is not in the README's claims table: run `make docs`"
        lo, hi = r['ci_holm']
        assert f"| {r['mean']:.3g} [{lo:.3g}, {hi:.3g}]" in line, line
        assert f"| {r['p_holm']:.2g} |" in line, line
    seeds = sorted({len(s['seeds']) for s in doc['presets'].values()})
    assert f"x {'-'.join(map(str, dict.fromkeys([seeds[0], seeds[-1]])))} training seeds" in section
    assert f"Holm over the table's {len(tested)} tested rows" in section


def test_each_training_seed_draws_its_own_evaluation():
    """Replicate k's evaluation (prompts, generation noise, Table 4 classifier, KID subsets) is seeded params.yaml's seed + k:
    replicate 0 is the study's own draw, and no two replicates share one."""
    assert claims.replicate_seed({'seed': 0}, 0) == 0
    assert claims.replicate_seed({'seed': 7}, 0) == 7
    assert len({claims.replicate_seed({'seed': 0}, k) for k in range(5)}) == 5
    runs = (ROOT / 'benchmarks' / 'claims.py').read_text().split('class Study')[1].split('def main')[0]
    assert "P['seed']" not in runs.replace("int(P['seed'])", ''), "a run's draw uses params.yaml's seed, not its replicate's"
