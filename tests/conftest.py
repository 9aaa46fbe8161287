import os
os.environ.setdefault('HF_HUB_OFFLINE', '1')  # a hub look-up otherwise waits ~30 s before failing
os.environ.setdefault('TRANSFORMERS_OFFLINE', '1')
os.environ.setdefault('MPLBACKEND', 'Agg')
