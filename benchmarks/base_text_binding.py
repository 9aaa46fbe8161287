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
`render_primitives_image`) in any colour and place over synth-base's scenes, under half of its shapes, so that the describer's
words (opening, streaks, centre and rim, patches, positions) name structures the base sees. None is a medical class.
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


def _any_colour(cv):
    "A photograph's colour: a named synth-base colour half the time, else any hue, brightness and saturation."
    from medart.tiny.synth_base import BASE_COLORS
    import numpy as np
    if cv.rng.random() < 0.5: return cv.jitter(BASE_COLORS[str(cv.rng.choice(list(BASE_COLORS)))], 0.08)
    return np.clip(cv.rng.uniform(0, 1, 3) ** cv.rng.uniform(0.5, 2.0), 0, 1).astype(np.float32)


def _paint_primitives(cv):
    """Generic structures of photographs, each in any colour at any place: a dark hole (a tunnel, a pipe's mouth) maybe with
    lines radiating from it, a ring, a blob with a core of another colour, a shaded dome with a highlight, scattered spots,
    patchy stains, radial creases, a dark round frame (a fisheye lens). None is a medical class; together they are the
    visual vocabulary the medical sets compose (in fixed colours) and the describer names."""
    import numpy as np
    rng = cv.rng
    hole = None
    if rng.random() < 0.25:  # radial creases converging on a point
        cx, cy = rng.uniform(-0.5, 0.5, 2)
        d, th = cv.polar(cx, cy)
        cv.shade(1 + rng.uniform(0.1, 0.3) * np.cos(rng.integers(5, 12) * th + cv.noise(3)) * np.clip(1 - d, 0, 1))
        hole = (cx, cy) if rng.random() < 0.7 else None
    if rng.random() < 0.25:  # patchy stains
        cv.paint(cv.soft(cv.noise(int(rng.integers(6, 14))) - rng.uniform(0.9, 1.6), 0.4), _any_colour(cv), rng.uniform(0.6, 0.95))
    if rng.random() < 0.3:  # a blob with a core of another colour
        cx, cy = rng.uniform(-0.5, 0.5, 2); r = rng.uniform(0.2, 0.45)
        cv.paint(cv.blob(cx, cy, r, wobble=rng.uniform(0, 0.35), aspect=rng.uniform(0.8, 1.25), edge=0.04)[0], _any_colour(cv))
        cv.paint(cv.blob(cx, cy, r * rng.uniform(0.4, 0.7), wobble=rng.uniform(0, 0.3), edge=0.04)[0], _any_colour(cv))
    if rng.random() < 0.25:  # a shaded dome with a highlight
        cx, cy = rng.uniform(-0.5, 0.5, 2); r = rng.uniform(0.12, 0.35)
        m, q = cv.blob(cx, cy, r, wobble=rng.uniform(0, 0.1), aspect=rng.uniform(0.8, 1.25), angle=rng.uniform(0, np.pi), edge=0.04)
        cv.paint(m, _any_colour(cv) * (0.6 + 0.5 * np.sqrt(np.clip(1 - q ** 2, 0, 1)))[..., None])
        cv.paint(cv.blob(cx - 0.3 * r, cy - 0.35 * r, 0.2 * r, edge=0.2 * r)[0], np.ones(3, np.float32), 0.85)
    if rng.random() < 0.2:  # a ring around a small dark core
        cx, cy = rng.uniform(-0.5, 0.5, 2); r = rng.uniform(0.06, 0.12); a = rng.uniform(0, np.pi); asp = rng.uniform(1, 1.7)
        cv.paint(cv.blob(cx, cy, r * 2.1, aspect=asp, angle=a, edge=0.05)[0], _any_colour(cv), 0.85)
        cv.paint(cv.blob(cx, cy, r, aspect=asp, angle=a, edge=0.03)[0], _any_colour(cv) * 0.4, 0.9)
    if hole is None and rng.random() < 0.4: hole = tuple(rng.uniform(-0.5, 0.5, 2))
    if hole is not None:  # a dark hole, the surface darkening towards it, maybe lines radiating from it
        cx, cy = hole
        if rng.random() < 0.5:
            segs = []
            for a in rng.uniform(0, 2 * np.pi, rng.integers(3, 9)):
                start = np.array([cx, cy]) + rng.uniform(0.1, 0.25) * np.array([np.cos(a), np.sin(a)])
                segs.append(cv.walk(start, 4, rng.uniform(0.08, 0.2), 0.15, heading=a))
            cv.paint(cv.lines(np.concatenate([p for p, _ in segs]), np.concatenate([q for _, q in segs]), rng.uniform(0.025, 0.06)),
                     _any_colour(cv), 0.9)
        m, q = cv.blob(cx, cy, rng.uniform(0.07, 0.18), wobble=rng.uniform(0, 0.15), aspect=rng.uniform(0.8, 1.4), edge=0.05)
        cv.shade(1 - rng.uniform(0, 0.4) * np.clip(1.6 - q * 0.45, 0, 1) ** 2)
        cv.paint(m, (0.05, 0.03, 0.03), 0.95)
    if rng.random() < 0.3:  # scattered spots
        cv.spots(int(rng.integers(3, 12)), (-0.8, 0.8, -0.8, 0.8), (0.02, 0.06), _any_colour(cv), 0.9)
    if rng.random() < 0.3:  # a dark round frame: a fisheye lens
        cv.shade(np.clip(1 - cv.soft(np.hypot(cv.x, cv.y) - rng.uniform(0.8, 1.0), 0.04), 0, 1) * 0.95 + 0.05)


