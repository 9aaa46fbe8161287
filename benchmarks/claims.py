"""The claims run of the miniature: the ablation presets trained with several seeds, measured, and a verdict per claim of the paper.

Run:  make claims                                     (7 presets x 3 training seeds, the tiny profile's settings)
      .venv/bin/python benchmarks/claims.py --presets med-art pixart-alpha --seeds 2 --steps 4 --per-class 2 \\
          --out runs/claims-smoke --results /tmp/claims-smoke       (an end-to-end check in a few minutes)
      .venv/bin/python benchmarks/claims.py --aggregate-only     (rewrite the tables from the finished runs)
      .venv/bin/python benchmarks/claims.py --presets pixart-alpha med-art --variant med-art-w0.01=med-art:hldf_weight=0.01 \\
          --results results/hldf-weight      (a preset with changed train settings, compared as its base preset is)

Every setting comes from params.yaml (profile tiny, dataset synth-endo, method = the preset), so the train section, the
tiny base (models.tiny_base) and generate.steps / generate.cfg of the study apply. For each preset and training seed
0 .. S-1 the script fine-tunes the tiny base (medart.train.finetune), generates --per-class images per class from training
captions (drawn as medart.generate.eval_prompts draws them; the same source images and noise for every preset and seed), and
measures: class accuracy (the real-trained classifier), prompt spread ratio (collapse check), colour distance (eq. 4 per class)
and mean saturation against the real test split, domain FD (the study's domain network) and FID (Inception; --no-fid skips it).
Each run keeps its folder --out/<preset>/seed<k>/ (adapter/, images/, grid.png, train.json, result.json): a finished run is
skipped, an interrupted one resumes (training from its checkpoints, generation image by image). After every run the
aggregate is rewritten: --results/miniature-claims.json (mean ± std over seeds of every measure, the per-seed values, the
settings, the commit, the runtime) and --results/miniature-claims.md (the tables and the verdicts; the rule is RULE below).
Needs the split, the describe captions and the real classifier: `dvc repro classify_real` (make claims runs it).
--variant NAME=PRESET:key=value[,key=value] adds a preset NAME: PRESET with the train stage's notebook parameters changed
(validated as `papermill nbs/train.ipynb -p key value` is, by medart.config.stage_params). Each claim row whose claimed-better
preset is PRESET is repeated with NAME in its place, in a table of its own: variants never enter the claims' verdicts.
--cfg X generates at guidance scale X instead of generate.cfg, from the same adapters (trained only where missing): its
images, grid and result go to images-cfgX/, grid-cfgX.png and result-cfgX.json beside the default ones, and its tables need a
--results of their own, e.g.  make claims CLAIMS_ARGS='--cfg 2 --no-fid --results results/claims-cfg2'.
--base DIR fine-tunes another pretrained tiny pipeline (e.g. one saved by benchmarks/dit_ceiling.py --save-base) instead of
models.tiny_base; its runs need an --out of their own.
"""
import argparse, functools, json, os, shutil, subprocess, sys, time
from pathlib import Path

os.environ.setdefault('HF_HUB_OFFLINE', '1')
os.environ.setdefault('TRANSFORMERS_OFFLINE', '1')
os.environ.setdefault('HF_HUB_DISABLE_PROGRESS_BARS', '1')
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DATASET, PROFILE = 'synth-endo', 'tiny'
PRESETS = ['med-art', 'pixart-alpha', 'simple-caption', 'empty-caption', 'no-t5-lora', 'dora', 'med-art-truncated']
# measure -> (which direction is better: 'lower', 'higher' or None = reported only, column title)
MEASURES = {'class_accuracy': ('higher', 'class accuracy ↑'), 'spread_ratio': (None, 'spread ratio (≥ 0.5)'),
            'colour_distance': ('lower', 'colour distance ↓'), 'saturation': (None, 'saturation'),
            'domain_fd': ('lower', 'domain FD ↓'), 'fid': ('lower', 'FID ↓')}
