"""Colour fidelity of HLDF: does truncated back-propagation (K=1) keep the colour benefit of the paper's K=M?

Run:  .venv/bin/python benchmarks/colour_fidelity.py             (tiny profile, CPU, ~15 minutes on 2 cores)
      .venv/bin/python benchmarks/colour_fidelity.py --help

Side by side in one run, from the same tiny pretrained base (runs/base/pipeline), on the same synth-endo split,
with the same describe captions, seed, data order and number of steps (the tiny profile's settings of params.yaml):

- `no HLDF`     LoRA fine-tuning with the diffusion loss only (the paper's "w/o HLDF", i.e. PixArt-alpha);
- `HLDF K=M`    plus the colour loss every N steps through all M solver steps (the paper);
- `HLDF K=1`    plus the colour loss with gradients through the last solver step only (DRaFT-1-style truncation);
- `base`        the base model before fine-tuning, for reference.

Each model generates `--per-class` images per class from training captions (the same captions and seeds for every
model). Colour fidelity per class is eq. 4 applied to the class's distribution instead of one image: over the three
channels, the squared gap between generated and real average per-channel mean, plus the same for the per-channel
standard deviation (images in [0, 1]). Lower is better; the script prints the per-class table, the mean over
classes, and each model's mean as a ratio to `no HLDF`, with the training time of each run.
"""
import argparse, json, os, sys, time
from pathlib import Path

os.environ.setdefault('HF_HUB_OFFLINE', '1')
os.environ.setdefault('HF_HUB_DISABLE_PROGRESS_BARS', '1')
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def class_colour_stats(images):
    "Average per-channel mean and std over `images` (B, 3, H, W) in [0, 1]: two (3,) tensors."
    from medart.hldf import colour_stats
    mean, std = colour_stats(images)
    return mean.mean(0), std.mean(0)


