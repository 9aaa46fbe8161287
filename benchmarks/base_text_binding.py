"""Does a base whose text encoder learnt to read captions let LoRA bind the classes? Continue the tiny base's pretraining on
synth-base (its own images and captions) with the T5 encoder trained together with the DiT, and save it as a base for
`benchmarks/claims.py --base`.

Run:  .venv/bin/python benchmarks/base_text_binding.py                       (1,000 steps, batch 32: ~8 min on 2 free cores)
      .venv/bin/python benchmarks/base_text_binding.py --t5 frozen           (the control: the same continued pretraining, T5 frozen)
      .venv/bin/python benchmarks/base_text_binding.py --steps 10 --out /tmp/binding-smoke
then  .venv/bin/python benchmarks/claims.py --presets pixart-alpha --seeds 1 --no-fid --base runs/bench/base-t5-trained/pipeline \\
          --out runs/claims-base-t5-trained --results results/base-t5-trained

The committed base (models.tiny_base, built by the base stage) trained its DiT with a frozen, randomly initialised T5, as
PixArt-α trains with a frozen T5 that was pretrained on text. A random T5 has never learnt which words matter, so fine-tuning's
LoRA must teach the text side the medical words from 1,280 captions; this continues the base's pretraining on the same
synth-base images (base.n_images, seed 0; AdamW lr 1e-3 with 100 warm-up steps and a cosine decay, caption dropout 0.1, as
the base stage) with every T5 weight trainable (--t5 trained) or frozen (--t5 frozen), resumable from --out.
"""
import argparse, json, os, sys, time
from pathlib import Path

os.environ.setdefault('HF_HUB_OFFLINE', '1')
os.environ.setdefault('TRANSFORMERS_OFFLINE', '1')
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--steps', type=int, default=1000, help='continued pretraining steps (default 1000)')
    ap.add_argument('--batch-size', type=int, default=32, help='images per step (default 32, as the base stage)')
    ap.add_argument('--t5', choices=['trained', 'frozen'], default='trained', help='train the T5 encoder with the DiT (default) or keep it frozen')
    ap.add_argument('--out', type=Path, help='checkpoints and the saved pipeline (default runs/bench/base-t5-<trained|frozen>)')
    args = ap.parse_args(argv)
    out = args.out or ROOT / 'runs' / 'bench' / f'base-t5-{args.t5}'
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
    B, base = P['base'], P['models']['tiny_base']
    pipe = load_pipeline('tiny', model=str(ROOT / base))
    images, captions = base_images(B['n_images'], B['size'], seed=0)  # the base stage's images (its seed is 0)
    pipe.vae.requires_grad_(False)
    with torch.no_grad(): mean, std = encode_latents(pipe.vae, images)
    pipe.transformer.requires_grad_(True)
    pipe.text_encoder.requires_grad_(args.t5 == 'trained')
    t0 = time.perf_counter()
    history = fit(pipe, captions, dict(mean=mean, std=std), out / 'fit', steps=args.steps, batch_size=args.batch_size, lr=B['dit_lr'],
                  warmup_steps=min(B['warmup_steps'], args.steps // 10), lr_schedule='cosine', caption_dropout=B['caption_dropout'], seed=0,
                  checkpoint_every=max(1, args.steps // 5), settings=dict(stage='base-text-binding', t5=args.t5, base=str(base)), progress=True)
    seconds = time.perf_counter() - t0
    pipe.transformer.requires_grad_(False); pipe.text_encoder.requires_grad_(False)
    pipe.save_pretrained(out / 'pipeline')
    report = dict(steps=args.steps, batch_size=args.batch_size, t5=args.t5, from_base=str(base), train_seconds=round(seconds),
                  final_loss=round(sum(h['loss'] for h in history[-50:]) / max(1, len(history[-50:])), 4) if history else None,
                  pipeline=str(out / 'pipeline'))
    write_json_atomic(out / 'report.json', report)
    print(json.dumps(report))


if __name__ == '__main__':
    main()
