"""How much class structure can the tiny DiT learn in-domain? Full DiT training (no LoRA, T5 frozen) from the tiny base on the
synth-endo training split, measured as the claims run measures a preset.

Run:  .venv/bin/python benchmarks/dit_ceiling.py                 (2,500 steps, batch 32: ~15 min on 2 free cores)
      .venv/bin/python benchmarks/dit_ceiling.py --steps 20 --out /tmp/ceiling-smoke
      .venv/bin/python benchmarks/dit_ceiling.py --steps 960 --captions empty --out runs/bench/shape-base \
          --save-base runs/bench/shape-base/pipeline     (a base that draws the set's shapes but was never told its classes)

It trains every DiT weight of models.tiny_base (params.yaml) on the describe captions of the training split (caption dropout
0.1, AdamW lr 1e-3 with 100 warm-up steps and a cosine decay to 0; medart.train.fit, resumable from --out), then generates
12 images per class from training captions (as benchmarks/claims.py draws them: same captions, noise seed, 20 DPM-Solver++
steps, CFG 4.5) and prints class accuracy (the real-trained classifier) and class colour distance (eq. 4). It is a ceiling
for the fine-tuning presets, which adapt the same DiT with rank-8 LoRA on 960 x 8 = 7,680 samples; this run sees 80,000.
--captions empty trains on the empty prompt only: the DiT learns the set's images without their words, the situation of a
base pretrained on images like the targets, whose LoRA then only binds the words; --save-base writes the trained pipeline
(the base's T5, VAE and tokenizer with the trained DiT) for `benchmarks/claims.py --base`. Needs `dvc repro classify_real`.
"""
import argparse, importlib.util, json, os, sys, time
from pathlib import Path

os.environ.setdefault('HF_HUB_OFFLINE', '1')
os.environ.setdefault('TRANSFORMERS_OFFLINE', '1')
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--steps', type=int, default=2500, help='training steps (default 2500)')
    ap.add_argument('--batch-size', type=int, default=32, help='images per step (default 32)')
    ap.add_argument('--captions', choices=['describe', 'empty'], default='describe',
                    help="training captions: the describe captions (default) or the empty prompt for every image")
    ap.add_argument('--save-base', type=Path, help='also save the trained pipeline here (a base for benchmarks/claims.py --base)')
    ap.add_argument('--out', type=Path, default=ROOT / 'runs' / 'bench' / 'dit-ceiling', help='checkpoints and images')
    args = ap.parse_args(argv)
    spec = importlib.util.spec_from_file_location('claims', ROOT / 'benchmarks' / 'claims.py')
    claims = importlib.util.module_from_spec(spec); spec.loader.exec_module(claims)  # its Study: split, classifier, prompts
    from medart.checks import class_accuracy, colour_distance
    from medart.data import load_image
    from medart.generate import SamplerSettings, generate_set, read_generated
    from medart.models import PIXART_ALPHA
    from medart.train import TrainSettings, cached_latents, fit
    study = claims.Study(per_class=12, fid=False)
    P = study.params('pixart-alpha')
    captions = claims.caption_store(P, study.train)
    pipe, _ = PIXART_ALPHA.start('tiny', base=str(ROOT / P['models']['tiny_base']))
    size = P['train']['resolution']
    latents = cached_latents(pipe.vae, study.train, size, args.out / 'cache')
    pipe.transformer.requires_grad_(True); pipe.text_encoder.requires_grad_(False); pipe.vae.requires_grad_(False)
    t0 = time.perf_counter()
    conditions = [captions[r['sha256']] if args.captions == 'describe' else '' for r in study.train]
    settings = TrainSettings(steps=args.steps, seed=0, warmup_steps=min(100, args.steps // 10), batch_size=args.batch_size,
                             lr=1e-3, lr_schedule='cosine', max_grad_norm=0.0, caption_dropout=0.1, mixed_precision='no',
                             checkpoint_every=500, report_to='none')
    fit(pipe, conditions, latents, args.out / 'dit', settings, run_info=dict(stage='dit-ceiling', captions=args.captions))
    seconds = time.perf_counter() - t0
    pipe.transformer.eval()
    if args.save_base:  # the base's folder with this DiT in it: tokenizer, T5, VAE and scheduler unchanged
        import shutil
        shutil.copytree(ROOT / P['models']['tiny_base'], args.save_base, dirs_exist_ok=True)
        pipe.transformer.save_pretrained(args.save_base / 'transformer')
    folder = args.out / f'images-{args.steps}'
    generate_set(pipe, study.prompts(captions), folder, SamplerSettings(steps=P['generate']['steps'], cfg=P['generate']['cfg'],
                 batch_size=16), seed=P['seed'], progress=False)
    records = read_generated(folder)
    images, labels = [load_image(r['path'], study.image_size) for r in records], [r['label'] for r in records]
    acc = class_accuracy(study.classifier, images, labels)
    cd = colour_distance(images, labels, study.real, study.real_labels)
    print(json.dumps(dict(steps=args.steps, batch_size=args.batch_size, captions=args.captions, train_seconds=round(seconds), class_accuracy=round(acc['accuracy'], 3),
                          colour_distance=round(cd['mean'], 4), per_class={k: round(v, 2) for k, v in acc['per_class'].items()},
                          images=str(folder))))


if __name__ == '__main__':
    main()
