"""The full profile's path at the real widths (benchmarks/paper_scale.py --smoke): every model the full profile loads, built from its
published configuration with one layer (medart.real), saved as a local folder, and the full profile's own stage notebooks run on them
(profile: full) from prepare to report: shape, dtype and loading errors at the real widths surface here. Also the GPU benchmark of the
same script, on the CPU at the same reduced size."""
import csv
import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load():
    spec = importlib.util.spec_from_file_location('paper_scale', ROOT / 'benchmarks' / 'paper_scale.py')
    module = importlib.util.module_from_spec(spec)
    sys.modules['paper_scale'] = module  # its dataclasses look their module up while it is executed
    spec.loader.exec_module(module)
    return module


paper_scale = _load()


@pytest.fixture(scope='module')
def smoke(tmp_path_factory):
    out = tmp_path_factory.mktemp('paper-scale')
    record = paper_scale.dry_run(paper_scale.SCALES['smoke'], out, out / 'results', 'tests/test_paper_scale.py', log=lambda *a: None)
    return out, record


def test_every_stage_of_the_full_profile_runs_at_the_real_widths(smoke):
    out, record = smoke
    names = [n for n, _, _ in paper_scale.stage_list(paper_scale.SCALES['smoke'], out)]
    assert list(record['stages']) == names and all(r['returncode'] == 0 and r['seconds'] > 0 for r in record['stages'].values())
    runs = out / 'runs' / 'kvasir'
    train = json.loads((runs / 'med-art' / 'train.json').read_text())
    assert train['params']['profile']['value'] == 'full' and train['params']['models.pixart']['value'].endswith('pixart-xl-2-512x512')
    assert (train['steps'], train['hldf_events']) == (2, 1)
    lora = json.loads((runs / 'med-art' / 'adapter' / 'medart_lora.json').read_text())['components']
    assert lora['transformer']['n_targets'] == 10 and lora['text_encoder']['n_targets'] == 7  # one block of each, the paper's targets
    caption = json.loads((runs / 'caption.json').read_text())['llava-next']
    assert caption['model_id'].endswith('llama3-llava-next-8b') and caption['dtype'] == 'torch.float32'  # saved bf16, run fp32 on a CPU
    rows = list(csv.DictReader(open(runs / 'med-art' / 'loss.csv')))
    assert [bool(r['extra_loss']) for r in rows] == [False, True] and float(rows[1]['hldf_forward_s']) > 0
    generated = json.loads((runs / 'med-art' / 'generate.json').read_text())
    assert generated['complete'] and generated['resolution'] == 64 and generated['images'] == 4
    metrics = json.loads((runs / 'med-art' / 'metrics.json').read_text())
    # the folder is named after the paper's KFD (mmuratarat/kvasir-v2-classifier): a local copy of it, with its recipe (medart.metrics)
    assert 'fd_domain-mmuratarat--kvasir-v2-classifier' in metrics, list(metrics)
    assert (out / 'runs' / 'report' / 'kvasir' / 'report.md').exists()


def test_the_models_are_the_real_architectures(smoke):
    import transformers
    from diffusers import PixArtTransformer2DModel
    out, record = smoke
    f = paper_scale.model_folders(out)
    dit = PixArtTransformer2DModel.load_config(f['pixart'] / 'transformer')
    assert (dit['num_attention_heads'] * dit['attention_head_dim'], dit['caption_channels'], dit['num_layers']) == (1152, 4096, 1)
    t5 = transformers.AutoConfig.from_pretrained(f['pixart'] / 'text_encoder')
    assert (t5.d_model, t5.d_ff, t5.num_heads, t5.vocab_size) == (4096, 10240, 64, 32128)
    llava = transformers.AutoConfig.from_pretrained(f['llava'])
    assert (llava.text_config.hidden_size, llava.text_config.vocab_size, llava.vision_config.hidden_size) == (4096, 128320, 1024)
    assert transformers.AutoConfig.from_pretrained(f['vit']).hidden_size == 768
    table = (out / 'results' / 'paper-scale.md').read_text()
    assert '| train |' in table and '| t5-v1_1-xxl | 1 (24) |' in table and '4.762 B' in table


def test_gpu_benchmark_runs_on_the_cpu_at_reduced_size(smoke, tmp_path):
    """`paper_scale.py --device cuda` on a GPU (bf16, M = 20); here the same function on the CPU on the smoke's one-layer PixArt-alpha,
    M = 2, in fp32 (bf16 matrix products are too slow on a CPU; nbs/09_train.ipynb trains the tiny model in bf16)."""
    out, _ = smoke
    scale = paper_scale.SCALES['smoke']
    rec = paper_scale.gpu_benchmark('cpu', tmp_path, tmp_path / 'results', 2, scale, 'test', log=lambda *a: None,
                                    folder=paper_scale.model_folders(out)['pixart'], plain_steps=2, warmup=False)
    assert rec['mixed_precision'] == 'no' and set(rec['runs']) == {'K=2', 'K=1'}
    for run in rec['runs'].values():
        assert len(run['step_durations_s']) == 3 and run['event_forward_s'] > 0 and run['plain_step_s'] > 0 and run['peak_gib'] > 0
    assert 'overhead_N500_K=2' in rec and (tmp_path / 'results' / 'benchmark-cpu.json').exists()
    assert rec['trainable']['transformer']['trainable'] == 239616  # rank 8 on the one block's 10 linears, 1152 wide
    assert rec['sampler']['guided_dit_forward_s'] > 0 and rec['sampler']['vae_decode_s'] > 0
