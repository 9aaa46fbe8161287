"""What one HLDF event costs, in plain training steps, and how much memory it needs.

Run:  .venv/bin/python benchmarks/hldf_cost.py            (tiny model, CPU, 2-3 minutes)
      .venv/bin/python benchmarks/hldf_cost.py --json results/hldf-cost/hldf-cost.json   (also write what it measured)
      .venv/bin/python benchmarks/hldf_cost.py --help

Everything is measured side by side in one run on the same tiny PixArt-alpha (models.build_tiny_pipeline),
with rank-8 LoRA on the DiT (attention q/k/v/out + feed-forward of every block) and the T5 (q/k/v/o,
wi_0/wi_1/wo), only LoRA trainable, batch 2, as in training:

- plain step: the latent diffusion loss (cached latents, T5 encoding with gradients, uniform t, epsilon
  MSE on the non-sigma half of the DiT output), forward + backward + AdamW step;
- HLDF event: `medart.hldf.hldf_loss` (encode -> M-step DPM-Solver++ with CFG -> VAE decode -> colour loss)
  forward + backward, i.e. what an event adds to its step; for K = M (the paper) and K = 1, each with and
  without per-step gradient checkpointing.

Time: the fastest of `--repeats` runs (other processes on a shared machine only ever slow a run down),
configurations interleaved (each repeat runs every configuration once), after one warm-up each; one
torch thread (the tiny model gains little from more, and timings stay steadier on a shared machine).
Memory: one fresh subprocess per configuration (two at a time, after the timings). After a warm-up run
of the op, the process's peak RSS (VmHWM) is reset by writing 5 to /proc/self/clear_refs, the RSS before
the op is read (VmRSS), the op runs once, and the extra memory is VmHWM - that RSS: the steady-state peak
of a repeated op (a first HLDF event leaves ~12 MiB with the allocator, which a warm-up of 2 solver steps
would count as extra). glibc's mmap threshold is fixed at 64 KiB (MALLOC_MMAP_THRESHOLD_), so that freed
tensors go back to the OS and RSS tracks live memory. Linux only (skipped elsewhere).
"""
import argparse, json, os, statistics, subprocess, sys, time
from pathlib import Path

os.environ.setdefault('HF_HUB_OFFLINE', '1')
os.environ.setdefault('HF_HUB_DISABLE_PROGRESS_BARS', '1')
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo's medart, also when not installed
from medart.config import PAPER_CFG, PAPER_SAMPLER_STEPS

PAPER = ("paper (A100, PixArt-XL 512 px, batch 1): HLDF every N=500 steps added 9 % to training time "
         "(12h14m -> 13h20m), i.e. one event ~ 0.09 x 500 = 45 plain steps")


def configs(steps):
    return {'hldf K=M ckpt': dict(backprop_last_k=steps, checkpoint=True),
            'hldf K=M no-ckpt': dict(backprop_last_k=steps, checkpoint=False),
            'hldf K=1 ckpt': dict(backprop_last_k=1, checkpoint=True),
            'hldf K=1 no-ckpt': dict(backprop_last_k=1, checkpoint=False)}


