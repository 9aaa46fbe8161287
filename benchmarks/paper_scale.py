"""The full profile at the paper's scale, without the paper's weights: every model the full profile loads is built at its real
size from its published configuration (medart.real) with random weights, saved as a local model folder, and the full profile's
own stage notebooks run on them (profile: full; models.pixart, caption.model_id, caption.simplify_model_id, classify.model_id
and evaluate.domain_model pointing at those folders) on a small Kvasir-layout dataset, with counts reduced by overrides.

Run:  .venv/bin/python benchmarks/paper_scale.py                 the dry run on the CPU (about an hour on 2 cores; make paper-scale)
      .venv/bin/python benchmarks/paper_scale.py --smoke         the same path at the real widths with one layer, 64 px (3 minutes)
      .venv/bin/python benchmarks/paper_scale.py --device cuda   the GPU benchmark (PixArt-alpha at full size in bf16, M = 20:
                                                                  s per plain step and per HLDF event, K = M and K = 1, peak memory)

Stages, in dvc.yaml's order: prepare -> caption -> train (med-art: a plain step, then a step with an HLDF event) -> generate ->
classify (real) -> evaluate -> classify (med-art) -> report. Each runs as dvc.yaml runs it (papermill, its own kernel;
medart.stage_io.run_stage_notebook), and its wall time and peak resident memory are measured. After the stages, a benchmark on the
same model folder (medart.train.fit with the HLDF hook, as the train stage runs it) measures what the HLDF event costs with K = 1,
and single forward passes give the per-step and per-layer costs the extrapolations use. Everything lands in --results (JSON and a
markdown table); the model folders and the runs in --out (not in git).
"""
from __future__ import annotations

import argparse, json, os, platform, shutil, statistics, sys, time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the repository's medart, also when not installed
from medart.config import PAPER_CFG, PAPER_MAX_TOKENS, PAPER_MIN_TOKENS, PAPER_SAMPLER_STEPS
os.environ.setdefault('HF_HUB_DISABLE_PROGRESS_BARS', '1')

GIB = 2 ** 30


@dataclass(frozen=True)
class Scale:
    "How large a run is: the data's counts, the models' depths (None = the real depth) and the stages' reduced counts."
    name: str
    classes: tuple = ('polyps', 'esophagitis')  # Kvasir class folders with images (data.allow_empty_classes: the other 6 are empty)
    per_class: int = 4            # images per class; data.test_fraction 0.5: 2 train + 2 test (the smallest set every metric runs on)
    image_size: int = 576         # side of the JPEGs (Kvasir's are 576-1920 px wide; 512 is the training resolution)
    resolution: int = 512         # train.resolution
    dit_layers: int | None = None     # PixArt-alpha's DiT: 28
    t5_layers: int | None = None      # T5 v1.1 XXL: 24
    vae_layers: int | None = None     # the SD VAE's layers per block: 2
    llava_layers: dict = field(default_factory=lambda: {'text_config.num_hidden_layers': 1})  # the VLM: Llama-3 32, CLIP 24
    llava_tile: int = 336
    small_layers: int | None = None   # T5-base (12 + 12) and the ViT-B/16 networks (12)
    qwen: bool = False                # also caption with Qwen2-VL (med-art-second-vlm's captioner)
    qwen_max_pixels: int | None = None
    weights_dtype: str = 'bfloat16'   # dtype the VLMs are saved in (the hub's: bf16/fp16; the caption stage runs them in fp32 on a CPU)
    mixed_precision: str = 'no'       # train.mixed_precision
    max_tokens: int = PAPER_MAX_TOKENS  # train.max_tokens, caption.max_tokens
    hldf_steps: int = 2               # M of the train stage
    steps: int = 2                    # training steps: a plain step, then a step with an HLDF event (hldf_every = steps)
    max_new_tokens: int = 16          # caption.max_new_tokens (the paper's authors: 150)
    generate_steps: int = 1
    n_eval: int = 2                   # generate.eval_images (one per class)
    tile: bool = False                # fill weights by repeating one random block (fast; the tests)
    threads: int = 2
    probes: bool = True               # per-step and per-layer timings and the K = 1 event after the stages
    checkpointing: bool = True        # train.gradient_checkpointing: without it the DiT's fp32 activations at 512 px overflow 24 GB

    def depths(self) -> dict:
        "The depth of every model at this scale, and the real one."
        from medart.real import real_config
        llava = real_config('llava-next-8b', self.llava_layers)
        return {'pixart DiT': (self.dit_layers or 28, 28), 'T5 v1.1 XXL': (self.t5_layers or 24, 24),
                'SD VAE (layers per block)': (self.vae_layers or 2, 2),
                'LLaVA-NeXT Llama-3': (llava['text_config']['num_hidden_layers'], 32),
                'LLaVA-NeXT CLIP ViT-L/14': (llava['vision_config']['num_hidden_layers'], 24),
                'T5-base (encoder, decoder)': (self.small_layers or 12, 12), 'ViT-B/16': (self.small_layers or 12, 12)}


SCALES = {
    # the dry run: the DiT and the VAE at full depth and 512 px; T5 v1.1 XXL and the VLM's Llama-3 shortened (results/paper-scale/README.md)
    'dry-run': Scale('dry-run', t5_layers=2),
    # CI: every model at its real widths with one layer, 64-px images (Qwen2-VL at one layer: nbs/04e_real.ipynb)
    'smoke': Scale('smoke', image_size=80, resolution=64, dit_layers=1, t5_layers=1, vae_layers=1,
                   llava_layers={'text_config.num_hidden_layers': 1, 'vision_config.num_hidden_layers': 1}, llava_tile=112,
                   small_layers=1, max_tokens=32, max_new_tokens=8, tile=True, probes=False),
}


def model_folders(out: Path) -> dict:
    "Where each model folder goes under `out`."
    m = out / 'models'
    return dict(pixart=m / 'pixart-xl-2-512x512', llava=m / 'llama3-llava-next-8b', qwen=m / 'qwen2-vl-7b', t5_base=m / 't5-base',
                vit=m / 'vit-base-patch16-224-in21k', domain=m / 'kvasir-v2-classifier')


