"""The claims run of the miniature: the ablation presets trained with several seeds, measured, and a verdict per claim of the paper.

Run:  make claims                    (7 presets x 5 training seeds, the tiny profile's settings; resumes whatever is done)
      .venv/bin/python benchmarks/claims.py --presets med-art pixart-alpha --seeds 2 --steps 4 --per-class 2 \\
          --out /tmp/claims-smoke --results /tmp/claims-smoke       (an end-to-end check in a few minutes)
      .venv/bin/python benchmarks/claims.py --aggregate-only     (rewrite the tables from the finished runs)
      .venv/bin/python benchmarks/claims.py --from-json results/miniature-claims.json --results /tmp/x
          (aggregate a results file's per-seed values anew with this protocol: no run folders needed)
      .venv/bin/python benchmarks/claims.py --presets pixart-alpha med-art --variant med-art-w0.01=med-art:hldf_weight=0.01 \\
          --results results/hldf-weight      (a preset with changed train settings, compared as its base preset is)

Every setting comes from params.yaml (profile tiny, dataset synth-endo, method = the preset), so the train section, the
tiny base (models.tiny_base), generate.steps / generate.cfg / generate.train_images_per_class and the classify section of the
study apply. For each preset and training seed 0 .. S-1 the script fine-tunes the tiny base (medart.train.finetune), generates
--per-class images per class from training captions (drawn as medart.generate.eval_prompts draws them). Training seed k is a
replicate: every preset of it shares its data order and training noise and its evaluation draw (the prompts, the generation noise,
the Table 4 classifier's seed and KID's subsets, all from replicate_seed: params.yaml's seed + k), and each replicate draws its
evaluation anew, so the spread over seeds holds the evaluation's randomness too. It measures them against the real test split:
class accuracy (the real-trained classifier), prompt spread ratio (collapse check), colour distance (eq. 4 per class), colour-histogram distance (medart.checks), saturation and
its gap to the real images', domain FD (the study's domain network), FID and KID (Inception; --no-fid skips both). Table 4
(--no-table4 skips it): the run's classifier set, generated as the study's generate stage makes it (train_images_per_class per
class from the training captions, the replicate's seed + TRAIN_SEED_OFFSET), trains a classifier as the study's classify stage
does (classify section; medart.classify), scored on the real test split: weighted F1, balanced accuracy, one-vs-rest macro AUC.

Each run keeps its folder --out/<preset>/seed<k>/: adapter/ and train.json (training), images/ and grid.png (the evaluation set),
classifier-set/ and classify.json (Table 4), result.json (every measure). Each part is kept when its settings are unchanged, so a
run resumes across sessions: training from its checkpoints, generation image by image, the classifier epoch by epoch; a result
written by an older version of this script (fewer measures) is measured anew from the same adapter and images, and only what is
missing is generated and trained. Run folders are ignored by git and lost with the machine, so each finished result is also kept
as --results/claims-runs/<preset>-seed<k>.json (commit them as runs finish): a run whose kept result has the same settings counts
as finished in a later session, in the tables too. After every run the aggregate is rewritten: --results/miniature-claims.json (per preset the
mean ± std and per-seed values of every measure, the settings, the runtime; per claim row the paired differences, the 95 % t
interval, the p-value, Holm's correction and the verdict: medart.claims, whose RULE is the protocol) and
--results/miniature-claims.md (medart.claims.render_claims_markdown: the tables, the verdicts, what each claim's verdict can mean).
Needs the split, the describe captions and the real classifier: `dvc repro classify_real` (make claims runs it).
--variant NAME=PRESET:key=value[,key=value] adds a preset NAME: PRESET with the train stage's notebook parameters changed
(validated as `papermill nbs/train.ipynb -p key value` is, by medart.params_files.notebook_overrides). Each claim row whose claimed-better
preset is PRESET is repeated with NAME in its place, in a table of its own: variants never enter the claims' verdicts.
--also-cfg X [X ...] (default 1 2 3): after each run, its adapter generates the same evaluation set at these guidance scales
too, measured as above but without Table 4 (whose classifier set and classifier cost more than the generation); their images,
grid and result get a -cfgX suffix in the run's folder, their kept results go to --results/claims-cfg/cfgX/claims-runs/ and
their tables to --results/claims-cfg/cfgX/. Doing it while the adapter is there means no adapter is kept in git or trained twice.
--finished-only runs only what is finished and still has its adapter (the --also-cfg passes of runs that a claims run in another
process has finished; nothing is trained).
--cfg X generates at guidance scale X instead of generate.cfg, from the same adapters (trained only where missing): its images,
classifier set, grid and results get a -cfgX suffix beside the default ones, and its tables need a --results of their own, e.g.
make claims CLAIMS_ARGS='--cfg 2 --results /tmp/cfg2' (with Table 4, unlike --also-cfg).
--jobs N runs N runs at once, each in a process of its own on cores/N threads (on 2 cores, --jobs 2: two single-thread runs,
as `make claims` runs them and as the committed runs were made; the thread count changes floating-point rounding).
--base DIR fine-tunes another pretrained tiny pipeline (e.g. one saved by benchmarks/dit_ceiling.py --save-base) instead of
models.tiny_base; its runs need an --out of their own.
"""
import argparse, copy, functools, json, os, shutil, subprocess, sys, time
from pathlib import Path