# one row per compared pair: claim number, row id, what the paper claims, the preset claimed better, the other, the measure;
# `beside` is shown for context and does not enter the verdict
CLAIMS = [
    dict(claim=1, row='1a', text='HLDF lowers colour distance against PixArt-α', better='med-art', other='pixart-alpha', measure='colour_distance'),
    dict(claim=1, row='1b', text='HLDF lowers domain FD against PixArt-α', better='med-art', other='pixart-alpha', measure='domain_fd'),
    dict(claim=2, row='2a', text='VSG captions beat simple captions (domain FD)', better='med-art', other='simple-caption', measure='domain_fd'),
    dict(claim=2, row='2b', text='simple captions beat empty captions (domain FD)', better='simple-caption', other='empty-caption', measure='domain_fd'),
    dict(claim=2, row='2c', text='VSG captions beat simple captions (class accuracy)', better='med-art', other='simple-caption', measure='class_accuracy'),
    dict(claim=2, row='2d', text='simple captions beat empty captions (class accuracy)', better='simple-caption', other='empty-caption', measure='class_accuracy'),
    dict(claim=3, row='3', text='LoRA on T5 helps (domain FD)', better='med-art', other='no-t5-lora', measure='domain_fd'),
    dict(claim=4, row='4', text='LoRA is at least as good as DoRA (domain FD)', better='med-art', other='dora', measure='domain_fd'),
    dict(claim=5, row='5', text="K = 1 keeps HLDF's benefit (colour distance)", better='med-art-truncated', other='pixart-alpha',
         measure='colour_distance', beside='med-art'),
]
CLAIM_TEXT = {1: 'HLDF lowers colour distance and domain FD against PixArt-α', 2: 'VSG beats simple captions, which beat empty captions',
              3: 'LoRA on T5 helps', 4: 'LoRA is at least as good as DoRA', 5: "K = 1 keeps HLDF's benefit"}
RULE = ("Each compared quantity is the mean ± std (sample std, ddof 1) over training seeds of one preset. A row is *supported* when "
        "the intervals mean ± std of the two presets do not overlap and the claimed-better preset is better (lower for colour "
        "distance and domain FD, higher for class accuracy); *contradicted* when they do not overlap and it is worse; "
        "*inconclusive* when they overlap (for claim 4, 'at least as good', too: the run cannot tell equal from slightly worse) "
        "or a preset has fewer than 2 seeds; *not run* when a preset has no finished run. A claim of several rows is supported "
        "when all its rows are, contradicted when any row is, else inconclusive.")


# ---------------------------------------------------------------- verdicts and aggregation (pure functions, tests/test_claims.py)
def verdict(better: dict | None, other: dict | None, direction: str) -> str:
    "The verdict of 'preset `better` beats `other`' from their seed statistics ({mean, std, n}; None = not run) by RULE."
    if direction not in ('lower', 'higher'): raise ValueError(f"direction must be 'lower' or 'higher', got {direction!r}")
    if better is None or other is None: return 'not run'
    if min(better['n'], other['n']) < 2 or better['std'] is None or other['std'] is None: return 'inconclusive'
    if (better['mean'] - better['std'] <= other['mean'] + other['std']) and (other['mean'] - other['std'] <= better['mean'] + better['std']):
        return 'inconclusive'
    wins = better['mean'] < other['mean'] if direction == 'lower' else better['mean'] > other['mean']
    return 'supported' if wins else 'contradicted'


def combine(verdicts: list[str]) -> str:
    "The verdict of a claim from its rows' verdicts (RULE)."
    if not verdicts or all(v == 'not run' for v in verdicts): return 'not run'
    if 'contradicted' in verdicts: return 'contradicted'
    return 'supported' if all(v == 'supported' for v in verdicts) else 'inconclusive'


def claim_rows(presets: dict, claims=CLAIMS) -> list[dict]:
    "Every row of `claims` with the two presets' statistics of its measure (None if not run) and its verdict."
    stat = lambda p, m: presets.get(p, {}).get('measures', {}).get(m)
    rows = []
    for c in claims:
        row = dict(c, better_stats=stat(c['better'], c['measure']), other_stats=stat(c['other'], c['measure']))
        if c.get('beside'): row['beside_stats'] = stat(c['beside'], c['measure'])
        row['verdict'] = verdict(row['better_stats'], row['other_stats'], MEASURES[c['measure']][0])
        rows.append(row)
    return rows


def variant_rows(presets: dict, variants: dict, claims=CLAIMS) -> list[dict]:
    "The claim rows of each variant ({name: base preset}): every row whose claimed-better preset is its base, with the variant in its place."
    return claim_rows(presets, [dict(c, row=f"{c['row']}/{name}", better=name) for name, base in variants.items()
                                for c in claims if c['better'] == base])


def parse_variant(text: str) -> tuple[str, str, dict]:
    "'NAME=PRESET:key=value[,key=value]' -> (NAME, PRESET, {key: value}); values are read as YAML (0.01 -> float, true -> bool)."
    from medart.config import read_yaml
    try:
        name, rest = text.split('=', 1); base, sets = rest.split(':', 1)
        overrides = {k.strip(): read_yaml(v) for k, v in (kv.split('=', 1) for kv in sets.split(','))}
    except ValueError:
        raise ValueError(f"--variant {text!r}: expected NAME=PRESET:key=value[,key=value], e.g. med-art-w0.01=med-art:hldf_weight=0.01") from None
    if not name.strip() or not base.strip(): raise ValueError(f"--variant {text!r}: NAME and PRESET must not be empty")
    return name.strip(), base.strip(), overrides