def _saved(folder: Path, build, **info) -> dict:
    "Build with `build()` -> (objects to save_pretrained, parameter count); save into `folder`; the build record."
    import gc
    shutil.rmtree(folder, ignore_errors=True)
    t0 = time.perf_counter()
    objects, params = build()
    built = time.perf_counter() - t0
    for o in objects: o.save_pretrained(folder)
    size = sum(f.stat().st_size for f in folder.rglob('*') if f.is_file())
    del objects; gc.collect()
    return dict(folder=str(folder), parameters=params, build_s=round(built, 1), save_s=round(time.perf_counter() - t0 - built, 1),
                folder_gib=round(size / GIB, 2), **info)


def save_models(out: Path, scale: Scale) -> dict:
    "Build every model of the full profile at `scale` with random weights and save it as the local folder the stages load."
    import torch
    from medart.classify import build_classifier, save_classifier
    from medart.data import DATASETS
    from medart.real import build_model, real_llava_next, real_pixart, real_qwen2_vl, real_t5_base
    f, small, t = model_folders(out), scale.small_layers, scale.tile
    vlm_dtype = getattr(torch, scale.weights_dtype)
    n = lambda *ms: sum(p.numel() for m in ms for p in m.parameters())
    def pixart():
        pipe = real_pixart(scale.dit_layers, scale.t5_layers, None if scale.resolution == 512 else scale.resolution // 8,
                           torch.bfloat16, tile=t, vae_layers=scale.vae_layers)
        return [pipe], {c: n(getattr(pipe, c)) for c in ('transformer', 'text_encoder', 'vae')}
    def llava():
        model, proc = real_llava_next(scale.llava_layers, vlm_dtype, tile=t, tile_size=scale.llava_tile)
        return [model, proc], n(model)
    def qwen():
        model, proc = real_qwen2_vl(1, vlm_dtype, tile=t, max_pixels=scale.qwen_max_pixels)
        return [model, proc], n(model)
    def t5_base():
        model, tok = real_t5_base(small, tile=t)
        return [model, tok], n(model)
    def vit():
        model = build_model('vit-b-16', small, tile=t)
        return [model], n(model)
    records = dict(pixart=_saved(f['pixart'], pixart, dtypes='T5 bf16, DiT and VAE fp32 (as published)'),
                   llava=_saved(f['llava'], llava, dtypes=scale.weights_dtype),
                   t5_base=_saved(f['t5_base'], t5_base), vit=_saved(f['vit'], vit))
    if scale.qwen: records['qwen'] = _saved(f['qwen'], qwen, dtypes=scale.weights_dtype)
    def domain():  # the paper's KFD: a ViT-B/16 classifier of Kvasir's 8 classes with its input recipe (medart.metrics)
        model = build_classifier(str(f['vit']), DATASETS['kvasir'].classes, image_size=224)
        return [], (save_classifier(model, f['domain']), n(model))[1]
    records['domain'] = _saved(f['domain'], domain)
    return records


def make_dataset(root: Path, scale: Scale) -> Path:
    "A Kvasir-layout folder `root/kvasir/<class>/*.jpg`: the procedural endoscopy-like images (medart.tiny.synth) at `scale.image_size`."
    from medart.tiny.synth import render_image
    shutil.rmtree(root / 'kvasir', ignore_errors=True)
    for c in scale.classes:
        (root / 'kvasir' / c).mkdir(parents=True)
        for i in range(scale.per_class):
            render_image('synth-endo', c, i, size=scale.image_size).save(root / 'kvasir' / c / f'{i:03d}.jpg', quality=92)
    return root / 'kvasir'


def write_params(out: Path, scale: Scale) -> Path:
    "The study's params.yaml with profile: full and this run's model folders, data and reduced counts (every other value is the paper's)."
    import yaml
    from medart.config import read_yaml
    from medart.inception import converted_path
    f = model_folders(out)
    p = read_yaml((ROOT / 'params.yaml').read_text())
    p.update(profile='full', datasets=['kvasir'], methods=['med-art'])
    p['data'].update(root=str(out / 'data'), synth_root=str(out / 'synth'), test_fraction=0.5, allow_empty_classes=True)
    p['models'].update(pixart=str(f['pixart']))
    p['caption'].update(model_id=str(f['llava']), simplify_model_id=str(f['t5_base']), max_new_tokens=scale.max_new_tokens,
                        max_retries=0, max_tokens=scale.max_tokens, min_tokens=min(PAPER_MIN_TOKENS, scale.max_tokens - 8))
    p['train'].update(resolution=scale.resolution, mixed_precision=scale.mixed_precision, hldf_every=scale.steps,
                      hldf_steps=scale.hldf_steps, max_tokens=scale.max_tokens, gradient_checkpointing=scale.checkpointing)
    p['generate'].update(steps=scale.generate_steps, seeds=1, eval_images=scale.n_eval, train_images_per_class=1)
    p['evaluate'].update(inception_weights=str(converted_path()), domain_model=str(f['domain']))
    p['classify'].update(model_id=str(f['vit']), epochs=1)
    path = out / 'params.yaml'
    path.write_text(yaml.safe_dump(p, sort_keys=False))
    return path


def stage_list(scale: Scale, out: Path) -> list[tuple[str, str, dict]]:
    "(name, notebook, papermill parameters) of every stage run, in dvc.yaml's order."
    stages = [('prepare', 'prepare', {}), ('caption', 'caption', {})]
    if scale.qwen: stages.append(('caption qwen2-vl', 'caption', dict(backend='qwen2-vl', model_id=model_folders(out)['qwen'])))
    return stages + [('train', 'train', dict(method='med-art', steps=scale.steps)), ('generate', 'generate', dict(method='med-art')),
                     ('classify real', 'classify', dict(method='real')), ('evaluate', 'evaluate', dict(method='med-art')),
                     ('classify', 'classify', dict(method='med-art')), ('report', 'report', {})]