os.environ.setdefault('HF_HUB_OFFLINE', '1')
os.environ.setdefault('TRANSFORMERS_OFFLINE', '1')
os.environ.setdefault('HF_HUB_DISABLE_PROGRESS_BARS', '1')
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from medart.claims import PRESETS, RULE, aggregate, render_claims_markdown, results_from_doc  # noqa: E402

DATASET, PROFILE = 'synth-endo', 'tiny'
SEEDS = 5  # training seeds per preset (0 .. SEEDS-1): the protocol's paired tests need at least 5 (issue 28)
# what a run's result must hold (None where a measure is switched off): a result without one of them is measured anew
EVAL_MEASURES = ['class_accuracy', 'spread_ratio', 'colour_distance', 'colour_histogram', 'saturation', 'real_saturation',
                 'saturation_gap', 'domain_fd', 'fid', 'kid']
TABLE4_MEASURES = ['f1', 'bacc', 'auc']
# in every run's settings: a run made before the package had one seed rule (medart.io.derive_seed; issue 30) is not kept
RUN_RULES = 'one seed rule'
# --also-cfg's default: the guidance-scale tables (results/claims-cfg/), generated from every run's adapter while it is there
ALSO_CFG = [1.0, 2.0, 3.0]


# ---------------------------------------------------------------- variants
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
    from medart.captions import CaptionSettings, caption_dataset, load_captions, load_simplifier, model_available
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
        caption_dataset(train, get_dataset(DATASET, P['data']['registry']), make_captioner(backend), store, tok, simplifier, settings=CaptionSettings(batch_size=C['batch_size'], max_retries=C['max_retries'], max_tokens=C['max_tokens'], min_tokens=C['min_tokens']), seed=P['seed'], progress=False)  # as the caption stage: params.yaml's seed
    captions = {k: r['caption'] for k, r in load_captions(store).items()}
    missing = [r for r in train if r['sha256'] not in captions]
    if missing:
        raise SystemExit(f"{store} has no caption for {len(missing)} training images of runs/{DATASET}/split.json (e.g. {missing[0]['path']}): "
                         f"the split changed since it was captioned; run `dvc repro caption`, or delete {store.name} to remake it")
    return captions


class Study:
    "What every run shares: the split, the real test images and their features, the classifier, the networks, the eval prompts."
    def __init__(self, per_class: int, fid: bool, variants: dict | None = None, base: str | None = None, cfg: float | None = None,
                 table4: bool = True):
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
        self.per_class, self.fid, self.table4 = per_class, fid, table4  # --no-fid, --no-table4
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

    @functools.cached_property
    def test_pixels(self):
        "The real test split decoded for the Table 4 classifier (classify.image_size), once."
        from medart.classify import pixel_array
        return pixel_array([r['path'] for r in self.test], self.P['classify']['image_size'])

    def params(self, preset: str) -> dict:
        from medart.config import _set, load_params
        from medart.params_files import notebook_overrides
        base, overrides = self.variants.get(preset, (preset, {}))
        P = load_params(ROOT / 'params.yaml', profile=PROFILE, dataset=DATASET, method=base)
        for key, value in notebook_overrides('train', overrides).items(): _set(P, key, value)  # as the train notebook's -p
        if self.base: P['models']['tiny_base'] = self.base
        return P

    def prompts(self, captions: dict, seed: int) -> list[dict]:
        "`per_class` prompts per class, drawn from the training captions as the study's evaluation sets are (`seed`: the replicate's)."
        from medart.generate import eval_prompts
        quota = [dict(label=c) for c in self.classes for _ in range(self.per_class)]  # class_counts of this list: per_class each
        return eval_prompts(self.train, captions, quota, n=0, seed=seed, classes=self.classes)


def base_sha(model) -> str:
    "A hash of the base pipeline's weight files (a rebuilt base makes every run stale)."
    from medart.data import sha256_of
    return text_sha([sha256_of(f) for f in sorted(Path(model).glob('*/*.safetensors'))])


def run_files(folder: Path, cfg: float | None, default_cfg: float) -> dict:
    """A run's outputs at one guidance scale: the evaluation set (images/) and its grid, the Table 4 classifier set, its scores and
    the classifier's checkpoints, and the result; '-cfgX'-suffixed at another scale than the study's (--cfg X)."""
    tag = '' if cfg is None or float(cfg) == float(default_cfg) else f'-cfg{float(cfg):g}'
    return dict(images=folder / f'images{tag}', grid=folder / f'grid{tag}.png', result=folder / f'result{tag}.json',
                train_set=folder / f'classifier-set{tag}', classify=folder / f'classify{tag}.json',
                checkpoints=folder / f'classifier-checkpoints{tag}')


def ledger_file(ledger: Path | None, preset: str, seed: int) -> Path | None:
    """Where a finished run's result is kept in git (--results/claims-runs/<preset>-seed<k>.json): run folders live under runs/
    (ignored by git, lost with the machine), so a claims run that spans sessions resumes from these files."""
    return None if ledger is None else Path(ledger) / f'{preset}-seed{seed}.json'