def setup(args):
    "Tiny pipeline with rank-8 LoRA on DiT and T5 (only LoRA trainable), a batch, and the two ops."
    import torch
    from peft import LoraConfig, inject_adapter_in_model
    from diffusers.utils import logging as dlog
    from transformers.utils import logging as tlog
    from medart.tiny.families import build_tiny_pipeline
    from medart.sampling import encode_prompts
    from medart.hldf import HldfSettings, hldf_loss
    for lib in (dlog, tlog): lib.set_verbosity_error()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    pipe = build_tiny_pipeline(seed=0, resolution=args.resolution)
    dit_targets = r'transformer_blocks\.\d+\.((attn1|attn2)\.(to_q|to_k|to_v|to_out\.0)|ff\.net\.(0\.proj|2))'
    t5_targets = r'encoder\.block\.\d+\.layer\.\d+\.(SelfAttention\.(q|k|v|o)|DenseReluDense\.(wi_0|wi_1|wo))'
    inject_adapter_in_model(LoraConfig(r=8, lora_alpha=8, target_modules=dit_targets), pipe.transformer)
    inject_adapter_in_model(LoraConfig(r=8, lora_alpha=8, target_modules=t5_targets), pipe.text_encoder)
    for m in (pipe.transformer, pipe.text_encoder, pipe.vae):
        for n, p in m.named_parameters(): p.requires_grad_('lora_' in n)
    params = [p for m in (pipe.transformer, pipe.text_encoder) for p in m.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-4)
    b, c, s = args.batch, pipe.transformer.config.in_channels, pipe.transformer.config.sample_size
    g = torch.Generator().manual_seed(0)
    captions = [f'An endoscopic image of polyps, predominantly pink with speckles of white, number {i}.'
                for i in range(b)]
    latents = torch.randn(b, c, s, s, generator=g)  # stands for the cached VAE latents of the batch
    real = torch.rand(b, 3, args.resolution, args.resolution, generator=g)
    acp = pipe.scheduler.alphas_cumprod

    def plain_step():
        opt.zero_grad(set_to_none=True)
        cond, _ = encode_prompts(pipe, captions, negative=None)
        t = torch.randint(0, 1000, (b,), generator=g)
        noise = torch.randn(latents.shape, generator=g)
        a = acp[t].view(-1, 1, 1, 1)
        noisy = a.sqrt() * latents + (1 - a).sqrt() * noise
        out = pipe.transformer(noisy, encoder_hidden_states=cond.embeds, encoder_attention_mask=cond.mask,
                               timestep=t, added_cond_kwargs={'resolution': None, 'aspect_ratio': None},
                               return_dict=False)[0]
        loss = (out.chunk(2, dim=1)[0] - noise).square().mean()
        loss.backward()
        opt.step()

    def hldf_event(**kw):
        loss, _ = hldf_loss(pipe, captions, real, 0, HldfSettings(steps=args.steps, cfg=PAPER_CFG, **kw))
        loss.backward()
        opt.zero_grad(set_to_none=True)

    ops = {'plain step': plain_step}
    ops.update({name: (lambda kw=kw: hldf_event(**kw)) for name, kw in configs(args.steps).items()})
    return ops


def _status(key):
    for line in open('/proc/self/status'):
        if line.startswith(key): return int(line.split()[1]) * 1024  # kB -> bytes
    raise KeyError(key)