def run_stages(out: Path, scale: Scale, params: Path, log=print, start: str | None = None) -> dict:
    "Run every stage notebook of `stage_list` (from the stage named `start`) as dvc.yaml does; each one's wall time and peak RSS."
    from medart.stage_io import run_stage_notebook
    env = dict(os.environ, HF_HUB_OFFLINE='1', TRANSFORMERS_OFFLINE='1', OMP_NUM_THREADS=str(scale.threads),
               PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")
    common = dict(params_path=params, runs_dir=out / 'runs', dataset='kvasir')
    results, stages = {}, stage_list(scale, out)
    if start: stages = stages[[n for n, _, _ in stages].index(start):]
    for name, nb, extra in stages:
        executed = out / 'notebooks' / f"{name.replace(' ', '-')}.ipynb"
        results[name] = run_stage_notebook(ROOT / 'nbs' / f'{nb}.ipynb', executed, cwd=ROOT, env=env, timeout=3600, **common, **extra)
        log(f"{name}: {results[name]['seconds']} s, peak RSS {results[name]['peak_rss_gib']} GiB")
        done = json.loads((out / 'stages.json').read_text()) if (out / 'stages.json').exists() else {}
        (out / 'stages.json').write_text(json.dumps(done | {name: results[name]}, indent=1))  # what --from-stage starts from
    return results


# ---------------------------------------------------------------------------------------------------------------------------
# measurements beside the stages: the training benchmark (also the GPU benchmark), per-step and per-layer costs

def _reset_peak(device: str):
    "Start a new peak-memory window: CUDA's allocator statistics, or (CPU, Linux) the process's VmHWM."
    import torch
    if device.startswith('cuda'): torch.cuda.synchronize(); torch.cuda.reset_peak_memory_stats(); return
    try: Path('/proc/self/clear_refs').write_text('5')
    except OSError: pass

def _peak_gib(device: str) -> float:
    "Peak memory since `_reset_peak`: torch.cuda.max_memory_allocated, or the process's VmHWM (CPU)."
    import torch
    if device.startswith('cuda'): return round(torch.cuda.max_memory_allocated() / GIB, 2)
    from medart.stage_io import _high_water_mark
    return round(_high_water_mark(os.getpid()) / GIB, 2)

def bench_images(folder: Path, n: int, size: int) -> list[dict]:
    "`n` training records (path, label, sha256) of procedural endoscopy-like JPEGs at `size` px, for the HLDF colour loss."
    from medart.data import sha256_of
    from medart.tiny.synth import render_image
    folder.mkdir(parents=True, exist_ok=True)
    records = []
    for i in range(n):
        path = folder / f'{i}.jpg'
        render_image('synth-endo', 'polyps', i, size=size).save(path, quality=92)
        records.append(dict(path=str(path), label='polyps', sha256=sha256_of(path)))
    return records

CAPTION = ("An endoscopic image of polyps, predominantly reddish with speckles of white. They are rounded and sessile, surrounded by a "
           "pinkish mucosa. The surface texture appears smooth and moist. There is no active bleeding evident in the image. The "
           "surrounding mucosa is pink and glossy, with blood vessels visible near the upper left corner of the image.")

def load_for_training(device: str, mixed_precision: str, folder=None, scale: Scale | None = None):
    "PixArt-alpha in the dtype the train stage loads it in (medart.families.weight_dtype), from `folder` or built at `scale` (real size: None), LoRA in."
    import torch
    from medart.families import weight_dtype
    from medart.lora import add_lora
    from medart.models import load_pixart
    from medart.real import real_pixart
    dtype = weight_dtype(mixed_precision)
    if folder is not None: pipe = load_pixart(str(folder), dtype=dtype, device=device)
    else:
        s = scale or SCALES['dry-run']
        pipe = real_pixart(s.dit_layers, s.t5_layers, None if s.resolution == 512 else s.resolution // 8, dtype, tile=s.tile,
                           vae_layers=s.vae_layers).to(device=device, dtype=dtype)
    summary = add_lora(pipe)  # the paper's targets, rank 8 (medart.lora's med-art preset)
    return pipe, summary

def bench_settings(steps: int, mixed_precision: str, max_tokens: int):
    "The timed runs' training settings: the train stage's (SCHEMA's defaults: batch 1, clipping at 1.0), no tracker, no checkpoint but the last."
    from medart.train import TrainSettings
    return TrainSettings(steps=steps, mixed_precision=mixed_precision, max_tokens=max_tokens, report_to='none', checkpoint_every=10 ** 6)


def bench_training(pipe, device: str, mixed_precision: str, out: Path, hldf_steps: int = PAPER_SAMPLER_STEPS,
                   ks=(PAPER_SAMPLER_STEPS, 1), plain_steps: int = 3, resolution: int = 512,
                   max_tokens: int = PAPER_MAX_TOKENS, warmup: bool = True, checkpointing: bool = False) -> dict:
    """Seconds per plain training step and per HLDF event (M = `hldf_steps`, each K in `ks`), and peak memory, as the train stage
    trains: medart.train.fit with medart.train.hldf_hook, batch 1. Each K: `plain_steps` plain steps, then one with an event;
    `warmup`: first a plain step and an event (K = 1) unmeasured (allocations, kernel selection); `checkpointing`: train.gradient_checkpointing."""
    from medart.train import enable_gradient_checkpointing, fit, hldf_hook
    import torch
    if checkpointing: enable_gradient_checkpointing(pipe)
    records = bench_images(out / 'images', 2, resolution)
    s = resolution // 8
    g = torch.Generator().manual_seed(0)
    latents = dict(mean=torch.randn(2, 4, s, s, generator=g) * 0.5, std=torch.full((2, 4, s, s), 0.05))
    if warmup:
        train = dict(hldf_every=2, hldf_steps=hldf_steps, hldf_cfg=PAPER_CFG, hldf_weight=None, hldf_reduction='sum', hldf_backprop_last_k=1,
                     max_tokens=max_tokens)
        fit(pipe, [CAPTION] * 2, latents, out / 'warmup', bench_settings(2, mixed_precision, max_tokens),
            extra_loss=hldf_hook(pipe, records, train, resolution), resume=False, progress=False)
    rows = {}
    for k in ks:
        train = dict(hldf_every=plain_steps + 1, hldf_steps=hldf_steps, hldf_cfg=PAPER_CFG, hldf_weight=None, hldf_reduction='sum',
                     hldf_backprop_last_k=k, max_tokens=max_tokens)
        _reset_peak(device)
        t0 = time.perf_counter()
        history = fit(pipe, [CAPTION] * 2, latents, out / f'k{k}', bench_settings(plain_steps + 1, mixed_precision, max_tokens),
                      extra_loss=hldf_hook(pipe, records, train, resolution), resume=False, progress=False)
        wall = time.perf_counter() - t0
        ends = [float(h['seconds']) for h in history]
        durations = [b - a for a, b in zip([0.0] + ends, ends)]
        plain = statistics.median(durations[1:plain_steps] or durations[:1])  # the first step warms up (allocations, kernels)
        rows[f'K={k}'] = dict(M=hldf_steps, K=k, plain_step_s=round(plain, 3), event_s=round(durations[-1] - plain, 3),
                              event_forward_s=round(float(history[-1]['hldf_forward_s']), 3), step_durations_s=[round(d, 3) for d in durations],
                              peak_gib=_peak_gib(device), wall_s=round(wall, 1))
    return rows

def _timed(fn, repeats: int = 1) -> float:
    "The fastest of `repeats` runs of `fn()` after none (the models here are too large to run twice for a warm-up on a CPU)."
    best = float('inf')
    for _ in range(repeats):
        t0 = time.perf_counter(); fn(); best = min(best, time.perf_counter() - t0)
    return best

def probe_dit_step(pipe, device: str, mixed_precision: str) -> dict:
    "Seconds of one guided DiT forward (batch 2: CFG's unconditional and conditional halves), as one step of the sampler without gradients, and of one VAE decode."
    import torch
    from medart.sampling import decode_latents
    tr = pipe.transformer
    s, dtype = tr.config.sample_size, next(tr.parameters()).dtype
    x = torch.randn(2, tr.config.in_channels, s, s, device=device, dtype=dtype)
    emb = torch.randn(2, PAPER_MAX_TOKENS, tr.config.caption_channels, device=device, dtype=dtype)
    mask, t = torch.ones(2, PAPER_MAX_TOKENS, device=device), torch.tensor([500, 500], device=device)
    amp = torch.autocast(device.split(':')[0], dtype=torch.bfloat16, enabled=mixed_precision == 'bf16')
    def step():
        with torch.no_grad(), amp:
            tr(x, encoder_hidden_states=emb, encoder_attention_mask=mask, timestep=t, added_cond_kwargs={'resolution': None, 'aspect_ratio': None})
        if device.startswith('cuda'): torch.cuda.synchronize()
    def decode():
        with torch.no_grad(), amp: decode_latents(pipe.vae, x[:1].float())
        if device.startswith('cuda'): torch.cuda.synchronize()
    repeats = 3 if device.startswith('cuda') else 1
    return dict(guided_dit_forward_s=round(_timed(step, repeats), 3), vae_decode_s=round(_timed(decode, repeats), 3))

def probe_t5_layers(depths=(1, 3), tokens: int = PAPER_MAX_TOKENS) -> dict:
    "Seconds of one T5 v1.1 XXL encode of one caption, forward and forward + backward, at two depths (fp32, CPU): the cost of a layer."
    import gc, torch
    from medart.real import build_model
    ids = torch.randint(3, 1400, (1, tokens))
    res = {}
    for d in depths:
        t5 = build_model('t5-v1_1-xxl', d, torch.float32, tile=True).requires_grad_(False)
        emb = t5.get_input_embeddings()
        def fwd():
            with torch.no_grad(): t5(input_ids=ids)
        def fwd_bwd():  # gradients through every layer, as LoRA on T5 needs (the adapters' own weight gradients are small)
            x = emb(ids).detach().requires_grad_()
            t5(inputs_embeds=x).last_hidden_state.float().square().mean().backward()
        res[d] = (_timed(fwd, 2), _timed(fwd_bwd, 2))  # the faster of two: the first pays one-off costs
        del t5, emb; gc.collect()
    (d1, (f1, b1)), (d2, (f2, b2)) = sorted(res.items())
    return dict(depths=list(depths), forward_s={d: round(v[0], 2) for d, v in res.items()}, forward_backward_s={d: round(v[1], 2) for d, v in res.items()},
                layer_forward_s=round((f2 - f1) / (d2 - d1), 3), layer_forward_backward_s=round((b2 - b1) / (d2 - d1), 3))

def probe_vlm_layers(folder: Path, image, new_tokens: int = 8) -> dict:
    """Seconds of one layer of the VLM's Llama-3 (its real width, fp32) over the prompt of `image` (prefill: the anyres tiles' tokens
    and the VSG prompt, as the caption stage sends them) and per answer token after it, and of the 128k-token head per token: what the
    layers the dry run's VLM lacks would add (medart.real; the saved folder's processor makes the prompt)."""
    import torch, transformers
    from medart.real import real_config
    from medart.vsg import VLMCaptioner
    proc = transformers.LlavaNextProcessor.from_pretrained(folder)
    text = proc.apply_chat_template(VLMCaptioner.messages('An endoscopic image of polyps. Please describe the image.'), add_generation_prompt=True)
    n = int(proc(images=[image], text=[text], return_tensors='pt')['input_ids'].shape[1])
    cfg = real_config('llava-next-8b')['text_config']
    config = transformers.LlamaConfig(**{k: v for k, v in cfg.items() if k != 'model_type'} | dict(num_hidden_layers=1, vocab_size=8, pad_token_id=0))
    layer = transformers.LlamaModel(config).eval()
    head = torch.nn.Linear(cfg['hidden_size'], cfg['vocab_size'], bias=False)
    g = torch.Generator().manual_seed(0)
    x, step = torch.randn(1, n, cfg['hidden_size'], generator=g), torch.randn(1, 1, cfg['hidden_size'], generator=g)
    with torch.no_grad():
        layer(inputs_embeds=x[:, :16])  # warm-up: the first call pays one-off costs
        t0 = time.perf_counter(); cache = layer(inputs_embeds=x, use_cache=True).past_key_values; prefill = time.perf_counter() - t0
        t0 = time.perf_counter()
        for _ in range(new_tokens): cache = layer(inputs_embeds=step, past_key_values=cache, use_cache=True).past_key_values
        token = (time.perf_counter() - t0) / new_tokens
        head_s = _timed(lambda: head(step), 3)
    return dict(prompt_tokens=n, layer_prefill_s=round(prefill, 2), layer_token_s=round(token, 4), head_token_s=round(head_s, 4))

def _rss() -> int:
    "Resident bytes of this process now (VmRSS)."
    return next(int(l.split()[1]) * 1024 for l in open('/proc/self/status') if l.startswith('VmRSS:'))

def activation_peak(kind: str, depth: int = 2, resolution: int = 512) -> float:
    """GiB one backward pass keeps beyond the weights (fp32, CPU; the VmHWM over the RSS before it), without gradient checkpointing:
    'dit', the DiT at `depth` with LoRA (the paper's targets, rank 8) on CFG's batch of 2; 'vae', the frozen VAE decoding one image with
    gradients to its latents (an HLDF event's decode). Run it in a fresh process (`probe_activation_memory`)."""
    import gc, torch
    from peft import LoraConfig, inject_adapter_in_model
    from medart.lora import dit_targets
    from medart.real import build_model
    s = resolution // 8
    if kind == 'dit':
        model = build_model('pixart-transformer', depth, torch.float32, tile=True).requires_grad_(False)
        inject_adapter_in_model(LoraConfig(r=8, lora_alpha=8, target_modules=dit_targets(model)), model)
        for n, p in model.named_parameters(): p.requires_grad_('lora_' in n)
        x, emb = torch.randn(2, 4, s, s), torch.randn(2, PAPER_MAX_TOKENS, 4096)
        run = lambda: model(x, encoder_hidden_states=emb, encoder_attention_mask=torch.ones(2, PAPER_MAX_TOKENS),
                            timestep=torch.tensor([500, 500]),
                            added_cond_kwargs={'resolution': None, 'aspect_ratio': None}).sample.float().square().mean().backward()
    else:
        model = build_model('pixart-vae', None, torch.float32, tile=True).requires_grad_(False)
        z = torch.randn(1, 4, s, s, requires_grad=True)
        run = lambda: model.decode(z / model.config.scaling_factor).sample.float().square().mean().backward()
    gc.collect(); _reset_peak('cpu'); before = _rss()
    run()
    return round(_peak_gib('cpu') - before / GIB, 3)

def probe_activation_memory(resolution: int = 512, depths=(2, 4)) -> dict:
    "`activation_peak` of the DiT at two depths (extrapolated to its 28 layers) and of the VAE decode, each in a fresh process (freed memory goes back to the OS)."
    import subprocess
    def child(kind, depth):
        code = f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); import paper_scale; print(paper_scale.activation_peak({kind!r}, {depth}, {resolution}))"
        r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=ROOT,
                           env=dict(os.environ, MALLOC_MMAP_THRESHOLD_='65536', OMP_NUM_THREADS=os.environ.get('OMP_NUM_THREADS', '2')))
        if r.returncode: raise RuntimeError(f"activation_peak({kind!r}, {depth}) failed:\n{r.stderr[-2000:]}")
        return float(r.stdout.strip().splitlines()[-1])
    dit = {d: child('dit', d) for d in depths}
    (d1, m1), (d2, m2) = sorted(dit.items())
    per_layer = (m2 - m1) / (d2 - d1)
    return dict(dit_gib=dit, dit_layer_batch2_gib=round(per_layer, 3), dit_28_layers_batch2_gib=round(m1 + (28 - d1) * per_layer, 1),
                vae_decode_backward_gib=round(child('vae', 0), 2))