def ledger_result(ledger: Path | None, preset: str, seed: int, settings: dict) -> dict | None:
    "The kept result of (preset, seed) when its settings equal `settings` (as `comparable` compares them), else None."
    f = ledger_file(ledger, preset, seed)
    if f is None or not f.is_file(): return None
    kept = json.loads(f.read_text())
    return kept if comparable(kept.get('settings') or {}) == comparable(settings) else None


def replicate_seed(P: dict, seed: int) -> int:
    """The seed of training seed `seed`'s evaluation: its prompts, generation noise, Table 4 classifier set and classifier, and
    KID's subsets. params.yaml's seed + k, as the study names its evaluation sets (eval-s<seed+k>), so replicate 0 is the study's
    own draw. Every preset of replicate k shares it (the pairing); each replicate draws anew, so the spread over the training
    seeds holds the evaluation's randomness as well as training's."""
    return int(P['seed']) + int(seed)


def run_settings(study: Study, preset: str, seed: int, steps: int | None) -> tuple[dict, dict, dict, dict]:
    "(params, captions, training settings, run settings) of one preset and training seed: what decides whether a finished part is kept."
    from medart.generate import TRAIN_SEED_OFFSET
    from medart.train import training_steps
    P = study.params(preset)
    T, G, E, base = P['train'], P['generate'], P['evaluate'], P['models']['tiny_base']
    captions = study.captions.setdefault(P['caption']['backend'], caption_store(P, study.train))
    total = training_steps(len(study.train), T['batch_size'], T['epochs'], steps)
    train_settings = dict(preset=preset, seed=seed, train=T, **({'overrides': study.variants[preset][1]} if preset in study.variants else {}),
                          steps=total, base=str(base), base_sha=base_sha(ROOT / base), split_sha=study.split_sha,
                          caption_backend=P['caption']['backend'], captions_sha=text_sha(sorted(captions[r['sha256']] for r in study.train)))
    cfg = G['cfg'] if study.cfg is None else study.cfg
    rep = replicate_seed(P, seed)
    table4 = dict(classify=P['classify'], seed=rep, train_images_per_class=G['train_images_per_class'],
                  generate_seed=rep + TRAIN_SEED_OFFSET) if study.table4 else None
    settings = dict(train_settings, per_class=study.per_class, generate=dict(steps=G['steps'], cfg=cfg, seed=rep),
                    image_size=study.image_size, fid=study.fid, kid=dict(subset_size=E['kid_subset_size'], subsets=E['kid_subsets']),
                    networks={k: dict(network=n.name, sha256=n.info.get('sha256')) for k, n in study.networks.items()},
                    table4=table4, measures=EVAL_MEASURES + (TABLE4_MEASURES if table4 else []), rules=RUN_RULES)
    return P, captions, train_settings, settings


def finished_result(result_file: Path, settings: dict, ledger: Path | None) -> dict | None:
    """The finished result of a run with these `settings` (`run_settings`): `result_file` in its folder when its settings are
    these, else the one kept in `ledger` with these settings, else None."""
    old = json.loads(result_file.read_text()) if result_file.exists() else None
    if old and comparable(old.get('settings') or {}) == comparable(settings): return old
    return ledger_result(ledger, settings['preset'], settings['seed'], settings)


def is_finished(study: Study, preset: str, seed: int, steps: int | None, out: Path, ledger: Path | None) -> bool:
    "--finished-only: whether (preset, seed) has a finished result at the study's guidance scale and its adapter in its folder."
    P, _, _, settings = run_settings(study, preset, seed, steps)
    result_file = run_files(out / preset / f'seed{seed}', study.cfg, P['generate']['cfg'])['result']
    return finished_result(result_file, settings, ledger) is not None and has_adapter(out, preset, seed)


def has_adapter(out: Path, preset: str, seed: int) -> bool:
    "Whether the run folder of (preset, seed) holds a finished adapter (train.json and the LoRA weights; whatever its settings)."
    folder = out / preset / f'seed{seed}'
    return (folder / 'train.json').is_file() and (folder / 'adapter' / 'medart_lora.safetensors').is_file()


def at_scale(study: Study, cfg: float) -> Study:
    """The study generating at guidance scale `cfg` without Table 4 (--also-cfg): a shallow copy, sharing the networks, the real
    features and the caption stores; the real features are computed first so that every copy shares them."""
    study.real_features
    other = copy.copy(study)
    other.cfg, other.table4 = float(cfg), False
    return other


def other_scales(also_cfg: list[float], cfg: float | None) -> list[float]:
    "The --also-cfg scales to run: each once, never the study's own (that is the run itself), none with --cfg (a pass of its own)."
    if any(x <= 0 for x in also_cfg): raise ValueError(f'--also-cfg {also_cfg}: guidance scales must be > 0')
    return [] if cfg is not None else [float(x) for x in dict.fromkeys(also_cfg) if float(x) != default_guidance()]


def scale_results(results: Path, cfg: float) -> Path:
    "Where the tables of the runs at guidance scale `cfg` go (--also-cfg): --results/claims-cfg/cfgX."
    return Path(results) / 'claims-cfg' / f'cfg{float(cfg):g}'


