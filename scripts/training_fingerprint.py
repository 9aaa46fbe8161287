"""Hashes of what training computes, to check that a change to the training code leaves it bit-identical (issue 30).

    python scripts/training_fingerprint.py > after.txt      # at a commit, then at another, and compare the two files

For each of the 6 model families, on a tiny pipeline of its real classes (the tiny base's VAE, runs/base/pipeline/vae):
`finetune` for 4 steps (batch 2, caption dropout 0.2, clipping at 1.0, a cosine rate; PixArt-α with HLDF every 2 steps,
M = K = 2), a checkpoint at step 2; then the last checkpoint is deleted and the run resumed on a fresh pipeline, as if it
had been killed after step 2. Then a plain `fit` of the whole DiT as the tiny base's pretraining calls it (warm-up,
cosine, caption dropout). Each line: the hash of the trained weights and of the loss log (step, loss, gradient norm,
colour loss), and whether the resumed run ended with the same weights. Takes about 2 minutes on 2 cores.
"""
import contextlib, csv, hashlib, io, json, shutil, sys, tempfile
from pathlib import Path

import torch
from diffusers import AutoencoderKL

from medart.baselines import build_tiny_baseline
from medart.config import default_params
from medart.tiny.families import build_tiny_pipeline
from medart.tiny.synth import SYNTH_SETS, render_image
from medart import train as T

FAMILIES = ('pixart-alpha', 'sd-v1-4', 'sd-v1-5', 'sdxl', 'hunyuan-dit', 'fast-dit')


def weights_hash(pipe) -> str:
    "A hash of the trainable (and LoRA) weights of the pipeline's denoiser and text encoders."
    h = hashlib.sha256()
    for c in ('transformer', 'unet', 'text_encoder', 'text_encoder_2'):
        m = getattr(pipe, c, None)
        if m is None: continue
        for n, p in sorted(m.named_parameters()):
            if p.requires_grad or 'lora' in n: h.update(n.encode()); h.update(p.detach().float().numpy().tobytes())
    return h.hexdigest()[:16]


def log_hash(folder: Path) -> str:
    "A hash of a run's loss.csv: step, loss, pre-clipping gradient norm and colour loss of every step."
    rows = [(r['step'], r['loss'], r['grad_norm'], r.get('colour_loss', '')) for r in csv.DictReader(open(folder / 'loss.csv'))]
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()[:16]


def main(root=Path('.')):
    torch.set_num_threads(1)
    tmp = Path(tempfile.mkdtemp())
    classes = SYNTH_SETS['synth-endo']['classes'][:2]
    records = []
    for c in classes:
        for i in range(4):
            p = tmp / 'img' / f'{c}_{i}.png'; p.parent.mkdir(exist_ok=True, parents=True); render_image('synth-endo', c, i).save(p)
            records.append(dict(path=str(p), sha256=f'{c}{i}', label=c))
    captions = {r['sha256']: f"An endoscopic image of {r['label'].replace('-', ' ')} number {i}" for i, r in enumerate(records)}
    vae = AutoencoderKL.from_pretrained(root / 'runs/base/pipeline/vae')
    tr = dict(default_params()['train'], resolution=64, batch_size=2, lr=1e-3, epochs=1, mixed_precision='no', checkpoint_every=2,
              report_to='none', validation_every=0, hldf_every=2, hldf_steps=2, hldf_backprop_last_k=2, caption_dropout=0.2,
              max_grad_norm=1.0, lr_schedule='cosine')
    for name in FAMILIES:
        make = (lambda: build_tiny_pipeline(seed=0)) if name == 'pixart-alpha' else (lambda: build_tiny_baseline(name, 0, 64, vae, classes))
        t, folder, out = dict(tr, hldf=name == 'pixart-alpha'), tmp / name, {}
        for kind in ('straight', 'resumed'):
            p = make()
            with contextlib.redirect_stdout(io.StringIO()):  # its notes (a baseline's own settings), not hashes
                T.finetune(p, records, captions, folder, t, seed=1, steps=4, progress=False)
            out[kind] = weights_hash(p), log_hash(folder)
            last = sorted((folder / 'checkpoints').glob('step_*'))[-1]  # killed after step 2: the last checkpoint gone
            shutil.rmtree(last) if last.is_dir() else last.unlink()
        print(name, *out['straight'], 'resume exact' if out['straight'][0] == out['resumed'][0] else 'RESUME DIFFERS', flush=True)
    pipe = build_tiny_pipeline(seed=0); pipe.text_encoder.requires_grad_(False); pipe.vae.requires_grad_(False)
    lat = T.cached_latents(pipe.vae, records, 64, tmp / 'cache')
    kw = dict(steps=4, batch_size=2, lr=1e-3, warmup_steps=1, lr_schedule='cosine', caption_dropout=0.1, seed=0, max_grad_norm=1.0,
              checkpoint_every=2)
    conditions = [captions[r['sha256']] for r in records]
    if hasattr(T, 'TrainSettings'):
        T.fit(pipe, conditions, lat, tmp / 'fit', T.TrainSettings(**kw, mixed_precision='no', report_to='none'), progress=False)
    else:  # before TrainSettings (up to 8ff675e)
        T.fit(pipe, conditions, lat, tmp / 'fit', progress=False, **kw)
    print('base-fit', weights_hash(pipe), log_hash(tmp / 'fit'))
    shutil.rmtree(tmp)


if __name__ == '__main__': main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path('.'))
