"""The model card's snippet loads the adapters into a stock diffusers PixArtAlphaPipeline with peft alone (no medart), and gives
the same images as medart's own loader (the saved classifier's stock-pipeline test is in nbs/13_classify.ipynb)."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / 'runs' / 'base' / 'pipeline'
CALL = "pipe('An endoscopic image of polyps', num_inference_steps=4, guidance_scale=4.5, height=64, width=64, " \
       "use_resolution_binning=False, generator=torch.Generator().manual_seed(0), output_type='np').images"


@pytest.mark.skipif(not (BASE / 'model_index.json').is_file(), reason='the tiny base (runs/base/pipeline) is not here')
def test_peft_snippet_of_the_model_card_runs_without_medart(tmp_path):
    from diffusers import PixArtAlphaPipeline
    from medart.lora import add_lora, load_adapters, perturb_lora, save_adapters
    torch.set_num_threads(1)
    pipe = PixArtAlphaPipeline.from_pretrained(BASE)
    add_lora(pipe)
    perturb_lora(pipe.transformer, seed=1); perturb_lora(pipe.text_encoder, seed=2)  # adapters that change the images
    out = save_adapters(pipe, tmp_path / 'adapter', params={'base': str(BASE), 'train': {'resolution': 64}})
    for comp in ('transformer', 'text_encoder'):
        assert json.loads((out / f'{comp}_lora' / 'adapter_config.json').read_text())['base_model_name_or_path'] == str(BASE)
    snippet = re.search(r'```python\n(.*?)```', (out / 'README.md').read_text(), re.S).group(1)
    assert 'medart' not in snippet.replace(str(out), '')

    program = (snippet + "\nimport sys, numpy as np\n"
               "assert not [m for m in sys.modules if m.split('.')[0] == 'medart'], 'the snippet imported medart'\n"
               f"np.save({str(tmp_path / 'peft.npy')!r}, {CALL})\n")
    env = dict(os.environ, HF_HUB_OFFLINE='1', OMP_NUM_THREADS='1', PYTHONPATH='')  # nothing of this repository on the path
    r = subprocess.run([sys.executable, '-c', program], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    with_peft = np.load(tmp_path / 'peft.npy')

    pipe = PixArtAlphaPipeline.from_pretrained(BASE)
    without = eval(CALL)
    load_adapters(pipe, out, merge=True)
    with_medart = eval(CALL)
    assert np.abs(with_peft - with_medart).max() < 1e-4          # the same adapters, loaded two ways
    assert np.abs(with_peft - without).max() > 0.05              # and they do change the images