def claim_verdicts(rows: list[dict]) -> dict:
    "{claim number: combined verdict} over the rows of each claim."
    out = {}
    for r in rows: out.setdefault(r['claim'], []).append(r['verdict'])
    return {k: combine(v) for k, v in out.items()}


def summarize_preset(results: list[dict]) -> dict:
    "Mean ± std over training seeds of every measure of one preset's run results, the per-seed values, settings and runtime."
    from medart.metrics import summarize_seeds
    results = sorted(results, key=lambda r: r['seed'])
    s = summarize_seeds({f"seed{r['seed']}": r['measures'] for r in results})
    measures = {k: v for k, v in s.items() if k not in ('per_class', 'per_class_skipped', 'per_set')}
    for k, v in measures.items():
        if v is not None: v['values'] = [r['measures'][k] for r in results]
    settings = [{k: v for k, v in r['settings'].items() if k != 'seed'} for r in results]
    return dict(seeds=[r['seed'] for r in results], measures=measures, per_class=s['per_class'],
                per_seed={f"seed{r['seed']}": r['measures'] for r in results}, settings=settings[0],
                same_settings=all(x == settings[0] for x in settings), runtime_s=round(sum(r['seconds']['total'] for r in results), 1),
                seconds={f"seed{r['seed']}": r['seconds'] for r in results})


def aggregate(results: dict, variants: dict | None = None, **info) -> dict:
    "The claims document from {preset: [run results]}: per preset `summarize_preset`, the claim rows, the verdicts, the rule; `variants` ({name: base}) get rows of their own."
    presets = {p: summarize_preset(rs) for p, rs in results.items() if rs}
    rows = claim_rows(presets)
    extra = dict(variants=variants, variant_claims=variant_rows(presets, variants)) if variants else {}
    return dict(info, rule=RULE, presets=presets, claims=rows, verdicts=claim_verdicts(rows), **extra,
                runtime_s=round(sum(p['runtime_s'] for p in presets.values()), 1))


def fmt(stat, digits: int = 3) -> str:
    "'mean ± std' of a statistic ({mean, std, n}), '—' if missing."
    if stat is None: return '—'
    return f"{stat['mean']:.{digits}g}" + (f" ± {stat['std']:.2g}" if stat.get('std') is not None else ' (1 seed)')


def markdown(doc: dict) -> str:
    "The readable tables of a claims document: the measures per preset, the claim rows with verdicts, one verdict per claim."
    P = doc['presets']
    cols = [m for m in MEASURES if any(P[p]['measures'].get(m) for p in P)]
    train_s = sum(sec.get('train', 0) for s in P.values() for sec in s.get('seconds', {}).values())
    lines = [f"# The miniature's claims run ({doc.get('dataset', DATASET)}, profile {doc.get('profile', PROFILE)})", '',
             f"Command: `{doc.get('command', '')}`; commit {doc.get('commit', '?')}; written {doc.get('written', '?')}; "
             f"runtime {doc['runtime_s'] / 60:.1f} min: {train_s / 60:.1f} training the adapters (a --cfg run reuses them), "
             f"{(doc['runtime_s'] - train_s) / 60:.1f} generating and measuring"
             + (f"; images generated at CFG {doc['generate_cfg']:g}" if doc.get('generate_cfg') is not None else '') + '.', '',
             f"## Measures (mean ± std over training seeds; the real test split's saturation is {doc.get('real_saturation') or float('nan'):.2f}, "
             f"its spread ratio 1 by definition)", '',
             '| preset | seeds | ' + ' | '.join(MEASURES[m][1] for m in cols) + ' | minutes |',
             '|---|---|' + '---|' * len(cols) + '---|']
    for p, s in P.items():
        lines.append(f"| {p} | {len(s['seeds'])} | " + ' | '.join(fmt(s['measures'].get(m)) for m in cols)
                     + f" | {s['runtime_s'] / 60:.1f} |")
    lines += ['', '## Claims', '', RULE, '',
              '| # | claim | measure | claimed better | mean ± std | compared with | mean ± std | verdict |', '|---|---|---|---|---|---|---|---|']
    for r in doc['claims']:
        beside = f" (beside: {r['beside']} {fmt(r.get('beside_stats'))})" if r.get('beside') else ''
        lines.append(f"| {r['row']} | {r['text']}{beside} | {r['measure'].replace('_', ' ')} | {r['better']} | {fmt(r['better_stats'])} | "
                     f"{r['other']} | {fmt(r['other_stats'])} | **{r['verdict']}** |")
    lines += ['', '## Verdict per claim', '']
    lines += [f"{k}. {CLAIM_TEXT[int(k)]}: **{v}**" for k, v in doc['verdicts'].items()]
    if doc.get('variant_claims'):
        lines += ['', "## Variants (each in its base preset's place; not part of the verdicts above)", '',
                  ', '.join(f"{n}: {b} with {doc['presets'].get(n, {}).get('settings', {}).get('overrides', '?')}" for n, b in doc['variants'].items()), '',
                  '| row | claim | measure | variant | mean ± std | compared with | mean ± std | verdict |', '|---|---|---|---|---|---|---|---|']
        lines += [f"| {r['row']} | {r['text']} | {r['measure'].replace('_', ' ')} | {r['better']} | {fmt(r['better_stats'])} | "
                  f"{r['other']} | {fmt(r['other_stats'])} | **{r['verdict']}** |" for r in doc['variant_claims']]
    return '\n'.join(lines) + '\n'


