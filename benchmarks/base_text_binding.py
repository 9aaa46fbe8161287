"""Does a base that learnt more from its captions let LoRA bind the classes? Continue the tiny base's pretraining, with its T5
encoder trained or frozen, on synth-base with its own captions or the offline describer's, or on photograph-like images with
generic structures, and save it as a base for `benchmarks/claims.py --base`.

Run:  .venv/bin/python benchmarks/base_text_binding.py                       (1,000 steps, batch 32: ~8 min on 2 free cores)
      .venv/bin/python benchmarks/base_text_binding.py --t5 frozen           (the control: the same continued pretraining, T5 frozen)
      .venv/bin/python benchmarks/base_text_binding.py --t5 frozen --captions describe
                                                   (the same images captioned by the offline describer, the miniature's VLM)
      .venv/bin/python benchmarks/base_text_binding.py --t5 frozen --captions describe --images primitives --steps 1500
                                                   (synth-base with generic structures, captioned by the describer: ~9 min)
      .venv/bin/python benchmarks/base_text_binding.py --t5 frozen --captions describe --images primitives --n-images 12000 \\
          --steps 6000 --from runs/bench/base-primitives-t5-frozen/pipeline --out runs/bench/base-primitives-long   (~45 min)
      .venv/bin/python benchmarks/base_text_binding.py --steps 10 --out /tmp/binding-smoke
then  .venv/bin/python benchmarks/claims.py --presets pixart-alpha --seeds 1 --no-fid --base runs/bench/base-t5-trained/pipeline \\
          --out runs/claims-base-t5-trained --results results/base-t5-trained

The committed base (models.tiny_base, built by the base stage) trained its DiT with a frozen, randomly initialised T5, as
PixArt-α trains with a frozen T5 that was pretrained on text. A random T5 has never learnt which words matter, so fine-tuning's
LoRA must teach the text side the medical words from 1,280 captions; this continues the base's pretraining on the same
synth-base images (base.n_images, seed 0; AdamW lr 1e-3 with 100 warm-up steps and a cosine decay, caption dropout 0.1, as
the base stage) with every T5 weight trainable (--t5 trained) or frozen (--t5 frozen), resumable from --out.

--captions describe replaces synth-base's shape captions ('a red circle on a green background') by what the offline describer
(`medart.tiny.describe`, the VSG captioner of the tiny profile) writes about each image in its endoscopic grammar, opening
'A photograph': sizes, shapes, colour names, positions, dark openings, streaks and patches measured from the pixels. PixArt-α
itself was pretrained on captions a VLM (LLaVA) wrote about photographs, and Med-Art captions its medical images with a VLM of
the same kind; so the question is whether a base that learnt the captioner's words lets LoRA bind the medical captions to
structures. The words are the medical grammar's, 'mucosa' included (the describer calls the background so): a departure from
a real base's vocabulary, stated in results/base-primitives/README.md.

--images primitives paints generic structures of photographs (a dark hole with lines radiating from it, a ring around a dark
core, a blob with a core of another colour, a shaded dome with a highlight, spots, stains, radial creases, a fisheye frame;
`medart.tiny.structures.render_structures_image`) in any colour and place over synth-base's scenes, under half of its shapes, so
that the describer's words (opening, streaks, centre and rim, patches, positions) name structures the base sees. None is a
medical class. The two --images primitives runs above are what the base_structures stage now builds as the tiny profile's
default base (`medart.tiny.structures.pretrain_structures`, the same images, captions and training: runs/base-structures).
"""
import argparse, json, os, sys, time
from pathlib import Path