def probe_precision() -> dict:
    """GFLOPS of this CPU's three kinds of product in fp32 and bf16 (the best of 3, 2 threads' worth): a linear layer (4096 x 4096 on
    1024 tokens), a batched matrix product (attention's, 16 x 1024 x 64) and a 3x3 convolution (128 channels, 128 px): why the dry run
    computes in fp32 on a CPU without native bf16."""
    import torch
    import torch.nn.functional as F
    g, res = torch.Generator().manual_seed(0), {}
    for dt in (torch.float32, torch.bfloat16):
        x, w = torch.randn(1024, 4096, generator=g).to(dt), torch.randn(4096, 4096, generator=g).to(dt)
        q = torch.randn(16, 1024, 64, generator=g).to(dt)
        conv, im = torch.nn.Conv2d(128, 128, 3, padding=1).to(dt), torch.randn(1, 128, 128, 128, generator=g).to(dt)
        with torch.no_grad():
            for name, fn, flops in [('linear', lambda: F.linear(x, w), 2 * 1024 * 4096 ** 2), ('bmm', lambda: torch.bmm(q, q.transpose(1, 2)), 2 * 16 * 1024 ** 2 * 64),
                                    ('conv3x3', lambda: conv(im), 2 * 128 * 128 * 9 * 128 * 128)]:
                fn()
                res[f'{name}_{str(dt).split(".")[1]}_gflops'] = round(flops / _timed(fn, 3) / 1e9, 2)
    return res

