"""Class accuracy, class colour distance and saturation of fine-tuned adapters at several CFG scales, side by side.

Run:  .venv/bin/python benchmarks/cfg_sweep.py runs/claims/med-art/seed0/adapter runs/claims/pixart-alpha/seed0/adapter
      .venv/bin/python benchmarks/cfg_sweep.py ADAPTER... --cfg 1 2 4.5 --per-class 8

Every adapter is loaded on the tiny base (models.tiny_base of params.yaml) and generates --per-class images per class from
training captions (drawn with numpy seed 0; the same captions and noise, seed 100, for every adapter and scale) with 20
DPM-Solver++ steps; the real-trained classifier (runs/synth-endo/real/classifier) labels them, and the class colour distance
(eq. 4) and mean saturation are measured against the real test split. Needs `dvc repro classify_real`. ~1 min per adapter and
scale on 2 cores.
"""
import argparse, os, sys
from pathlib import Path

os.environ.setdefault('HF_HUB_OFFLINE', '1')
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('adapters', nargs='+', type=Path, help='adapter folders (medart.lora.save_adapters)')
    ap.add_argument('--cfg', nargs='+', type=float, default=[1.0, 2.0, 4.5], help='guidance scales (default 1 2 4.5)')
    ap.add_argument('--per-class', type=int, default=8, help='images per class (default 8)')
    args = ap.parse_args(argv)
    import numpy as np
    from medart.captions import load_captions
    from medart.checks import class_accuracy, colour_distance
    from medart.classify import load_classifier
    from medart.config import PAPER_SAMPLER_STEPS, load_params
    from medart.data import load_image, read_split, split_files
    from medart.lora import load_adapters
    from medart.models import load_pixart
    from medart.registry import sample_images
    P = load_params(ROOT / 'params.yaml', dataset='synth-endo')
    split = read_split(ROOT / 'runs/synth-endo/split.json'); train, test = split_files(split, 'train'), split_files(split, 'test')
    caps = {k: r['caption'] for k, r in load_captions(ROOT / 'runs/synth-endo/captions/describe.jsonl').items()}
    rng = np.random.default_rng(0); prompts, labels = [], []
    for c in sorted({r['label'] for r in train}):
        recs = [r for r in train if r['label'] == c]
        for i in rng.choice(len(recs), min(args.per_class, len(recs)), replace=False): prompts.append(caps[recs[i]['sha256']]); labels.append(c)
    clf, _ = load_classifier(ROOT / 'runs/synth-endo/real/classifier')
    size = P['train']['resolution']
    real, real_labels = [load_image(r['path'], size) for r in test], [r['label'] for r in test]
    print('| adapter | CFG | class accuracy | colour distance | saturation |\n|---|---|---|---|---|')
    for a in args.adapters:
        pipe = load_pixart(ROOT / P['models']['tiny_base']); load_adapters(pipe, a)
        for cfg in args.cfg:
            ims = sample_images(pipe, prompts, steps=PAPER_SAMPLER_STEPS, cfg=cfg, seed=100)
            cd = colour_distance(ims, labels, real, real_labels)
            print(f"| {a} | {cfg:g} | {class_accuracy(clf, ims, labels)['accuracy']:.3f} | {cd['mean']:.3f} | {cd['saturation']:.2f} |", flush=True)


if __name__ == '__main__':
    main()