def colour_distance(generated, real):
    "Eq. 4 at the class level: sum over channels of squared gaps of the average per-channel mean and std."
    (mg, sg), (mr, sr) = class_colour_stats(generated), class_colour_stats(real)
    return float(((mg - mr) ** 2 + (sg - sr) ** 2).sum())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--steps', type=int, default=0, help='training steps per run (0: the tiny profile epochs)')
    ap.add_argument('--hldf-every', type=int, default=0, help='N (0: the tiny profile value)')
    ap.add_argument('--per-class', type=int, default=24, help='generated images per class per model')
    ap.add_argument('--images-per-class', type=int, default=100, help='synth-endo images per class (80 %% train)')
    ap.add_argument('--seeds', type=int, default=3, help='training seeds (0, 1, ...): the table averages over them')
    ap.add_argument('--out', default='runs/bench/colour', help='working folder (split, captions, adapters, results)')
    args = ap.parse_args()

    import numpy as np
    import torch
    from torchvision.transforms.functional import pil_to_tensor
    from medart.config import load_params
    from medart.data import DataSettings, prepare_split, split_files, get_dataset, load_image
    from medart.captions import caption_dataset, load_captions
    from medart.vsg import make_captioner
    from medart.models import PIXART_ALPHA
    from medart.registry import sample_images
    from medart.train import finetune
    from transformers import AutoTokenizer
    torch.set_num_threads(max(1, os.cpu_count() or 1))

    os.chdir(ROOT)
    P = load_params('params.yaml', profile='tiny', dataset='synth-endo')
    out = Path(args.out); out.mkdir(parents=True, exist_ok=True)
    manifest = prepare_split('synth-endo', out / 'split.json', DataSettings(synth_root=out / 'synth', synth_images_per_class=args.images_per_class, synth_size=P['synth']['size']), seed=0)
    records = split_files(manifest, 'train')
    spec = get_dataset('synth-endo')
    tok = AutoTokenizer.from_pretrained(P['models']['tiny_base'], subfolder='tokenizer')
    store = out / 'captions.jsonl'
    caption_dataset(records, spec, make_captioner('describe'), store, tok, progress=False)
    captions = {k: r['caption'] for k, r in load_captions(store).items()}

    # the same prompts and seeds for every model: per class, the first `per_class` training captions (cycled)
    prompts, labels = [], []
    for c in spec.classes:
        recs = [r for r in records if r['label'] == c]
        prompts += [captions[recs[i % len(recs)]['sha256']] for i in range(args.per_class)]; labels += [c] * args.per_class
    to_t = lambda ims: torch.stack([pil_to_tensor(im).float() / 255 for im in ims])
    real = {c: to_t([load_image(r['path'], P['train']['resolution']) for r in records if r['label'] == c]) for c in spec.classes}

    T0 = dict(P['train'], hldf_every=args.hldf_every or P['train']['hldf_every'])
    runs = {'no HLDF': dict(T0, hldf=False), 'HLDF K=M': dict(T0, hldf=True, hldf_backprop_last_k=T0['hldf_steps']),
            'HLDF K=1': dict(T0, hldf=True, hldf_backprop_last_k=1)}
    G = P['generate']
    per_seed, seconds = [], {n: 0.0 for n in runs}
    def score(pipe):
        gen = to_t(sample_images(pipe, prompts, steps=G['steps'], cfg=G['cfg'], seed=10_000))
        return {c: colour_distance(gen[[i for i, l in enumerate(labels) if l == c]], real[c]) for c in spec.classes}
    base = score(PIXART_ALPHA.start('tiny', base=P['models']['tiny_base'])[0])
    for seed in range(args.seeds):
        res = {'base': base}
        for name, T in runs.items():
            pipe, _ = PIXART_ALPHA.start('tiny', base=P['models']['tiny_base'])
            folder = out / f"seed{seed}" / name.replace(' ', '-').replace('=', '')
            t0 = time.perf_counter()
            rep = finetune(pipe, records, captions, folder, T, seed=seed, steps=args.steps or None, cache_dir=out / 'latents', progress=False)
            seconds[name] += time.perf_counter() - t0
            res[name] = score(pipe)
            print(f"seed {seed} {name}: {rep['steps']} steps, {rep['hldf_events']} HLDF events, {time.perf_counter() - t0:.0f} s, "
                  f"mean colour distance {np.mean(list(res[name].values())):.4f}", flush=True)
        per_seed.append(res)
    results = {n: {c: float(np.mean([r[n][c] for r in per_seed])) for c in spec.classes} for n in per_seed[0]}
    seed_means = {n: [float(np.mean(list(r[n].values()))) for r in per_seed] for n in per_seed[0]}
    names = list(results)
    w = max(len(c) for c in spec.classes)
    print(f"\nColour distance to the real class (eq. 4 on class averages; lower is better), {args.per_class} images per class, "
          f"averaged over {args.seeds} training seed(s)")
    print(f"{'class':<{w}}  " + "  ".join(f"{n:>9}" for n in names))
    for c in spec.classes: print(f"{c:<{w}}  " + "  ".join(f"{results[n][c]:9.4f}" for n in names))
    means = {n: sum(results[n].values()) / len(spec.classes) for n in names}
    print(f"{'mean':<{w}}  " + "  ".join(f"{means[n]:9.4f}" for n in names))
    print(f"{'seed spread':<{w}}  " + "  ".join(f"{np.std(seed_means[n]):9.4f}" for n in names) + "   (std of the mean over seeds)")
    ref = means['no HLDF']
    print(f"{'/ no HLDF':<{w}}  " + "  ".join(f"{means[n] / ref:9.2f}" for n in names))
    wins = {n: sum(results[n][c] < results['no HLDF'][c] for c in spec.classes) for n in runs if n != 'no HLDF'}
    print("classes where HLDF is closer than no HLDF: " + ", ".join(f"{n} {k}/{len(spec.classes)}" for n, k in wins.items()))
    seed_wins = {n: sum(a < b for a, b in zip(seed_means[n], seed_means['no HLDF'])) for n in runs if n != 'no HLDF'}
    print("seeds where HLDF is closer than no HLDF: " + ", ".join(f"{n} {k}/{args.seeds}" for n, k in seed_wins.items()))
    print("training time relative to no HLDF: " + ", ".join(f"{n} {seconds[n] / seconds['no HLDF']:.2f}x" for n in runs))
    (out / 'results.json').write_text(json.dumps(dict(per_class=results, mean=means, seed_means=seed_means, seconds=seconds,
                                                      args=vars(args)), indent=1))


if __name__ == '__main__':
    main()