# ---------------------------------------------------------------- the runs
def comparable(settings: dict) -> dict:
    """`settings` (a run's, as saved in JSON) as compared to decide whether a finished run can be kept: the HLDF keys of its train
    section are dropped when HLDF is off, since a run without HLDF does not depend on them (a new colour-loss weight must not
    retrain PixArt-α); the base's folder is dropped when the hash of its weights is there, since the weights are what a run
    depends on (the base_structures stage's output and the benchmark base it reproduces weight for weight train the same run)."""
    settings = json.loads(json.dumps(settings, default=str))
    if settings.get('base_sha'): settings.pop('base', None)
    train = settings.get('train') or {}
    if train.get('hldf') is False:
        settings['train'] = {k: v for k, v in train.items() if not k.startswith('hldf_')}
    return settings


def same_training(settings: dict) -> dict:
    "A run's training settings without its name: two presets (or a preset and a --variant) with equal ones train the same adapter."
    return {k: v for k, v in comparable(settings).items() if k not in ('preset', 'overrides')}


def git_commit() -> str:
    "HEAD's short hash, '+dirty' when tracked files differ from it."
    try:
        head = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
        # dvc.lock is rewritten by `dvc repro classify_real` (make claims runs it): a record of stages, not code; results/ holds
        # this script's own tables, rewritten after every run (counting them marked every run after the first +dirty)
        dirty = subprocess.run(['git', 'status', '--porcelain', '--untracked-files=no', '--', '.', ':(exclude)dvc.lock', ':(exclude)results'], cwd=ROOT,
                               capture_output=True, text=True).stdout.strip()
        return head + ('+dirty' if dirty else '')
    except (OSError, subprocess.CalledProcessError):
        return 'unknown'


def text_sha(obj) -> str:
    import hashlib
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:16]


def caption_store(P: dict, train: list[dict]) -> dict:
    """{sha256: caption} of the preset's caption backend for `train`, from runs/<dataset>/captions/<backend>.jsonl; a missing store
    of the offline backends is made as nbs/caption.ipynb makes it (resumable JSONL store, the tiny base's T5 tokenizer)."""
    from medart.captions import caption_dataset, load_captions, load_simplifier, model_available
    C, backend = P['caption'], P['caption']['backend']
    store = ROOT / 'runs' / DATASET / 'captions' / f'{backend}.jsonl'
    if not store.exists():
        if backend not in ('describe', 'simple', 'empty'):
            raise SystemExit(f"{store} does not exist: caption with the VLM first: papermill nbs/caption.ipynb /tmp/caption.ipynb "
                             f"-p dataset {DATASET} -p backend {backend} -k python3")
        from transformers import AutoTokenizer
        from medart.data import get_dataset
        from medart.vsg import make_captioner
        tok = AutoTokenizer.from_pretrained(P['models']['tiny_base'], subfolder='tokenizer')
        simplifier = (load_simplifier(C['simplify_model_id']) if backend == 'describe' and model_available(C['simplify_model_id']) else None)
        print(f"making the {backend} caption store {store.relative_to(ROOT)} ({len(train)} images)", flush=True)
        caption_dataset(train, get_dataset(DATASET, P['data']['registry']), make_captioner(backend), store, tok, simplifier,
                        batch_size=C['batch_size'], max_retries=C['max_retries'], max_tokens=C['max_tokens'],
                        min_tokens=C['min_tokens'], seed=P['seed'], progress=False)  # as the caption stage: params.yaml's seed
    captions = {k: r['caption'] for k, r in load_captions(store).items()}
    missing = [r for r in train if r['sha256'] not in captions]
    if missing:
        raise SystemExit(f"{store} has no caption for {len(missing)} training images of runs/{DATASET}/split.json (e.g. {missing[0]['path']}): "
                         f"the split changed since it was captioned; run `dvc repro caption`, or delete {store.name} to remake it")
    return captions