def run_other_scales(study: Study, args, preset: str, seed: int, variants: dict) -> None:
    """--also-cfg: the finished run's adapter generated and measured at each of these guidance scales too (no Table 4, nothing
    trained while the adapter is there), its tables rewritten under --results/claims-cfg/cfgX."""
    for cfg in args.also_cfg:
        res = scale_results(args.results, cfg)
        t0 = time.perf_counter()
        result, skipped = run(at_scale(study, cfg), preset, seed, args.steps, args.out, res / 'claims-runs')
        m = result['measures']
        print(f"    {preset} seed {seed} at CFG {cfg:g}: " + ('already done' if skipped else f'{time.perf_counter() - t0:.0f} s')
              + f" | class accuracy {m['class_accuracy']:.3f}, colour distance {m['colour_distance']:.4f}, domain FD "
              f"{m['domain_fd']:.3g}" + (f", FID {m['fid']:.1f}" if m.get('fid') is not None else ''), flush=True)
        write_scale_aggregate(args, cfg, variants)


def write_scale_aggregate(args, cfg: float, variants: dict) -> None:
    "Rewrite the tables at guidance scale `cfg` (--also-cfg) from its finished runs, if it has any."
    res = scale_results(args.results, cfg)
    found = load_results(args.out, args.presets, args.seeds, cfg, res / 'claims-runs')
    if any(found.values()):
        write_aggregate(argparse.Namespace(**{**vars(args), 'cfg': float(cfg), 'results': res, 'table4': False, 'also_cfg': []}),
                        found, variants)


def train_adapter(study: Study, P: dict, captions: dict, train_settings: dict, folder: Path, out: Path) -> dict:
    "The run's adapter: kept when train.json has these settings, copied when another preset trained the same, else fine-tuned (resuming)."
    from medart.data import write_json_atomic
    from medart.models import PIXART_ALPHA
    from medart.train import finetune
    train_file, adapter = folder / 'train.json', folder / 'adapter'
    trained = json.loads(train_file.read_text()) if train_file.exists() else None
    if trained and comparable(trained['settings']) == comparable(train_settings) and (adapter / 'medart_lora.safetensors').is_file():
        return trained
    trained = copy_equal_training(out, folder, train_settings, train_settings['seed'])  # None when no other preset trained these settings
    if trained is not None: return trained
    t0 = time.perf_counter()
    resumed = any((folder / 'checkpoints').glob('step_*'))  # finetune continues from the last checkpoint of a killed run
    pipe, _ = PIXART_ALPHA.start(PROFILE, base=str(ROOT / P['models']['tiny_base']))
    report = finetune(pipe, study.train, captions, folder, P['train'], seed=train_settings['seed'], steps=train_settings['steps'],
                      cache_dir=out / 'latents', progress=False, card=dict(preset=train_settings['preset'], dataset=DATASET, claims_run=True))
    trained = dict(settings=train_settings, report={k: v for k, v in report.items() if k != 'trainable'}, resumed=resumed,
                   seconds=round(time.perf_counter() - t0, 1))  # a resumed run: the seconds of its last session only
    write_json_atomic(train_file, trained)
    shutil.rmtree(folder / 'checkpoints', ignore_errors=True)  # the adapter is saved: the resume points are not needed any more
    return trained


def measure_set(study: Study, P: dict, records: list[dict], seed: int) -> tuple[dict, dict, list, list]:
    "(measures, seconds of each network's features, images, labels) of one generated evaluation set against the real test split."
    from medart.checks import class_accuracy, collapse_check, colour_distance, colour_histogram_distance, prompt_spread
    from medart.data import load_image
    from medart.metrics import distances, features, frechet_distance, metric_names
    images, labels = [load_image(r['path'], study.image_size) for r in records], [r['label'] for r in records]
    acc = class_accuracy(study.classifier, images, labels)
    cd = colour_distance(images, labels, study.real, study.real_labels)
    ch = colour_histogram_distance(images, labels, study.real, study.real_labels)
    measures = dict(class_accuracy=acc['accuracy'], spread_ratio=collapse_check(prompt_spread(images), study.real_spread)['ratio'],
                    colour_distance=cd['mean'], colour_histogram=ch['mean'], saturation=cd['saturation'],
                    real_saturation=cd['real_saturation'], saturation_gap=abs(cd['saturation'] - cd['real_saturation']), fid=None, kid=None)
    seconds, E = {}, P['evaluate']
    for key, net in study.networks.items():
        t = time.perf_counter()
        fake = features(records, [net], study.image_size)[net.name]
        if key == 'fid':  # FID and KID from the same Inception features, as the evaluate stage (medart.metrics.distances)
            d, names = distances(study.real_features[key], fake, net.name, E['kid_subset_size'], E['kid_subsets'], seed), metric_names(net.name)
            measures.update(fid=d[names['fd']], kid=d[names['kid_mean']])
        else: measures[key] = frechet_distance(study.real_features[key], fake)
        seconds[f'{key}_features'] = round(time.perf_counter() - t, 1)
    measures['per_class'] = dict(class_accuracy=acc['per_class'], colour_distance=cd['per_class'], colour_histogram=ch['per_class'])
    return measures, seconds, images, labels