def import_base_gib() -> float:
    "Peak RSS of a Python process that imports what a stage kernel imports (torch, diffusers, transformers, medart's training code)."
    import subprocess
    code = ("import torch, diffusers, transformers, accelerate, peft, medart.train, medart.models\n"
            "print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM:')][0])")
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=ROOT)
    return round(int(r.stdout.strip().splitlines()[-1]) * 1024 / GIB, 2) if r.returncode == 0 and r.stdout.strip() else 0.0

def probe_simplifier(folder: Path) -> dict:
    "Seconds of one T5-base 'simplify:' answer to a 200-token caption (beam 4, up to 160 tokens: medart.captions.T5Simplifier's defaults)."
    from medart.captions import load_simplifier
    simplifier = load_simplifier(str(folder))
    text = ' '.join([CAPTION] * 3)
    return dict(caption_tokens=len(simplifier.tokenizer(text).input_ids), simplify_s=round(_timed(lambda: simplifier([text])), 2))


# ---------------------------------------------------------------------------------------------------------------------------
# what the stages wrote, the parameter counts, the extrapolations

def train_timings(out: Path) -> dict:
    "The train stage's own clock (loss.csv): seconds of its plain step and of its step with an HLDF event, and the event's forward part."
    import csv
    rows = list(csv.DictReader(open(out / 'runs' / 'kvasir' / 'med-art' / 'loss.csv')))
    ends = [float(r['seconds']) for r in rows]
    durations = [b - a for a, b in zip([0.0] + ends, ends)]
    plain = [d for d, r in zip(durations, rows) if not r['extra_loss']]
    events = [(d, r) for d, r in zip(durations, rows) if r['extra_loss']]
    if not plain or not events: raise RuntimeError(f"{out}: the train stage ran no plain step or no HLDF event: {rows}")
    report = json.loads((out / 'runs' / 'kvasir' / 'med-art' / 'train.json').read_text())
    lora = json.loads((out / 'runs' / 'kvasir' / 'med-art' / 'adapter' / 'medart_lora.json').read_text())['components']
    p = statistics.mean(plain)
    return dict(plain_step_s=round(p, 2), event_s=round(events[0][0] - p, 2), event_forward_s=round(float(events[0][1]['hldf_forward_s']), 2),
                step_durations_s=[round(d, 2) for d in durations], stage_train_s=report['seconds'], hldf_events=report['hldf_events'],
                lora={c: dict(modules=v['n_targets'], trainable=v['adapter_params'], total=v['base_params']) for c, v in lora.items()})