class Study:
    "What every run shares: the split, the real test images and their features, the classifier, the networks, the eval prompts."
    def __init__(self, per_class: int, fid: bool, variants: dict | None = None, base: str | None = None, cfg: float | None = None):
        import torch
        from medart.classify import load_classifier
        from medart.checks import prompt_spread
        from medart.config import load_params
        from medart.data import load_image, read_split, sha256_of, split_files
        from medart.metrics import domain_network, inception_network
        from medart.stage_io import cpu_threads
        torch.set_num_threads(cpu_threads())
        self.P = P = load_params(ROOT / 'params.yaml', profile=PROFILE, dataset=DATASET)
        split, clf = ROOT / 'runs' / DATASET / 'split.json', ROOT / 'runs' / DATASET / 'real' / 'classifier'
        for need in (split, clf):
            if not need.exists(): raise SystemExit(f"{need.relative_to(ROOT)} does not exist: run `.venv/bin/dvc repro classify_real` first "
                                                   f"(the split, the captions and the real-trained classifier)")
        manifest = read_split(split)
        self.classes = manifest.get('classes') or sorted({r['label'] for r in manifest['files']})
        self.train, self.test = split_files(manifest, 'train'), split_files(manifest, 'test')
        self.split_sha = sha256_of(split)[:16]
        self.image_size = P['evaluate']['image_size'] or P['train']['resolution']
        self.per_class, self.fid = per_class, fid
        self.variants = variants or {}  # name -> (base preset, train notebook parameters), from --variant
        self.base = base  # --base: another pretrained pipeline in place of models.tiny_base
        self.cfg = cfg  # --cfg: another guidance scale than generate.cfg (None: the study's)
        self.classifier, _ = load_classifier(clf)
        self.real = [load_image(r['path'], self.image_size) for r in self.test]
        self.real_labels = [r['label'] for r in self.test]
        self.real_spread = prompt_spread(self.real)
        self.networks = {'domain_fd': domain_network(P['evaluate']['domain_model'], DATASET, P['evaluate']['domain_revision'], 'runs')}
        if fid: self.networks['fid'] = inception_network(P['evaluate']['inception_weights'])
        self.captions, self._real_features = {}, None

    @property
    def real_features(self) -> dict:
        "{measure: features of the real test split}, computed when a run first needs them (Inception: ~0.3 s per image on one core)."
        if self._real_features is None:
            from medart.metrics import features
            t0 = time.perf_counter()
            self._real_features = {k: features(self.test, [n], self.image_size)[n.name] for k, n in self.networks.items()}
            print(f"real test split: {len(self.test)} images, features in {time.perf_counter() - t0:.0f} s "
                  f"({', '.join(n.name for n in self.networks.values())})", flush=True)
        return self._real_features

    def params(self, preset: str) -> dict:
        from medart.config import load_params, stage_params
        if preset in self.variants:
            base, overrides = self.variants[preset]
            P = stage_params('train', DATASET, base, ROOT / 'params.yaml', PROFILE, **overrides)[0]
        else:
            P = load_params(ROOT / 'params.yaml', profile=PROFILE, dataset=DATASET, method=preset)
        if self.base: P['models']['tiny_base'] = self.base
        return P

    def prompts(self, captions: dict) -> list[dict]:
        "`per_class` prompts per class, drawn from the training captions as the study's evaluation sets are (seed of params.yaml)."
        from medart.generate import eval_prompts
        quota = [dict(label=c) for c in self.classes for _ in range(self.per_class)]  # class_counts of this list: per_class each
        return eval_prompts(self.train, captions, quota, n=0, seed=self.P['seed'], classes=self.classes)


def base_sha(model) -> str:
    "A hash of the base pipeline's weight files (a rebuilt base makes every run stale)."
    from medart.data import sha256_of
    return text_sha([sha256_of(f) for f in sorted(Path(model).glob('*/*.safetensors'))])


