import os

os.environ.setdefault('HF_HUB_OFFLINE', '1')  # a hub look-up otherwise waits ~30 s before failing
os.environ.setdefault('TRANSFORMERS_OFFLINE', '1')
os.environ.setdefault('MPLBACKEND', 'Agg')

# The longest tests, longest first: pytest-xdist (make test: --dist loadscope --no-loadscope-reorder) hands out work in this
# order, so each worker starts on a long test and the short ones fill the gaps at the end. A hint for the order only: a
# file or notebook missing here runs after these, in collection order. From `--durations=0` of a CI run (seconds, 1 thread).
LONGEST_FIRST = ['test_study_notebooks.py', 'test_paper_scale.py', 'test_evaluate_notebook.py', 'nbs/10_tiny_base.ipynb',
                 'nbs/09_train.ipynb', 'nbs/14_baselines.ipynb', 'test_classify_notebook.py', 'nbs/16_launch.ipynb',
                 'nbs/03c_tiny_synth.ipynb', 'test_generate_notebook.py', 'nbs/04e_real.ipynb', 'nbs/17_stage_io.ipynb',
                 'nbs/11_generate.ipynb', 'nbs/12_metrics.ipynb', 'nbs/12a_inception.ipynb']


def pytest_collection_modifyitems(config, items):
    "The longest tests first (LONGEST_FIRST)."
    def rank(item):
        # tests/test_notebooks.py: a class per notebook, its docstring nbs/<path>
        key = item.cls.__doc__ if getattr(item.cls, 'notebook', None) else item.path.name
        return LONGEST_FIRST.index(key) if key in LONGEST_FIRST else len(LONGEST_FIRST)
    items.sort(key=rank)  # stable: the rest keep their order