def parameter_table(scale: Scale) -> dict:
    "Total and LoRA-trainable parameters (rank 8, the paper's targets) of every model, at its real depth and at this run's, counted on the meta device."
    from medart.lora import dit_targets, expected_lora_params, t5_targets
    from medart.real import meta_model
    lora = {'pixart-transformer': dit_targets, 't5-v1_1-xxl': t5_targets}
    rows = {}
    for name, depth in [('pixart-transformer', scale.dit_layers), ('t5-v1_1-xxl', scale.t5_layers), ('pixart-vae', scale.vae_layers),
                        ('llava-next-8b', scale.llava_layers), ('qwen2-vl-7b', 1 if scale.qwen else None), ('t5-base', scale.small_layers),
                        ('vit-b-16', scale.small_layers)]:
        for label, layers in [('real', None), ('this run', depth)]:
            m = meta_model(name, layers)
            row = dict(total=sum(p.numel() for p in m.parameters()))
            if name in lora: row['lora_rank8'] = expected_lora_params(m, lora[name](m), 8)
            rows.setdefault(name, {})[label] = row
    return rows

def run_probes(out: Path, scale: Scale, log=print) -> dict:
    "The measurements beside the stages, on the same model folders: the K = 1 event, a sampler step, a T5 and a VLM layer, the simplifier."
    import gc, torch
    from PIL import Image
    torch.set_num_threads(scale.threads)
    f, probes = model_folders(out), {}
    pipe, _ = load_for_training('cpu', scale.mixed_precision, folder=f['pixart'])
    probes['hldf_k1'] = bench_training(pipe, 'cpu', scale.mixed_precision, out / 'bench', hldf_steps=scale.hldf_steps, ks=(1,),
                                       plain_steps=1, resolution=scale.resolution, max_tokens=scale.max_tokens, warmup=False,
                                       checkpointing=scale.checkpointing)['K=1']
    log(f"benchmark, K=1: {probes['hldf_k1']}")
    probes['sampler'] = probe_dit_step(pipe, 'cpu', scale.mixed_precision); log(f"sampler step: {probes['sampler']}")
    del pipe; gc.collect()
    probes['t5_layer'] = probe_t5_layers((1, 3)); log(f"T5 layer: {probes['t5_layer']}")
    image = Image.open(next((out / 'data' / 'kvasir' / scale.classes[0]).glob('*.jpg'))).convert('RGB')
    probes['vlm_layer'] = probe_vlm_layers(f['llava'], image); log(f"VLM layer: {probes['vlm_layer']}")
    probes['simplifier'] = probe_simplifier(f['t5_base']); log(f"simplifier: {probes['simplifier']}")
    probes['import_base_gib'] = import_base_gib()
    probes['precision'] = probe_precision(); log(f"precision: {probes['precision']}")
    probes['activations'] = probe_activation_memory(scale.resolution); log(f"activation memory: {probes['activations']}")
    return probes

def extrapolate(record: dict, M: int = PAPER_SAMPLER_STEPS, N: int = 500) -> dict:
    """The paper's settings from this run's measurements, on this machine: T5 v1.1 XXL at 24 layers (its measured cost per layer), an
    HLDF event at M = 20 with K = M and K = 1 (event(M, K) = C + M f + K r: f a sampler step, r its recompute and backward, C the rest),
    the overhead of one event per N steps, and the VLM's caption at 32 layers (its measured cost per layer)."""
    s, t, p = record['scale'], record['train'], record['probes']
    M0, d = s['hldf_steps'], s['t5_layers'] or 24
    t5 = (24 - d) * p['t5_layer']['layer_forward_backward_s']         # a caption's encode with gradients, the layers the run lacked
    plain = t['plain_step_s'] + t5
    e_mm, e_m1 = t['event_s'] + 2 * t5, p['hldf_k1']['event_s'] + 2 * t5  # an event encodes the caption and the empty prompt
    f = p['sampler']['guided_dit_forward_s']
    r = (e_mm - e_m1) / max(M0 - 1, 1)
    C = e_m1 - M0 * f - r
    events = {f'K={k}': C + M * f + k * r for k in (M, 1)}
    v, c, tokens = p['vlm_layer'], record['captions'], 150  # the paper's authors' max_new_tokens
    d, n = c['text_layers'], c['new_tokens']
    per_token = lambda layers: v['head_token_s'] + layers * v['layer_token_s']
    caption = c['seconds_per_image'] + (32 - d) * v['layer_prefill_s'] + tokens * per_token(32) - n * per_token(d)
    return dict(plain_step_s=round(plain, 1), sampler_step_s=f, step_backward_s=round(r, 1), event_rest_s=round(C, 1),
                **{f'event_M{M}_{k}_s': round(e, 1) for k, e in events.items()},
                **{f'event_M{M}_{k}_in_plain_steps': round(e / plain, 1) for k, e in events.items()},
                **{f'overhead_N{N}_{k}': round(e / (N * plain), 3) for k, e in events.items()},
                caption_image_s=round(caption, 0), caption_prefill_32_layers_s=round(32 * v['layer_prefill_s'], 0),
                caption_token_32_layers_s=round(per_token(32), 2))