def table4(study: Study, P: dict, captions: dict, settings: dict, files: dict, pipe, meta: dict) -> dict:
    """Table 4 of one run, made as the study's generate and classify stages make it: the classifier set (train_images_per_class per
    class from the training captions, seeded the replicate's seed + TRAIN_SEED_OFFSET), a classifier (the classify section) trained on it alone,
    scored on the real test split. Kept in classify.json while its settings hold; resumes image by image and epoch by epoch."""
    from medart.classify import build_classifier, classification_metrics, classify_scores, predict, train_classifier
    from medart.data import write_json_atomic
    from medart.generate import SamplerSettings, generate_set, read_generated, train_prompts
    C, G, T4 = P['classify'], P['generate'], settings['table4']
    want = json.loads(json.dumps(dict(T4, adapter=meta['adapter'], generate=settings['generate'], split_sha=settings['split_sha'],
                                      captions_sha=settings['captions_sha']), default=str))
    done = json.loads(files['classify'].read_text()) if files['classify'].exists() else None
    if done and done.get('settings') == want: return done
    t0 = time.perf_counter()
    prompts = train_prompts(study.train, captions, per_class=T4['train_images_per_class'], seed=T4['seed'], classes=study.classes)
    gen = generate_set(pipe, prompts, files['train_set'], SamplerSettings(steps=G['steps'], cfg=settings['generate']['cfg'],
                       batch_size=G['batch_size']), seed=T4['generate_seed'], meta=meta, progress=False)
    records, t1 = read_generated(files['train_set']), time.perf_counter()
    model = build_classifier(C['model_id'], study.classes, image_size=C['image_size'], seed=T4['seed'])
    history = train_classifier(model, records, epochs=C['epochs'], lr=C['lr'], batch_size=C['batch_size'], seed=T4['seed'],
                               checkpoint_dir=files['checkpoints'], device='cpu', progress=False)
    t2 = time.perf_counter()
    scores = classification_metrics(study.real_labels, predict(model, study.test_pixels, batch_size=2 * C['batch_size']), study.classes)
    result = dict(settings=want, scores=scores, table4=classify_scores(scores), n_train=len(records), n_test=len(study.test),
                  generated=gen['generated'], history=history,
                  seconds=dict(generate=round(t1 - t0, 1), train=round(t2 - t1, 1), predict=round(time.perf_counter() - t2, 1)))
    write_json_atomic(files['classify'], result)
    shutil.rmtree(files['checkpoints'], ignore_errors=True)  # written: the per-epoch resume points are not needed any more
    return result


def save_grid(study: Study, images: list, labels: list, path: Path) -> None:
    "The sample grid of a run: a row per class, up to 8 images each (atomically written PNG)."
    from diffusers.utils import make_image_grid
    n = min(study.per_class, 8)
    grid = make_image_grid([im for c in study.classes for im in [i for i, l in zip(images, labels) if l == c][:n]], len(study.classes), n)
    tmp = path.with_name('.' + path.name + '.tmp')
    grid.save(tmp, format='PNG'); os.replace(tmp, path)


def run(study: Study, preset: str, seed: int, steps: int | None, out: Path, ledger: Path | None = None) -> tuple[dict, bool]:
    """Fine-tune, generate and measure one (preset, training seed), resuming whatever is done; (result, whether it was already
    finished). A finished result is also kept in `ledger` (see `ledger_file`), and a result kept there with these settings counts
    as finished."""
    from medart.data import sha256_of, write_json_atomic
    from medart.generate import SamplerSettings, generate_set, read_generated
    from medart.models import PIXART_ALPHA
    P, captions, train_settings, settings = run_settings(study, preset, seed, steps)
    folder = out / preset / f'seed{seed}'
    files = run_files(folder, study.cfg, P['generate']['cfg'])
    if done := finished_result(files['result'], settings, ledger):
        if ledger and not ledger_result(ledger, preset, seed, settings): write_json_atomic(ledger_file(ledger, preset, seed), done)
        return done, True
    old = json.loads(files['result'].read_text()) if files['result'].exists() else None  # a stale result: its generation seconds
    study.real_features  # the real side's one-off cost is not this run's
    trained = train_adapter(study, P, captions, train_settings, folder, out)
    t1, adapter = time.perf_counter(), folder / 'adapter'
    pipe, _, _ = PIXART_ALPHA.trained(PROFILE, base=str(ROOT / P['models']['tiny_base']), adapter=adapter)  # merged, as the generate stage
    meta = dict(preset=preset, training_seed=seed, adapter=sha256_of(adapter / 'medart_lora.safetensors')[:16])
    G = P['generate']
    rep = settings['generate']['seed']  # the replicate's evaluation seed (replicate_seed)
    gen = generate_set(pipe, study.prompts(captions, rep), files['images'], SamplerSettings(steps=G['steps'], cfg=settings['generate']['cfg'],
                       batch_size=G['batch_size']), seed=rep, meta=meta, progress=False)
    records, t2 = read_generated(files['images']), time.perf_counter()
    measures, feature_s, images, labels = measure_set(study, P, records, rep)
    save_grid(study, images, labels, files['grid'])
    t3 = time.perf_counter()
    t4 = table4(study, P, captions, settings, files, pipe, meta) if settings['table4'] else None
    measures.update(t4['table4'] if t4 else dict.fromkeys(TABLE4_MEASURES))
    # images made in an earlier session cost this one nothing: keep the session that made them
    generate_s = round(t2 - t1, 1) if gen['generated'] or not old else old.get('seconds', {}).get('generate', round(t2 - t1, 1))
    t4_s = round(sum(t4['seconds'].values()), 1) if t4 else 0.0
    seconds = dict(train=trained['seconds'], generate=generate_s, measure=round(t3 - t2, 1), **feature_s, table4=t4_s,
                   total=round(trained['seconds'] + generate_s + (t3 - t2) + t4_s, 1))
    result = dict(preset=preset, seed=seed, settings=settings, train=trained['report'], measures=measures, commit=git_commit(),
                  seconds=seconds, table4=t4 and {k: t4[k] for k in ('scores', 'n_train', 'n_test', 'seconds')},
                  networks={k: n.info for k, n in study.networks.items()}, folder=str(folder), adapter=str(adapter), grid=str(files['grid']))
    write_json_atomic(files['result'], result)
    if ledger: write_json_atomic(ledger_file(ledger, preset, seed), result)
    return json.loads(files['result'].read_text()), False


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


