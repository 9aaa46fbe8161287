"""Every notebook of nbs/ executed as `nbdev_test` executes it: nbdev's own `test_nb` (the cells in order, `#| slow` and `#| gpu`
cells skipped, front matter `skip_exec` honoured, the notebook's folder as working directory). One test per notebook, so that
pytest-xdist spreads them over its workers together with the other tests: `make test` runs them here, in one pass with tests/,
instead of running `nbdev_test` first and pytest after (the tail of each pass left a core idle). `make nbtest` still runs
`nbdev_test` alone, e.g. `make nbtest` after editing notebooks, or `.venv/bin/nbdev_test --path nbs/08_hldf.ipynb` for one."""
import gc
import re

from nbdev.config import get_config
from nbdev.doclinks import nbglob
from fastcore.utils import str2bool
from nbdev.frontmatter import FrontmatterProc
from nbdev.process import NBProcessor
from nbdev.test import _keep_file
from nbdev.test import test_nb as run_notebook  # renamed: pytest would collect a module-level test_nb

CONFIG = get_config()


def executed_by_nbdev_test(path) -> bool:
    "Whether nbdev_test runs the notebook's cells: not a stage notebook, whose front matter says `skip_exec` (test_nb's own check)."
    front = getattr(NBProcessor(path, procs=FrontmatterProc, process=True).nb, 'frontmatter_', {})
    return not str2bool(front.get('skip_exec', False))


# nbdev_test's own selection, less the stage notebooks it would only open and skip (tests/test_study_notebooks.py runs them)
NOTEBOOKS = sorted(f.absolute() for f in nbglob(as_path=True) if _keep_file(f, '.notest') and executed_by_nbdev_test(f))


def notebook_id(path) -> str:
    "A notebook's test id: its path under nbs/, e.g. findings/claims.ipynb."
    return str(path.relative_to(CONFIG.config_path / CONFIG.nbs_path))


def test_notebook(self):
    "Execute the class's notebook as nbdev_test does; fail with its traceback (captured stderr)."
    passed, _ = run_notebook(self.notebook, skip_flags=CONFIG.tst_flags.split(), basepath=CONFIG.config_path, showerr=True)
    gc.collect()  # the notebook's namespace (models, tensors) goes before the next test on this worker
    assert passed, f"{notebook_id(self.notebook)} failed: its traceback is in the captured stderr above"


# One class per notebook, e.g. TestNotebook_findings_claims: pytest-xdist's --dist loadscope sends each class to a worker of
# its own choosing, and each test file's module-level tests together. (A parametrised function would be one scope, all on one
# worker; --dist loadgroup's marks have no effect with pytest 9, whose node ids pytest-xdist 3.8 can no longer suffix.)
for _nb in NOTEBOOKS:
    _name = 'TestNotebook_' + re.sub(r'\W', '_', notebook_id(_nb).removesuffix('.ipynb'))
    globals()[_name] = type(_name, (), {'notebook': _nb, 'test_notebook': test_notebook, '__doc__': f'nbs/{notebook_id(_nb)}'})
del test_notebook  # collected only as the classes' method


def test_every_library_notebook_is_collected():
    names = {notebook_id(c.notebook) for c in globals().values() if isinstance(c, type) and c.__name__.startswith('TestNotebook_')}
    assert {'00_config.ipynb', '08_hldf.ipynb', 'findings/claims.ipynb', 'index.ipynb'} <= names and len(names) == len(NOTEBOOKS)
    assert not names & {'train.ipynb', 'report.ipynb'}  # stage notebooks: skip_exec