def gpu_memory_estimate(record: dict) -> dict:
    """GPU memory of training at the paper's settings (batch 1, 512 px, bf16 weights, an HLDF event with M = 20, K = M), from this CPU
    run's measurements: the weights in bf16; the fp32 LoRA with its gradients and AdamW's two moments (16 bytes a parameter); and the
    activations one backward keeps, measured in fp32 and halved for bf16. Without gradient checkpointing (the default) that is the larger
    of a DiT step's on CFG's batch of 2 (28 layers, from two depths) and the VAE decode's, HLDF's solver steps being checkpointed one at a
    time; with `train.gradient_checkpointing`, what the train stage's peak held beyond its fp32 weights and a kernel's imports. T5's
    activations for the two encodes come from their shapes (120 tokens, ~15 saved tensors a layer); 1.5 GB is left for the CUDA context."""
    par, st, p = record['parameters'], record['stages'], record['probes']
    real = lambda n: par[n]['real']['total']
    weights = 2 * sum(real(n) for n in ('pixart-transformer', 't5-v1_1-xxl', 'pixart-vae')) / GIB
    lora = 16 * (par['pixart-transformer']['real']['lora_rank8'] + par['t5-v1_1-xxl']['real']['lora_rank8']) / GIB
    t5 = 2 * 24 * PAPER_MAX_TOKENS * (12 * 4096 + 3 * 10240) * 2 / GIB
    a = p['activations']
    plain = max(a['dit_28_layers_batch2_gib'], a['vae_decode_backward_gib']) / 2 + t5
    used = lambda n: par[n]['this run']['total']
    held = st['train']['peak_rss_gib'] - 4 * sum(used(n) for n in ('pixart-transformer', 't5-v1_1-xxl', 'pixart-vae')) / GIB - p['import_base_gib']
    ckpt = held / 2 + t5
    total, total_ckpt = weights + lora + plain, weights + lora + ckpt
    return dict(weights_bf16_gib=round(weights, 1), lora_adam_gib=round(lora, 2), t5_activations_gib=round(t5, 2),
                dit_step_batch2_fp32_gib=a['dit_28_layers_batch2_gib'], vae_decode_backward_fp32_gib=a['vae_decode_backward_gib'],
                activations_bf16_gib=round(plain, 1), total_gib=round(total, 1),
                checkpointed_activations_fp32_gib=round(held, 1), total_checkpointed_gib=round(total_ckpt, 1),
                fits_40gb=total + 1.5 < 40, fits_80gb=total + 1.5 < 80)


# ---------------------------------------------------------------------------------------------------------------------------
# the report and the command line

def _m(n): return f"{n / 1e6:,.1f} M" if n < 1e9 else f"{n / 1e9:,.3f} B"

def markdown(record: dict) -> str:
    "The run's tables in markdown: stages (time, peak memory), models (depths, parameters), training, extrapolations."
    s, lines = record['scale'], [f"# Paper-scale dry run ({record['scale']['name']})", '',
                                 f"`{record['command']}` on {record['machine']}, {record['date']}; total {record['total_s'] / 60:.1f} min "
                                 f"(building the model folders {record['build_s'] / 60:.1f} min).", '',
                                 '| stage | wall time (s) | peak RSS (GiB) |', '|---|---:|---:|']
    lines += [f"| {k} | {v['seconds']:.0f} | {v['peak_rss_gib']:.1f} |" for k, v in record['stages'].items()]
    lines += ['', '| model | depth here (real) | parameters here | parameters real | LoRA r 8 here | LoRA r 8 real |', '|---|---|---:|---:|---:|---:|']
    depths = record['depths']
    for name, row in record['parameters'].items():
        lo = lambda k: _m(row[k]['lora_rank8']) if 'lora_rank8' in row[k] else ''
        lines.append(f"| {name} | {depths.get(name, '')} | {_m(row['this run']['total'])} | {_m(row['real']['total'])} | {lo('this run')} | {lo('real')} |")
    t = record['train']
    lines += ['', f"Train stage (M = {s['hldf_steps']}, K = M, {s['resolution']} px, batch 1, train.mixed_precision '{s['mixed_precision']}'): "
              f"plain step {t['plain_step_s']} s, HLDF event {t['event_s']} s (its forward {t['event_forward_s']} s), "
              f"an event = {t['event_s'] / t['plain_step_s']:.1f} plain steps; trainable: "
              + ', '.join(f"{c} {_m(v['trainable'])} of {_m(v['total'])} ({v['modules']} modules)" for c, v in t['lora'].items()) + '.']
    if record.get('probes'):
        p = record['probes']
        lines += ['', f"Beside the stages: HLDF event with K = 1 {p['hldf_k1']['event_s']} s (benchmark, peak {p['hldf_k1']['peak_gib']} GiB); "
                  f"one guided DiT step (batch 2) {p['sampler']['guided_dit_forward_s']} s, a VAE decode {p['sampler']['vae_decode_s']} s; "
                  f"a T5 v1.1 XXL layer {p['t5_layer']['layer_forward_backward_s']} s forward + backward ({p['t5_layer']['layer_forward_s']} s forward); "
                  f"a Llama-3 layer of the VLM {p['vlm_layer']['layer_prefill_s']} s of prefill ({p['vlm_layer']['prompt_tokens']} prompt tokens) and "
                  f"{p['vlm_layer']['layer_token_s']} s per answer token, its 128k-token head {p['vlm_layer']['head_token_s']} s per token; "
                  f"the caption stage {record['captions']['seconds_per_image']} s per image; T5-base simplifies a {p['simplifier']['caption_tokens']}-token caption "
                  f"in {p['simplifier']['simplify_s']} s."]
    if record.get('probes', {}).get('precision'):
        lines += ['', "This CPU's products, GFLOPS (fp32, bf16): " + ', '.join(f"{k} {v}" for k, v in record['probes']['precision'].items()) + '.']
    for title, key in [('Extrapolated to the paper\'s settings on this machine', 'estimates'), ('GPU memory estimate', 'gpu_memory')]:
        if record.get(key): lines += ['', f"{title}: " + ', '.join(f"{k} {v}" for k, v in record[key].items()) + '.']
    return '\n'.join(lines) + '\n'

def machine() -> str:
    import torch
    cpu = next((l.split(':', 1)[1].strip() for l in Path('/proc/cpuinfo').read_text().splitlines() if l.startswith('model name')), platform.processor()) \
        if Path('/proc/cpuinfo').exists() else platform.processor()
    mem = os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / GIB if hasattr(os, 'sysconf') else 0
    return f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB, torch {torch.__version__} ({torch.backends.cpu.get_cpu_capability()})"