def here(path: Path) -> Path:
    "`path` (relative to the working directory) relative to the repository root when it lies inside it, else absolute."
    path = Path(path).resolve()
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


@functools.cache  # asked after every run (load_results, write_aggregate): params.yaml is read once
def default_guidance() -> float:
    "The study's guidance scale (generate.cfg of the tiny profile, synth-endo)."
    from medart.config import load_params
    return float(load_params(ROOT / 'params.yaml', profile=PROFILE, dataset=DATASET)['generate']['cfg'])


def load_results(out: Path, presets, seeds, cfg: float | None = None, ledger: Path | None = None) -> dict:
    """{preset: [result]} of the finished runs under `out` for these presets and seeds 0 .. seeds-1 (at guidance scale `cfg`: --cfg);
    a run whose folder is gone counts with its result kept in `ledger`."""
    default_cfg = default_guidance() if cfg is not None else None
    found = {}
    for p in presets:
        files = [run_files(out / p / f'seed{s}', cfg, default_cfg)['result'] for s in range(seeds)]
        files = [f if f.exists() else ledger_file(ledger, p, s) for s, f in enumerate(files)]
        found[p] = [json.loads(f.read_text()) for f in files if f is not None and f.exists()]
    return found


def command_line(argv=None) -> str:
    "This script's command as run (without --aggregate-only, which only rewrites the tables)."
    args = list(sys.argv[1:] if argv is None else argv)
    if '--worker' in args:  # a --jobs worker: its parent's command
        i = args.index('--worker'); args = args[:i - 2] + args[i + 2:]  # drop '--jobs 1 --worker k/N'
    return ' '.join(['python benchmarks/claims.py', *(a for a in args if a != '--aggregate-only')])


def write_tables(results_dir: Path, doc: dict) -> dict:
    "Write miniature-claims.json and its Markdown (medart.claims.render_claims_markdown) under `results_dir`."
    from medart.data import write_json_atomic
    from medart.io import write_atomic
    res = Path(results_dir); res.mkdir(parents=True, exist_ok=True)
    write_json_atomic(res / 'miniature-claims.json', doc)  # each write through a temporary file of its own: --jobs workers write both
    write_atomic(res / 'miniature-claims.md', render_claims_markdown(doc))
    return doc


def recorded_args(args) -> dict:
    "The options a results file records: a --jobs worker ('--jobs 1 --worker k/N') records its parent's --jobs N."
    rec = {k: v for k, v in vars(args).items() if k not in ('aggregate_only', 'from_json', 'worker')}
    if getattr(args, 'worker', None): rec['jobs'] = int(args.worker.split('/')[1])
    return rec


def write_aggregate(args, results: dict, variants: dict | None = None) -> dict:
    "Write the claims document of the finished runs under --results."
    real_sat = [r['measures']['real_saturation'] for rs in results.values() for r in rs]
    doc = aggregate(results, variants={n: b for n, (b, _) in (variants or {}).items()} or None, dataset=DATASET, profile=PROFILE,
                    command=command_line(), commit=git_commit(), written=time.strftime('%Y-%m-%d %H:%M'), out=str(args.out),
                    real_saturation=real_sat[0] if real_sat else None,
                    generate_cfg=args.cfg if args.cfg is not None else default_guidance(),
                    args=recorded_args(args))
    return write_tables(args.results, doc)


def aggregate_file(source: Path, results_dir: Path) -> dict:
    """Aggregate a claims results file's per-seed values anew with this protocol (medart.claims.results_from_doc) into
    `results_dir`, keeping the runs' provenance (command, commit, written) and recording this aggregation's."""
    src = json.loads(Path(source).read_text())
    keep = {k: src[k] for k in ('dataset', 'profile', 'command', 'commit', 'written', 'out', 'real_saturation', 'generate_cfg', 'args')
            if k in src}
    aggregated = dict(command=command_line(), commit=git_commit(), written=time.strftime('%Y-%m-%d %H:%M'),
                      source=f"the per-seed values of {here(Path(source))} (runs of commit {src.get('commit', '?')})")
    return write_tables(results_dir, aggregate(results_from_doc(src), variants=src.get('variants'), **keep, aggregated=aggregated))


