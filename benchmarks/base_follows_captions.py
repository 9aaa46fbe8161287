"""What does a tiny base draw for a caption? A figure of three rows: 8 held-out photograph-like images (synth-base with generic
structures, `medart.tiny.structures.render_structures_image`, indices 200000-200007), the base's images from the offline describer's
captions of them, and the base's images from one training caption per synth-endo class (describe captions, in class order).

Run:  .venv/bin/python benchmarks/base_follows_captions.py --base runs/base/pipeline --out results/base-primitives/follows-committed-base.png

A base that binds words to structures draws the first row again in the second; one that binds only colour words draws fields
of the named colour. It also prints (and writes beside the figure as JSON) how often what the describer measures in the base's
image agrees with what it measured in the held-out image the caption was written from, over --n held-out images: the
background colour name, the main region's colour name, whether a dark opening is there, and, when both have one, its
distance (in image widths); beside each, the same agreement for mismatched pairs (image i against the caption of i+1), the
chance level. DPM-Solver++ 20 steps, CFG 4.5 (the paper's sampling), seed 0; needs the study's caption stage
(runs/synth-endo/captions/describe.jsonl) for the third row. ~30 s on 2 cores.
"""
import argparse, json, os, sys
from pathlib import Path

os.environ.setdefault('HF_HUB_OFFLINE', '1')
os.environ.setdefault('TRANSFORMERS_OFFLINE', '1')
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT)); sys.path.insert(0, str(ROOT / 'benchmarks'))


def _attributes(image):
    "What the describer measures in an image: background and main-region colour names, the dark opening's centre or None."
    from medart.tiny.measure import measure
    m = measure(image, 64, endoscopic=True)
    le, op = m['lesion'], m['opening']
    return dict(background=m['tissue'], region=le['colours'][0]['name'] if le else None,
                opening=None if op is None else (op['x'], op['y']))


def caption_agreement(real, drawn):
    "Agreement of measured attributes between each held-out image and the base's image from its caption, and at chance."
    import numpy as np
    a, b = [_attributes(im) for im in real], [_attributes(im) for im in drawn]
    def scores(pairs):
        both = [(x['opening'], y['opening']) for x, y in pairs if x['opening'] and y['opening']]
        return dict(background=float(np.mean([x['background'] == y['background'] for x, y in pairs])),
                    region=float(np.mean([x['region'] == y['region'] for x, y in pairs])),
                    opening=float(np.mean([(x['opening'] is None) == (y['opening'] is None) for x, y in pairs])),
                    opening_distance=float(np.mean([np.hypot(p[0] - q[0], p[1] - q[1]) for p, q in both])) if both else None,
                    openings=int(sum(x['opening'] is not None for x, _ in pairs)))
    return dict(matched=scores(list(zip(a, b))), chance=scores(list(zip(a, b[1:] + b[:1]))),
                drawn_openings=int(sum(y['opening'] is not None for y in b)))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--base', type=Path, required=True, help='a saved tiny pipeline (e.g. runs/base/pipeline)')
    ap.add_argument('--out', type=Path, required=True, help='the PNG to write')
    ap.add_argument('--n', type=int, default=64, help='held-out images to score (default 64; the figure shows the first 8)')
    ap.add_argument('--captions', type=Path, default=ROOT / 'runs/synth-endo/captions/describe.jsonl', help='synth-endo caption store')
    args = ap.parse_args(argv)
    import numpy as np
    import torch
    from PIL import Image
    from medart.tiny.structures import render_structures_image
    from medart.config import PAPER_CFG, PAPER_SAMPLER_STEPS
    from medart.io import write_atomic, write_json_atomic
    from medart.models import PIXART_ALPHA
    from medart.sampling import decode_latents, text_latents
    from medart.stage_io import cpu_threads
    from medart.tiny.describe import describe
    torch.set_num_threads(cpu_threads())
    if not (args.base / 'model_index.json').exists():
        sys.exit(f"{args.base} holds no saved pipeline (model_index.json): pass a base such as runs/base/pipeline")
    if not args.captions.exists():
        sys.exit(f"{args.captions} is missing: run the study's caption stage first (dvc repro caption)")
    pipe, _ = PIXART_ALPHA.start('tiny', base=str(args.base))
    parts = dict(tokenizer=pipe.tokenizer, text_encoder=pipe.text_encoder, transformer=pipe.transformer, scheduler=pipe.scheduler)
    real = [render_structures_image(200000 + i, 64, 0) for i in range(max(8, args.n))]
    own = [describe(im, 'A photograph', 'endoscopic', 64) for im in real]
    medical, seen = [], set()
    for row in map(json.loads, args.captions.read_text().splitlines()):
        if row['label'] not in seen: seen.add(row['label']); medical.append(row['caption'])
    def draw(caps, seed):
        with torch.no_grad():
            lat = text_latents(parts, caps, torch.Generator().manual_seed(seed), steps=PAPER_SAMPLER_STEPS, cfg=PAPER_CFG)
            x = decode_latents(pipe.vae, lat)
        return [Image.fromarray((x[i].permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)) for i in range(len(caps))]
    drawn = [im for k in range(0, len(own), 16) for im in draw(own[k:k + 16], k)]
    rows = [real[:8], drawn[:8], draw(medical[:8], 0)]
    scores = caption_agreement(real, drawn)
    print(json.dumps(scores))
    write_json_atomic(args.out.with_suffix('.json'), dict(base=str(args.base), n=len(real), **scores))
    side = 64  # the images' own size: no resampling
    sheet = Image.new('RGB', (8 * side, len(rows) * side))
    for r, ims in enumerate(rows):
        for i, im in enumerate(ims): sheet.paste(im.resize((side, side), Image.BICUBIC), (i * side, r * side))
    write_atomic(args.out, lambda path: sheet.save(path, format='PNG', optimize=True))  # a killed run leaves no half figure
    print(f"wrote {args.out}: row 1 held-out images, row 2 the base from their describer captions, row 3 from synth-endo captions")


if __name__ == '__main__':
    main()