os.environ.setdefault('HF_HUB_OFFLINE', '1')
os.environ.setdefault('TRANSFORMERS_OFFLINE', '1')
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _shown(path):
    "`path` relative to the repository when it lies inside it (reports are committed), else as given."
    path = Path(path).resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--steps', type=int, default=1000, help='continued pretraining steps (default 1000)')
    ap.add_argument('--batch-size', type=int, default=32, help='images per step (default 32, as the base stage)')
    ap.add_argument('--t5', choices=['trained', 'frozen'], default='trained', help='train the T5 encoder with the DiT (default) or keep it frozen')
    ap.add_argument('--captions', choices=['shapes', 'describe'], default='shapes',
                    help="synth-base's own shape captions (default) or the offline describer's caption of each image")
    ap.add_argument('--images', choices=['synth-base', 'primitives'], default='synth-base',
                    help="synth-base's images (default) or synth-base with generic structures (holes, rings, cored blobs, "
                         "domes, radiating lines, spots; medart.tiny.structures), captioned by the describer")
    ap.add_argument('--n-images', type=int, help='images to pretrain on (default base.n_images)')
    ap.add_argument('--from', dest='start', type=Path, help='the saved pipeline to continue (default models.tiny_base, the committed base)')
    ap.add_argument('--out', type=Path, help='checkpoints and the saved pipeline (default runs/bench/base-t5-<t5>, '
                                             'runs/bench/base-describe-t5-<t5> with --captions describe, '
                                             'runs/bench/base-primitives-t5-<t5> with --images primitives)')
    args = ap.parse_args(argv)
    if args.images == 'primitives' and args.captions != 'describe': ap.error('--images primitives needs --captions describe (they have no shape captions)')
    out = args.out or ROOT / 'runs' / 'bench' / (f'base-t5-{args.t5}' if args.captions == 'shapes' else
                                                  f'base-describe-t5-{args.t5}' if args.images == 'synth-base' else f'base-primitives-t5-{args.t5}')
    os.chdir(ROOT)
    import torch
    from medart.config import load_params
    from medart.data import write_json_atomic
    from medart.models import PIXART_ALPHA
    from medart.stage_io import cpu_threads
    from medart.tiny.base import base_images
    from medart.tiny.structures import describer_captions, structures_images
    from medart.train import TrainSettings, encode_latents, fit
    torch.set_num_threads(cpu_threads())
    P = load_params(ROOT / 'params.yaml', profile='tiny')
    B, base = P['base'], args.start or P['models']['tiny_base']
    n_images = args.n_images or B['n_images']
    pipe, _ = PIXART_ALPHA.start('tiny', base=str(ROOT / base))
    if args.images == 'primitives':  # no shape captions to keep: render only the structure images
        images = structures_images(n_images, B['size'], 0)
    else:
        images, captions = base_images(n_images, B['size'], seed=0)  # the base stage's images (its seed is 0)
    if args.captions == 'describe': captions = describer_captions(images, out / 'captions.json')
    pipe.vae.requires_grad_(False)
    with torch.no_grad(): mean, std = encode_latents(pipe.vae, images)
    pipe.transformer.requires_grad_(True)
    pipe.text_encoder.requires_grad_(args.t5 == 'trained')
    t0 = time.perf_counter()
    settings = TrainSettings(steps=args.steps, seed=0, warmup_steps=min(B['warmup_steps'], args.steps // 10), batch_size=args.batch_size,
                             lr=B['dit_lr'], lr_schedule='cosine', max_grad_norm=0.0, caption_dropout=B['caption_dropout'],
                             mixed_precision='no', checkpoint_every=max(1, args.steps // 5), report_to='none')
    history = fit(pipe, captions, dict(mean=mean, std=std), out / 'fit', settings,
                  run_info=dict(stage='base-text-binding', t5=args.t5, base=str(base), **({} if args.captions == 'shapes' else dict(captions=args.captions)),
                                **({} if args.images == 'synth-base' else dict(images=args.images)),
                                **({} if n_images == B['n_images'] else dict(n_images=n_images))))
    seconds = time.perf_counter() - t0
    pipe.transformer.requires_grad_(False); pipe.text_encoder.requires_grad_(False)
    pipe.save_pretrained(out / 'pipeline')
    report = dict(steps=args.steps, batch_size=args.batch_size, t5=args.t5, captions=args.captions, images=args.images, n_images=n_images, from_base=str(base), train_seconds=round(seconds),
                  final_loss=round(sum(h['loss'] for h in history[-50:]) / max(1, len(history[-50:])), 4) if history else None,
                  pipeline=_shown(out / 'pipeline'))
    write_json_atomic(out / 'report.json', report)
    print(json.dumps(report))


if __name__ == '__main__':
    main()