def report_line(i: int, n: int, preset: str, seed: int, result: dict, skipped: bool, minutes: float) -> str:
    "One progress line of a finished run."
    m, sec = result['measures'], result['seconds']
    g = lambda k, f: '—' if m.get(k) is None else format(m[k], f)
    return (f"[{i}/{n}] {preset} seed {seed}: " + ('already done; ' if skipped else '')
            + f"{result['train']['steps']} steps ({result['train']['hldf_events']} HLDF events) {sec['train']:.0f} s, "
            f"generate {sec['generate']:.0f} s, measure {sec['measure']:.0f} s, Table 4 {sec.get('table4', 0):.0f} s | "
            f"class accuracy {g('class_accuracy', '.3f')}, spread ratio {g('spread_ratio', '.2f')}, colour distance "
            f"{g('colour_distance', '.4f')}, colour histogram {g('colour_histogram', '.3f')}, saturation {g('saturation', '.2f')} "
            f"(real {g('real_saturation', '.2f')}), domain FD {g('domain_fd', '.3g')}, FID {g('fid', '.1f')}, KID {g('kid', '.3g')}, "
            f"F1 {g('f1', '.3f')}, BACC {g('bacc', '.3f')}, AUC {g('auc', '.3f')} | {minutes:.1f} min so far")


def worker_share(todo: list, worker: str | None) -> list:
    "The runs of one --jobs worker ('k/N': runs k, k+N, k+2N, ... of `todo`); all of them without a worker."
    if not worker: return todo
    try: k, n = map(int, worker.split('/'))
    except ValueError: raise ValueError(f"--worker {worker!r}: expected k/N, e.g. 0/2") from None
    if not 0 <= k < n: raise ValueError(f"--worker {worker!r}: k must lie in 0 .. N-1")
    return todo[k::n]