def dry_run(scale: Scale, out: Path, results: Path, command: str, log=print, start: str | None = None) -> dict:
    """Build the model folders, make the data, run every stage, measure beside them; write `results`/paper-scale.json and .md.
    `start`: reuse the model folders, data and earlier stages' outputs of a previous run in `out` and run from that stage on."""
    t0 = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    record = dict(scale=asdict(scale), command=command, machine=machine(), date=time.strftime('%Y-%m-%d %H:%M'),
                  depths={k: f"{a} ({b})" for k, (a, b) in scale.depths().items()})
    previous = json.loads((out / 'record.json').read_text()) if start and (out / 'record.json').exists() else {}
    if start: record.update(models=previous.get('models'), build_s=previous.get('build_s'))
    else:
        for old in ('runs', 'notebooks'): shutil.rmtree(out / old, ignore_errors=True)  # a new run: no caption store or checkpoint resumed
        (out / 'stages.json').unlink(missing_ok=True)
        record['models'] = save_models(out, scale)
        record['build_s'] = round(time.perf_counter() - t0, 1)
        make_dataset(out / 'data', scale)
        (out / 'record.json').write_text(json.dumps(record, indent=1, default=str))
    log(f"model folders: {json.dumps(record['models'], indent=1)}")
    run_stages(out, scale, write_params(out, scale), log, start)
    record['stages'] = json.loads((out / 'stages.json').read_text())  # this run's, and (--from-stage) the earlier stages' of the last run
    record['train'], record['parameters'] = train_timings(out), parameter_table(scale)
    cap = json.loads((out / 'runs' / 'kvasir' / 'caption.json').read_text())['llava-next']
    record['captions'] = dict(images=cap['captioned'], seconds=cap['seconds'], seconds_per_image=round(cap['seconds'] / max(cap['captioned'], 1), 1),
                              text_layers=scale.llava_layers.get('text_config.num_hidden_layers', 32), new_tokens=scale.max_new_tokens,
                              dtype=cap['dtype'], fallback=cap['report']['fallback'])
    record['depths'] = {'pixart-transformer': f"{scale.dit_layers or 28} (28)", 't5-v1_1-xxl': f"{scale.t5_layers or 24} (24)",
                        'pixart-vae': f"{scale.vae_layers or 2} (2) per block", 'llava-next-8b': record['depths']['LLaVA-NeXT Llama-3']
                        + ' Llama-3, ' + record['depths']['LLaVA-NeXT CLIP ViT-L/14'] + ' CLIP', 't5-base': record['depths']['T5-base (encoder, decoder)'],
                        'vit-b-16': record['depths']['ViT-B/16'], 'qwen2-vl-7b': '1 (28)' if scale.qwen else 'not run (28)'}
    if scale.probes:
        record['probes'] = run_probes(out, scale, log)
        record['estimates'], record['gpu_memory'] = extrapolate(record), gpu_memory_estimate(record)
    record['total_s'] = round(time.perf_counter() - t0, 1)
    results.mkdir(parents=True, exist_ok=True)
    (results / 'paper-scale.json').write_text(json.dumps(record, indent=1, default=str) + '\n')
    (results / 'paper-scale.md').write_text(markdown(record))
    return record

def gpu_benchmark(device: str, out: Path, results: Path, hldf_steps: int, scale: Scale, command: str, log=print, folder=None,
                  plain_steps: int = 3, warmup: bool = True) -> dict:
    """The GPU benchmark: PixArt-alpha built at `scale` (default: the real size: DiT 28 layers, T5 v1.1 XXL 24; or loaded from `folder`)
    in bf16 on `device` (a CPU: the scale's mixed precision), LoRA in, then seconds per plain step and per HLDF event (M = `hldf_steps`;
    K = M and K = 1), peak memory, the overhead of an event every 500 steps."""
    import torch
    t0 = time.perf_counter()
    mp = 'bf16' if device.startswith('cuda') else scale.mixed_precision
    pipe, lora = load_for_training(device, mp, folder=folder, scale=scale)
    log(f"built in {time.perf_counter() - t0:.0f} s; trainable: {json.dumps(lora)}")
    rows = bench_training(pipe, device, mp, out / 'bench', hldf_steps=hldf_steps, ks=(hldf_steps, 1), plain_steps=plain_steps,
                          resolution=scale.resolution, max_tokens=scale.max_tokens, warmup=warmup, checkpointing=scale.checkpointing)
    name = torch.cuda.get_device_name(device) if device.startswith('cuda') else machine()
    plain = statistics.median(r['plain_step_s'] for r in rows.values())
    record = dict(command=command, device=name, date=time.strftime('%Y-%m-%d %H:%M'), mixed_precision=mp, scale=asdict(scale),
                  trainable=lora, runs=rows, sampler=probe_dit_step(pipe, device, mp), plain_step_s=plain,
                  **{f'overhead_N500_{k}': round(r['event_s'] / (500 * plain), 3) for k, r in rows.items()},
                  **{f'event_in_plain_steps_{k}': round(r['event_s'] / plain, 1) for k, r in rows.items()},
                  paper="A100, 512 px, batch 1: HLDF every 500 steps added 9 % (12 h 14 min -> 13 h 20 min) on Kvasir",
                  total_s=round(time.perf_counter() - t0, 1))
    results.mkdir(parents=True, exist_ok=True)
    tag = 'gpu' if device.startswith('cuda') else 'cpu'
    (results / f'benchmark-{tag}.json').write_text(json.dumps(record, indent=1, default=str) + '\n')
    return record

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument('--smoke', action='store_true', help='real widths with one layer, 64 px (what tests/test_paper_scale.py runs)')
    ap.add_argument('--device', default=None, help='cuda: the GPU benchmark only (M = 20); cpu with --bench: the benchmark on the CPU')
    ap.add_argument('--bench', action='store_true', help='the training benchmark only (implied by --device cuda)')
    ap.add_argument('--hldf-steps', type=int, default=None, help='M of the benchmark (default: 20 on a GPU, the scale\'s on a CPU)')
    ap.add_argument('--out', default=str(ROOT / 'runs' / 'paper-scale'), help='model folders, data and runs (large; not in git)')
    ap.add_argument('--from-stage', default=None, help='reuse the model folders and earlier stages of a previous run in --out, e.g. generate')
    ap.add_argument('--results', default=None, help='where the JSON and markdown go (default: results/paper-scale; smoke: <out>/results)')
    a = ap.parse_args(argv)
    scale = SCALES['smoke' if a.smoke else 'dry-run']
    out = Path(a.out)
    results = Path(a.results or (out / 'results' if a.smoke else ROOT / 'results' / 'paper-scale'))
    command = 'python benchmarks/paper_scale.py ' + ' '.join(argv if argv is not None else sys.argv[1:])
    if a.device and a.device.startswith('cuda') or a.bench:
        device = a.device or 'cpu'
        if device.startswith('cuda') and not a.smoke: scale = replace(scale, t5_layers=None)  # everything at its real size
        M = a.hldf_steps or (20 if device.startswith('cuda') else scale.hldf_steps)
        rec = gpu_benchmark(device, out, results, M, scale, command)
    else: rec = dry_run(scale, out, results, command, start=a.from_stage)
    print(json.dumps({k: v for k, v in rec.items() if k not in ('models', 'parameters')}, indent=1, default=str))
    return rec

if __name__ == '__main__': main()