def run(study: Study, preset: str, seed: int, steps: int | None, out: Path) -> tuple[dict, bool]:
    "Fine-tune, generate and measure one (preset, training seed), resuming whatever is done; (result, whether it was already finished)."
    from medart.checks import class_accuracy, collapse_check, colour_distance, prompt_spread
    from medart.data import load_image, sha256_of, write_json_atomic
    from medart.generate import generate_set, read_generated
    from medart.lora import load_adapters
    from medart.metrics import features, frechet_distance
    from medart.models import load_pipeline
    from medart.train import finetune, training_steps
    P = study.params(preset)
    T, G, base = P['train'], P['generate'], P['models']['tiny_base']
    captions = study.captions.setdefault(P['caption']['backend'], caption_store(P, study.train))
    total = training_steps(len(study.train), T['batch_size'], T['epochs'], steps)
    train_settings = dict(preset=preset, seed=seed, train=T, **({'overrides': study.variants[preset][1]} if preset in study.variants else {}), steps=total, base=str(base), base_sha=base_sha(ROOT / base),
                          split_sha=study.split_sha, caption_backend=P['caption']['backend'],
                          captions_sha=text_sha(sorted(captions[r['sha256']] for r in study.train)))
    cfg = G['cfg'] if study.cfg is None else study.cfg
    settings = dict(train_settings, per_class=study.per_class, generate=dict(steps=G['steps'], cfg=cfg, seed=P['seed']),
                    image_size=study.image_size, fid=study.fid,
                    networks={k: dict(network=n.name, sha256=n.info.get('sha256')) for k, n in study.networks.items()})
    folder = out / preset / f'seed{seed}'
    files = run_files(folder, study.cfg, G['cfg'])
    result_file, train_file, adapter = files['result'], folder / 'train.json', folder / 'adapter'
    finished = json.loads(result_file.read_text()) if result_file.exists() else None
    if finished and comparable(finished.get('settings') or {}) == comparable(settings):
        return finished, True
    real_features, t0 = study.real_features, time.perf_counter()  # the real side's one-off cost is not this run's
    trained = json.loads(train_file.read_text()) if train_file.exists() else None
    if not (trained and comparable(trained['settings']) == comparable(train_settings) and (adapter / 'medart_lora.safetensors').is_file()):
        trained = copy_equal_training(out, folder, train_settings, seed)  # None when no other preset trained these settings
    if trained is None:
        resumed = any((folder / 'checkpoints').glob('step_*'))  # finetune continues from the last checkpoint of a killed run
        pipe = load_pipeline(PROFILE, model=str(ROOT / base))
        report = finetune(pipe, study.train, captions, folder, T, seed=seed, steps=total, cache_dir=out / 'latents', progress=False,
                          card=dict(preset=preset, dataset=DATASET, claims_run=True))
        trained = dict(settings=train_settings, report={k: v for k, v in report.items() if k != 'trainable'}, resumed=resumed,
                       seconds=round(time.perf_counter() - t0, 1))  # a resumed run: the seconds of its last session only
        write_json_atomic(train_file, trained)
        shutil.rmtree(folder / 'checkpoints', ignore_errors=True)  # the adapter is saved: the resume points are not needed any more
    t1 = time.perf_counter()
    pipe = load_pipeline(PROFILE, model=str(ROOT / base))
    load_adapters(pipe, adapter, merge=True)  # as the generate stage: merged into the weights
    meta = dict(preset=preset, training_seed=seed, adapter=sha256_of(adapter / 'medart_lora.safetensors')[:16])
    generate_set(pipe, study.prompts(captions), files['images'], steps=G['steps'], cfg=cfg, seed=P['seed'],
                 batch_size=G['batch_size'], meta=meta, progress=False)
    records = read_generated(files['images'])
    t2 = time.perf_counter()
    images, labels = [load_image(r['path'], study.image_size) for r in records], [r['label'] for r in records]
    acc = class_accuracy(study.classifier, images, labels)
    cd = colour_distance(images, labels, study.real, study.real_labels)
    measures = dict(class_accuracy=acc['accuracy'], spread_ratio=collapse_check(prompt_spread(images), study.real_spread)['ratio'],
                    colour_distance=cd['mean'], saturation=cd['saturation'], real_saturation=cd['real_saturation'])
    seconds = {}
    for key, net in study.networks.items():
        t = time.perf_counter()
        measures[key] = frechet_distance(real_features[key], features(records, [net], study.image_size)[net.name])
        seconds[key] = round(time.perf_counter() - t, 1)
    measures['fid'] = measures.get('fid')  # None when --no-fid
    measures['per_class'] = dict(class_accuracy=acc['per_class'], colour_distance=cd['per_class'])
    t3 = time.perf_counter()
    n = min(study.per_class, 8)  # the sample grid: a row per class, up to 8 images each
    from diffusers.utils import make_image_grid
    grid = make_image_grid([im for c in study.classes for im in [i for i, l in zip(images, labels) if l == c][:n]], len(study.classes), n)
    tmp = files['grid'].with_name('.' + files['grid'].name + '.tmp')
    grid.save(tmp, format='PNG'); os.replace(tmp, files['grid'])
    result = dict(preset=preset, seed=seed, settings=settings, train=trained['report'], measures=measures, commit=git_commit(),
                  seconds=dict(train=trained['seconds'], generate=round(t2 - t1, 1), measure=round(t3 - t2, 1), **{f'{k}_features': v for k, v in seconds.items()},
                               total=round(trained['seconds'] + t3 - t1, 1)),
                  networks={k: n.info for k, n in study.networks.items()}, folder=str(folder), adapter=str(adapter), grid=str(files['grid']))
    write_json_atomic(result_file, result)
    return json.loads(result_file.read_text()), False