def run_workers(argv: list[str], jobs: int) -> None:
    """--jobs N: this script N times at once, worker k running runs k, k+N, ... on cores/N threads each (OMP_NUM_THREADS), with the
    same arguments; each keeps its runs' folders and resumes as a single process does. Stops with the workers' exit codes if one fails."""
    from medart.stage_io import cpu_threads
    threads = max(1, cpu_threads() // jobs)
    print(f"--jobs {jobs}: {jobs} worker processes, {threads} thread(s) each", flush=True)
    procs = [subprocess.Popen([sys.executable, str(Path(__file__).resolve()), *argv, '--jobs', '1', '--worker', f'{k}/{jobs}'],
                              env=dict(os.environ, OMP_NUM_THREADS=str(threads))) for k in range(jobs)]
    codes = [p.wait() for p in procs]
    if any(codes): raise SystemExit(f"--jobs {jobs}: workers exited with {codes}; run the same command again to resume")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=RULE)
    ap.add_argument('--presets', nargs='+', default=PRESETS, help='method presets of params.yaml (default: the seven of the claims)')
    ap.add_argument('--seeds', type=int, default=SEEDS, help=f'training seeds 0 .. S-1 per preset (default {SEEDS})')
    ap.add_argument('--per-class', type=int, default=12, help='generated images per class per run (default 12)')
    ap.add_argument('--steps', type=int, help="training steps per run (default: the profile's epochs)")
    ap.add_argument('--fid', action=argparse.BooleanOptionalAction, default=True, help='also measure FID and KID (Inception; default on)')
    ap.add_argument('--table4', action=argparse.BooleanOptionalAction, default=True,
                    help="also Table 4: generate each run's classifier set, train the classifier on it, score it on the real test split (default on)")
    ap.add_argument('--out', type=Path, default=ROOT / 'runs' / 'claims', help='run folders (default runs/claims of the repository)')
    ap.add_argument('--results', type=Path, default=ROOT / 'results', help='where the claims table goes (default results/ of the repository)')
    ap.add_argument('--base', help='fine-tune this pretrained tiny pipeline (a folder) instead of models.tiny_base; needs its own --out')
    ap.add_argument('--cfg', type=float, help="generate at this guidance scale instead of generate.cfg (from the same adapters); needs its own --results")
    ap.add_argument('--also-cfg', type=float, nargs='*', default=ALSO_CFG, metavar='X',
                    help=f"after each run, generate and measure its adapter at these guidance scales too, without Table 4 (default "
                         f"{' '.join(f'{x:g}' for x in ALSO_CFG)}; tables in --results/claims-cfg/cfgX; --also-cfg alone: none; not with --cfg)")
    ap.add_argument('--finished-only', action='store_true',
                    help='only the runs whose result is finished and whose adapter is in its folder (the --also-cfg passes of a claims '
                         'run going on in another process); the others are skipped, not trained')
    ap.add_argument('--aggregate-only', action='store_true', help='only rewrite the tables from the finished runs under --out')
    ap.add_argument('--from-json', type=Path, metavar='FILE',
                    help="only aggregate a claims results file's per-seed values anew with this protocol into --results (no run folders)")
    ap.add_argument('--variant', action='append', default=[], metavar='NAME=PRESET:key=value[,key=value]',
                    help='also run PRESET with changed train settings as NAME (repeatable); see the top of this file')
    ap.add_argument('--jobs', type=int, default=1,
                    help='runs at once, each in a process of its own on cores/jobs threads (default 1; results do not depend on it '
                         'beyond floating-point rounding, which depends on the thread count)')
    ap.add_argument('--worker', help=argparse.SUPPRESS)  # 'k/N', set by --jobs: this process runs runs k, k+N, ...
    args = ap.parse_args(argv)
    if args.from_json:
        if not args.from_json.is_file(): ap.error(f'--from-json {args.from_json}: no such file')
        if args.from_json.resolve().parent == args.results.resolve():
            ap.error('--from-json needs a --results of its own: the source file would be overwritten by its own aggregate')
        doc = aggregate_file(args.from_json, args.results)
        print(render_claims_markdown(doc) + f"\nwrote {Path(args.results) / 'miniature-claims.json'} and .md")
        return doc
    try: variants = [parse_variant(v) for v in args.variant]
    except ValueError as e: ap.error(str(e))
    clash = [n for n, _, _ in variants if n in PRESETS]
    if clash: ap.error(f"--variant names {clash} are presets already: give the variant a name of its own")
    variant_of = {n: (b, o) for n, b, o in variants}
    if variants:
        from medart.config import ParamsError, load_params
        from medart.params_files import notebook_overrides
        for n, b, o in variants:  # a typo in a key or value stops here, not after an hour
            try: load_params(ROOT / 'params.yaml', profile=PROFILE, dataset=DATASET, method=b); notebook_overrides('train', o)
            except ParamsError as e: ap.error(f"--variant {n}: {e}")
        args.presets = list(dict.fromkeys([*args.presets, *variant_of]))
    if args.seeds < 1 or args.per_class < 2: ap.error('--seeds must be >= 1 and --per-class >= 2 (a spread needs two images)')
    if args.jobs < 1: ap.error('--jobs must be >= 1')
    try: worker_share([], args.worker)
    except ValueError as e: ap.error(str(e))
    unknown = [p for p in args.presets if p not in PRESETS and p not in variant_of]
    if unknown: print(f"note: {unknown} are not among the claims' presets {PRESETS}: measured, but in no claim", flush=True)
    if args.base and here(args.out) == Path('runs') / 'claims':
        ap.error('--base needs an --out of its own: runs/claims holds the runs of the committed base')
    if args.base and not (Path(args.base) / 'model_index.json').is_file(): ap.error(f'--base {args.base}: no model_index.json there (a saved pipeline folder)')
    if args.cfg is not None and args.cfg != default_guidance() and here(args.results) == Path('results'):
        ap.error(f'--cfg {args.cfg:g} needs a --results of its own (e.g. results/claims-cfg/cfg{args.cfg:g}): results/ holds the table at generate.cfg')
    try: args.also_cfg = other_scales(args.also_cfg, args.cfg)
    except ValueError as e: ap.error(str(e))
    if args.jobs > 1 and not args.aggregate_only:
        run_workers(list(sys.argv[1:] if argv is None else argv), args.jobs)  # from the caller's folder: paths mean what they meant
        args.aggregate_only = True  # the workers ran every run: only the tables are left
    args.out, args.results = here(args.out), here(args.results)
    os.chdir(ROOT)  # the split's image paths and params.yaml's folders are relative to the repository root
    from diffusers.utils import logging as diffusers_logging
    diffusers_logging.disable_progress_bar()  # 'Loading pipeline components' twice per run
    if not args.aggregate_only:
        study = Study(args.per_class, args.fid, variant_of, str(here(Path(args.base))) if args.base else None, args.cfg, args.table4)
        t_all = time.perf_counter()
        for p in args.presets:  # every preset checked before the first run: a typo stops here, not after an hour
            family = study.params(p)['train']['family']
            if family != 'pixart-alpha': raise SystemExit(f"{p}: the claims run compares PixArt-α presets, not the baseline {family}")
        # seed-major: every preset gets its first seed before any gets a second, so a run cut short still compares them all
        todo = worker_share([(p, s) for s in range(args.seeds) for p in args.presets], args.worker)
        for i, (preset, seed) in enumerate(todo, 1):
            if args.finished_only and not is_finished(study, preset, seed, args.steps, args.out, args.results / 'claims-runs'):
                print(f"[{i}/{len(todo)}] {preset} seed {seed}: not finished here yet (--finished-only): skipped", flush=True)
                continue
            result, skipped = run(study, preset, seed, args.steps, args.out, args.results / 'claims-runs')
            print(report_line(i, len(todo), preset, seed, result, skipped, (time.perf_counter() - t_all) / 60), flush=True)
            write_aggregate(args, load_results(args.out, args.presets, args.seeds, args.cfg, args.results / 'claims-runs'), variant_of)
            run_other_scales(study, args, preset, seed, variant_of)
    doc = write_aggregate(args, load_results(args.out, args.presets, args.seeds, args.cfg, args.results / 'claims-runs'), variant_of)
    if not doc['presets']: raise SystemExit(f"no finished runs under {args.out} for {args.presets}: run without --aggregate-only first")
    for cfg in args.also_cfg:  # the other scales' tables too (after --jobs workers, or with --aggregate-only)
        write_scale_aggregate(args, cfg, variant_of)
    print('\n' + render_claims_markdown(doc))
    print(f"wrote {Path(args.results) / 'miniature-claims.json'} and {Path(args.results) / 'miniature-claims.md'}")
    return doc


if __name__ == '__main__':
    main()
