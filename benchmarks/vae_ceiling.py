"""How much of a dataset's class structure survives the tiny base's VAE: the ceiling of what generation can reach.

Run:  .venv/bin/python benchmarks/vae_ceiling.py [--base runs/base/pipeline] [--dataset synth-endo]

Encodes every real test image of the dataset with the base pipeline's VAE (latent mean) and decodes it, then measures,
side by side for the originals and the reconstructions: the real-trained classifier's accuracy (runs/<dataset>/real/
classifier, from `dvc repro classify_real`), PSNR, and the class colour distance (eq. 4 on class averages, medart.checks)
of the reconstructions to the originals. A fine-tuned DiT can at best produce what the VAE decodes, so the classifier's
accuracy on the reconstructions bounds the class accuracy of generated images. Writes a strip of originals over
reconstructions to --grid. To compare another base: `git show <commit>:runs/base/pipeline/...`, or `--base` any saved
pipeline folder.
"""
import argparse, json, os, sys
from pathlib import Path

os.environ.setdefault('HF_HUB_OFFLINE', '1')
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--base', default='runs/base/pipeline')
    ap.add_argument('--dataset', default='synth-endo')
    ap.add_argument('--grid', default='')
    args = ap.parse_args()
    import numpy as np
    import torch
    from PIL import Image
    from diffusers import AutoencoderKL
    from medart.tiny.base import psnr, reconstruct, to_tensor
    from medart.checks import class_accuracy, colour_distance
    from medart.classify import load_classifier
    from medart.data import load_image, read_split, split_files
    os.chdir(ROOT)
    test = split_files(read_split(f'runs/{args.dataset}/split.json'), 'test')
    vae = AutoencoderKL.from_pretrained(args.base, subfolder='vae').eval()
    size = vae.config.sample_size
    real = [load_image(r['path'], size) for r in test]
    labels = [r['label'] for r in test]
    x = to_tensor(real)
    rec = reconstruct(vae, x)
    recon = [Image.fromarray(((r.permute(1, 2, 0).numpy() + 1) * 127.5).round().clip(0, 255).astype(np.uint8)) for r in rec]
    clf, _ = load_classifier(f'runs/{args.dataset}/real/classifier')
    res = dict(base=args.base, dataset=args.dataset, images=len(real),
               accuracy_real=class_accuracy(clf, real, labels)['accuracy'],
               accuracy_reconstructed=class_accuracy(clf, recon, labels)['accuracy'],
               psnr_db=psnr(rec, x), colour_distance=colour_distance(recon, labels, real, labels)['mean'])
    print(json.dumps(res, indent=1))
    if args.grid:
        classes = list(dict.fromkeys(labels))
        g = Image.new('RGB', (size * len(classes), 2 * size))
        for k, c in enumerate(classes):
            i = labels.index(c)
            g.paste(real[i], (size * k, 0)); g.paste(recon[i], (size * k, size))
        g.save(args.grid)


if __name__ == '__main__':
    main()