def copy_equal_training(out: Path, folder: Path, train_settings: dict, seed: int) -> dict | None:
    """If another preset's folder under `out` holds a finished adapter trained with equal settings (`same_training`: say a --variant
    whose settings became a preset's), copy it into `folder` instead of training again; its train.json then names the source.
    Training is deterministic for a seed on one machine (the claims run's seed 0 reproduced an earlier run exactly)."""
    want = same_training(train_settings)
    for src in sorted(out.glob(f'*/seed{seed}/train.json')):
        if src.parent == folder: continue
        found = json.loads(src.read_text())
        if same_training(found['settings']) != want or not (src.parent / 'adapter' / 'medart_lora.safetensors').is_file(): continue
        from medart.data import write_json_atomic
        shutil.rmtree(folder / 'adapter', ignore_errors=True)
        shutil.copytree(src.parent / 'adapter', folder / 'adapter')
        trained = dict(found, settings=json.loads(json.dumps(train_settings, default=str)), copied_from=str(here(src.parent)))
        write_json_atomic(folder / 'train.json', trained)
        print(f"{here(folder)}: the adapter of {here(src.parent)} has equal training settings: copied, not trained again", flush=True)
        return trained
    return None


def run_files(folder: Path, cfg: float | None, default_cfg: float) -> dict:
    "A run's generation outputs: images/, grid.png and result.json at the study's guidance scale, '-cfgX'-suffixed ones at another (--cfg X)."
    tag = '' if cfg is None or float(cfg) == float(default_cfg) else f'-cfg{float(cfg):g}'
    return dict(images=folder / f'images{tag}', grid=folder / f'grid{tag}.png', result=folder / f'result{tag}.json')


def here(path: Path) -> Path:
    "`path` (relative to the working directory) relative to the repository root when it lies inside it, else absolute."
    path = Path(path).resolve()
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def load_results(out: Path, presets, seeds, cfg: float | None = None) -> dict:
    "{preset: [result]} of the finished runs under `out` for these presets and seeds 0 .. seeds-1 (at guidance scale `cfg`: --cfg)."
    default_cfg = default_guidance() if cfg is not None else None
    found = {}
    for p in presets:
        files = [run_files(out / p / f'seed{s}', cfg, default_cfg)['result'] for s in range(seeds)]
        found[p] = [json.loads(f.read_text()) for f in files if f.exists()]
    return found


@functools.cache  # asked after every run (load_results, write_aggregate): params.yaml is read once
def default_guidance() -> float:
    "The study's guidance scale (generate.cfg of the tiny profile, synth-endo)."
    from medart.config import load_params
    return float(load_params(ROOT / 'params.yaml', profile=PROFILE, dataset=DATASET)['generate']['cfg'])