def render_primitives_image(index, size=64, seed=0):
    "A synth-base image (background, its shapes) with generic photographic structures painted between background and shapes."
    import numpy as np
    from medart.tiny.canvas import Canvas
    from medart.tiny.synth_base import _base_spec, _draw_shape, _photo_background, base_class
    spec = _base_spec(base_class(index), index, seed)
    cv = Canvas(np.random.default_rng([spec['seed'], 1]), size)
    _photo_background(cv, spec['background'])
    _paint_primitives(cv)
    for s in spec['shapes'][::-1]:
        if cv.rng.random() < 0.5: _draw_shape(cv, s)  # half the shapes: the structures must not always hide under them
    cv.img += 0.01 * cv.noise(64)[..., None]
    return cv.to_pil()


def describer_captions(images, path, opening='A photograph'):
    "The offline describer's endoscopic-grammar caption of each [-1, 1] image, kept in `path` (written atomically) for a rerun."
    import numpy as np
    from PIL import Image
    from tqdm import tqdm
    from medart.data import write_json_atomic
    from medart.tiny.describe import DESCRIBE_VERSION, describe
    key = dict(n=len(images), opening=opening, describe_version=DESCRIBE_VERSION)
    if path.exists():
        kept = json.loads(path.read_text())
        if kept['key'] == key: return kept['captions']
    pixels = ((images.permute(0, 2, 3, 1).numpy() + 1) * 127.5).round().clip(0, 255).astype(np.uint8)
    captions = [describe(Image.fromarray(p), opening, 'endoscopic', p.shape[0]) for p in tqdm(pixels, desc='describing synth-base')]
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(path, dict(key=key, captions=captions))
    return captions


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--steps', type=int, default=1000, help='continued pretraining steps (default 1000)')
    ap.add_argument('--batch-size', type=int, default=32, help='images per step (default 32, as the base stage)')
    ap.add_argument('--t5', choices=['trained', 'frozen'], default='trained', help='train the T5 encoder with the DiT (default) or keep it frozen')
    ap.add_argument('--captions', choices=['shapes', 'describe'], default='shapes',
                    help="synth-base's own shape captions (default) or the offline describer's caption of each image")
    ap.add_argument('--images', choices=['synth-base', 'primitives'], default='synth-base',
                    help="synth-base's images (default) or synth-base with generic structures (holes, rings, cored blobs, "
                         "domes, radiating lines, spots; render_primitives_image), captioned by the describer")
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
    from medart.models import load_pipeline
    from medart.stage_io import cpu_threads
    from medart.tiny.base import base_images
    from medart.train import encode_latents, fit
    torch.set_num_threads(cpu_threads())
    P = load_params(ROOT / 'params.yaml', profile='tiny')
    B, base = P['base'], args.start or P['models']['tiny_base']
    n_images = args.n_images or B['n_images']
    pipe = load_pipeline('tiny', model=str(ROOT / base))
    if args.images == 'primitives':  # no shape captions to keep: render only the structure images
        from medart.tiny.base import to_tensor
        images = to_tensor([render_primitives_image(i, B['size'], 0) for i in range(n_images)])
    else:
        images, captions = base_images(n_images, B['size'], seed=0)  # the base stage's images (its seed is 0)
    if args.captions == 'describe': captions = describer_captions(images, out / 'captions.json')
    pipe.vae.requires_grad_(False)
    with torch.no_grad(): mean, std = encode_latents(pipe.vae, images)
    pipe.transformer.requires_grad_(True)
    pipe.text_encoder.requires_grad_(args.t5 == 'trained')
    t0 = time.perf_counter()
    history = fit(pipe, captions, dict(mean=mean, std=std), out / 'fit', steps=args.steps, batch_size=args.batch_size, lr=B['dit_lr'],
                  warmup_steps=min(B['warmup_steps'], args.steps // 10), lr_schedule='cosine', caption_dropout=B['caption_dropout'], seed=0,
                  checkpoint_every=max(1, args.steps // 5), progress=True,
                  settings=dict(stage='base-text-binding', t5=args.t5, base=str(base), **({} if args.captions == 'shapes' else dict(captions=args.captions)),
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