def measure_memory(args):
    "Subprocess body: extra peak RSS (bytes) of one run of op `args.memory_of`, printed as JSON."
    import gc
    op = setup(args)[args.memory_of]
    op()  # warm-up: lazy initialisations, optimizer state, what the allocator keeps after a first event
    gc.collect()
    with open('/proc/self/clear_refs', 'w') as f: f.write('5')  # reset VmHWM to the current RSS
    before = _status('VmRSS:')
    op()
    print(json.dumps({'extra': _status('VmHWM:') - before, 'rss': before}))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--resolution', type=int, default=64, help='image side (tiny profile: 64)')
    ap.add_argument('--batch', type=int, default=2)
    ap.add_argument('--steps', type=int, default=PAPER_SAMPLER_STEPS, help='M, DPM-Solver++ steps of an event')
    ap.add_argument('--repeats', type=int, default=3, help='timed runs per configuration (the fastest counts)')
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--every', type=int, default=500, help='N, for the overhead column')
    ap.add_argument('--no-memory', action='store_true', help='skip the memory subprocesses')
    ap.add_argument('--jobs', type=int, default=2, help='memory subprocesses run at a time (after the timings)')
    ap.add_argument('--json', help='also write the measurements to this JSON file (e.g. results/hldf-cost/hldf-cost.json)')
    ap.add_argument('--memory-of', help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.memory_of: return measure_memory(args)

    t_start = time.perf_counter()
    ops = setup(args)
    for op in ops.values(): op()  # warm-up
    times = {name: [] for name in ops}
    for _ in range(args.repeats):
        for name, op in ops.items():
            t0 = time.perf_counter(); op(); times[name].append(time.perf_counter() - t0)
    med = {name: min(v) for name, v in times.items()}

    mem = {}
    if not args.no_memory and Path('/proc/self/clear_refs').exists():
        env = {**os.environ, 'MALLOC_MMAP_THRESHOLD_': '65536', 'MALLOC_TRIM_THRESHOLD_': '65536'}
        names = list(ops)
        for i in range(0, len(names), args.jobs):  # a few processes at a time: memory, not time, is measured
            procs = {name: subprocess.Popen(
                [sys.executable, __file__, '--memory-of', name, '--resolution', str(args.resolution),
                 '--batch', str(args.batch), '--steps', str(args.steps), '--threads', str(args.threads)],
                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for name in names[i:i + args.jobs]}
            for name, proc in procs.items():
                out, err = proc.communicate()
                if proc.returncode: print(f'memory of {name!r} failed:\n{err[-2000:]}', file=sys.stderr); continue
                mem[name] = json.loads(out.strip().splitlines()[-1])

    plain = med['plain step']
    print(f'HLDF event cost, tiny PixArt-alpha on CPU ({args.threads} thread), {args.resolution} px, batch {args.batch}, '
          f'M = {args.steps} steps, CFG {PAPER_CFG}, rank-8 LoRA on DiT and T5; fastest of {args.repeats}')
    print(f'{"configuration":18s} {"time/run":>10s} {"plain steps":>12s} {"overhead at N=" + str(args.every):>18s}'
          f' {"extra peak memory":>18s} {"x plain step":>13s}')
    for name, t in med.items():
        ratio = t / plain
        over = '' if name == 'plain step' else f'{100 * ratio / args.every:.1f} %'
        m = mem.get(name)
        mtxt = f'{m["extra"] / 2**20:.1f} MiB' if m else 'n/a'
        mrat = f'{m["extra"] / mem["plain step"]["extra"]:.1f}' if m and mem.get('plain step') else 'n/a'
        print(f'{name:18s} {1000 * t:8.1f} ms {ratio:12.1f} {over:>18s} {mtxt:>18s} {mrat:>13s}')
    if mem: print(f'(process RSS before each op: {statistics.median(m["rss"] for m in mem.values()) / 2**20:.0f} MiB)')
    print(f'checkpointing costs {med["hldf K=M ckpt"] / med["hldf K=M no-ckpt"]:.2f}x time at K=M; '
          f'K=1 costs {med["hldf K=1 ckpt"] / med["hldf K=M ckpt"]:.2f}x K=M (both with checkpointing)')
    print(PAPER)
    print(f'total benchmark time {time.perf_counter() - t_start:.0f} s')
    if args.json: write_json(args, med, mem, time.perf_counter() - t_start)


def write_json(args, seconds: dict, mem: dict, total_s: float):
    "The measurements as JSON (atomically): per configuration its time, its cost in plain steps and its extra peak memory."
    from medart.io import write_json_atomic
    plain = seconds['plain step']
    rows = {name: {'seconds': t, 'plain_steps': t / plain, 'overhead_at_every': None if name == 'plain step' else t / plain / args.every,
                   'extra_peak_mib': mem[name]['extra'] / 2**20 if name in mem else None,
                   'extra_peak_x_plain': mem[name]['extra'] / mem['plain step']['extra'] if name in mem and 'plain step' in mem else None}
            for name, t in seconds.items()}
    settings = {k: getattr(args, k) for k in ('resolution', 'batch', 'steps', 'repeats', 'threads', 'every')}
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(args.json, {'command': 'python benchmarks/hldf_cost.py ' + ' '.join(sys.argv[1:]), 'settings': settings,
                                  'configurations': rows, 'paper': PAPER, 'seconds_total': total_s,
                                  'machine': {'cpus': os.cpu_count(), 'written': time.strftime('%Y-%m-%d %H:%M')}})


if __name__ == '__main__':
    main()