def write_aggregate(args, results: dict, variants: dict | None = None) -> dict:
    "Write miniature-claims.json and .md under --results from the finished runs."
    from medart.data import write_json_atomic
    real_sat = [r['measures']['real_saturation'] for rs in results.values() for r in rs]
    doc = aggregate(results, variants={n: b for n, (b, _) in (variants or {}).items()} or None, dataset=DATASET, profile=PROFILE, command=' '.join(['python benchmarks/claims.py', *(a for a in sys.argv[1:] if a != '--aggregate-only')]),
                    commit=git_commit(), written=time.strftime('%Y-%m-%d %H:%M'), out=str(args.out),
                    real_saturation=real_sat[0] if real_sat else None, generate_cfg=args.cfg if args.cfg is not None else default_guidance(),
                    args={k: v for k, v in vars(args).items() if k != 'aggregate_only'})
    res = Path(args.results); res.mkdir(parents=True, exist_ok=True)
    write_json_atomic(res / 'miniature-claims.json', doc)
    md = res / 'miniature-claims.md'
    md.with_suffix('.md.tmp').write_text(markdown(doc)); os.replace(md.with_suffix('.md.tmp'), md)
    return doc


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=RULE)
    ap.add_argument('--presets', nargs='+', default=PRESETS, help='method presets of params.yaml (default: the seven of the claims)')
    ap.add_argument('--seeds', type=int, default=3, help='training seeds 0 .. S-1 per preset (default 3)')
    ap.add_argument('--per-class', type=int, default=12, help='generated images per class per run (default 12)')
    ap.add_argument('--steps', type=int, help="training steps per run (default: the profile's epochs)")
    ap.add_argument('--fid', action=argparse.BooleanOptionalAction, default=True, help='also measure FID (Inception; default on)')
    ap.add_argument('--out', type=Path, default=ROOT / 'runs' / 'claims', help='run folders (default runs/claims of the repository)')
    ap.add_argument('--results', type=Path, default=ROOT / 'results', help='where the claims table goes (default results/ of the repository)')
    ap.add_argument('--base', help='fine-tune this pretrained tiny pipeline (a folder) instead of models.tiny_base; needs its own --out')
    ap.add_argument('--cfg', type=float, help="generate at this guidance scale instead of generate.cfg (from the same adapters); needs its own --results")
    ap.add_argument('--aggregate-only', action='store_true', help='only rewrite the tables from the finished runs under --out')
    ap.add_argument('--variant', action='append', default=[], metavar='NAME=PRESET:key=value[,key=value]',
                    help='also run PRESET with changed train settings as NAME (repeatable); see the top of this file')
    args = ap.parse_args(argv)
    try: variants = [parse_variant(v) for v in args.variant]
    except ValueError as e: ap.error(str(e))
    clash = [n for n, _, _ in variants if n in PRESETS]
    if clash: ap.error(f"--variant names {clash} are presets already: give the variant a name of its own")
    variant_of = {n: (b, o) for n, b, o in variants}
    if variants:
        from medart.config import ParamsError, stage_params
        for n, b, o in variants:  # a typo in a key or value stops here, not after an hour
            try: stage_params('train', DATASET, b, ROOT / 'params.yaml', PROFILE, **o)
            except ParamsError as e: ap.error(f"--variant {n}: {e}")
        args.presets = list(dict.fromkeys([*args.presets, *variant_of]))
    if args.seeds < 1 or args.per_class < 2: ap.error('--seeds must be >= 1 and --per-class >= 2 (a spread needs two images)')
    unknown = [p for p in args.presets if p not in PRESETS and p not in variant_of]
    if unknown: print(f"note: {unknown} are not among the claims' presets {PRESETS}: measured, but in no claim", flush=True)
    if args.base and here(args.out) == Path('runs') / 'claims':
        ap.error('--base needs an --out of its own: runs/claims holds the runs of the committed base')
    if args.base and not (Path(args.base) / 'model_index.json').is_file(): ap.error(f'--base {args.base}: no model_index.json there (a saved pipeline folder)')
    if args.cfg is not None and args.cfg != default_guidance() and here(args.results) == Path('results'):
        ap.error(f'--cfg {args.cfg:g} needs a --results of its own (e.g. results/claims-cfg{args.cfg:g}): results/ holds the table at generate.cfg')
    args.out, args.results = here(args.out), here(args.results)
    os.chdir(ROOT)  # the split's image paths and params.yaml's folders are relative to the repository root
    from diffusers.utils import logging as diffusers_logging
    diffusers_logging.disable_progress_bar()  # 'Loading pipeline components' twice per run
    if not args.aggregate_only:
        study, t_all = Study(args.per_class, args.fid, variant_of, str(here(Path(args.base))) if args.base else None, args.cfg), time.perf_counter()
        for p in args.presets:  # every preset checked before the first run: a typo stops here, not after an hour
            family = study.params(p)['train']['family']
            if family != 'pixart-alpha': raise SystemExit(f"{p}: the claims run compares PixArt-α presets, not the baseline {family}")
        # seed-major: every preset gets its first seed before any gets a second, so a run cut short still compares them all
        todo = [(p, s) for s in range(args.seeds) for p in args.presets]
        for i, (preset, seed) in enumerate(todo, 1):
            result, skipped = run(study, preset, seed, args.steps, args.out)
            m, sec = result['measures'], result['seconds']
            print(f"[{i}/{len(todo)}] {preset} seed {seed}: " + ('already done; ' if skipped else '')
                  + f"{result['train']['steps']} steps ({result['train']['hldf_events']} HLDF events) {sec['train']:.0f} s, "
                  f"generate {sec['generate']:.0f} s, measure {sec['measure']:.0f} s | class accuracy {m['class_accuracy']:.3f}, "
                  f"spread ratio {m['spread_ratio']:.2f}, colour distance {m['colour_distance']:.4f}, saturation {m['saturation']:.2f} "
                  f"(real {m['real_saturation']:.2f}), domain FD {m['domain_fd']:.3g}" + (f", FID {m['fid']:.1f}" if m['fid'] is not None else '')
                  + f" | {(time.perf_counter() - t_all) / 60:.1f} min so far", flush=True)
            write_aggregate(args, load_results(args.out, args.presets, args.seeds, args.cfg), variant_of)
    doc = write_aggregate(args, load_results(args.out, args.presets, args.seeds, args.cfg), variant_of)
    if not doc['presets']: raise SystemExit(f"no finished runs under {args.out} for {args.presets}: run without --aggregate-only first")
    print('\n' + markdown(doc))
    print(f"wrote {Path(args.results) / 'miniature-claims.json'} and {Path(args.results) / 'miniature-claims.md'}")


if __name__ == '__main__':
    main()
