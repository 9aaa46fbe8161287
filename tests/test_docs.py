"""The pages that show numbers keep their outputs in git: the README's notebook (nbs/index.ipynb), the findings pages (nbs/findings/)
and the guide (nbs/guide/). Each is executed again here and its text outputs compared with the committed ones, so a page whose
result files (results/, runs/base*/) changed fails until `make docs` re-executes it. The README itself: tests/test_repository.py."""
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT / 'nbs'
PAGES = [NBS / 'index.ipynb', *sorted((NBS / 'findings').glob('*.ipynb')), *sorted((NBS / 'guide').glob('*.ipynb'))]


def texts(nb) -> list[str]:
    "The text of a notebook's outputs: stdout, and the markdown or plain text of displays (images are not compared)."
    out = []
    for c in nb.cells:
        for o in c.get('outputs', []) if c.cell_type == 'code' else []:
            if o.output_type == 'stream' and o.name == 'stdout': out.append(o.text)
            elif o.output_type in ('display_data', 'execute_result'):
                out.append(o.data.get('text/markdown') or ('' if any(k.startswith('image/') for k in o.data) else o.data.get('text/plain', '')))
    return out


def test_the_pages_exist():
    assert {'miniature.ipynb', 'tiny-profile.ipynb', 'guidance-scale.ipynb', 'hldf.ipynb', 'study.ipynb'} <= {p.name for p in PAGES}


@pytest.mark.parametrize('page', PAGES, ids=lambda p: str(p.relative_to(NBS)))
def test_page_outputs_are_what_its_files_give_now(page):
    nb = nbformat.read(page, as_version=4)
    committed = texts(nb)
    NotebookClient(nb, timeout=300, kernel_name='python3', resources={'metadata': {'path': str(page.parent)}}).execute()
    assert texts(nb) == committed, f"{page.relative_to(ROOT)} is stale against its files: run `make docs` and commit"


@pytest.mark.parametrize('page', PAGES, ids=lambda p: str(p.relative_to(NBS)))
def test_page_links_resolve(page):
    "Every relative link of a page's markdown (its own, and its rendered outputs) names a file that exists."
    nb = nbformat.read(page, as_version=4)
    text = '\n'.join([c.source for c in nb.cells if c.cell_type == 'markdown'] + texts(nb))
    base = ROOT if page.name == 'index.ipynb' else page.parent   # the README's links are relative to the repository root
    missing = [l for l in re.findall(r'\]\(([^)#\s]+)\)', text) if '://' not in l and not (base / l).exists()]
    assert not missing, f"{page.relative_to(ROOT)} links to missing files: {missing}"


def test_readme_is_a_landing_page():
    "The README fits in a few screens and names no commit: a figure names the command that produced it, not the commit it ran on."
    text = (ROOT / 'README.md').read_text()
    assert len(text.splitlines()) <= 250, f"README.md has {len(text.splitlines())} lines; move detail to nbs/guide/ or nbs/findings/"
    hashes = [w for w in re.findall(r'\b[0-9a-f]{7,40}\b', text) if re.search(r'\d', w) and re.search(r'[a-f]', w)]
    assert not hashes, f"README.md names commits {hashes}: name the command and the result file instead"
    first = text[:text.index('\n## ', text.index('## Two commands') + 1)]   # the first screen: up to the section after the commands
    assert '![' in first and 'make study' in first and 'make test' in first


def test_study_results_reads_a_time_log():
    "scripts/study_results.py --time records what GNU /usr/bin/time -v measured (the README's table of the two commands)."
    import importlib.util
    spec = importlib.util.spec_from_file_location('study_results', ROOT / 'scripts' / 'study_results.py')
    mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
    log = ("\tElapsed (wall clock) time (h:mm:ss or m:ss): 1:14:14\n\tMaximum resident set size (kbytes): 2516168\n")
    assert mod.parse_time_log(log) == {'wall_s': 4454.0, 'peak_rss_gib': 2.4}
    assert mod.parse_time_log("\tElapsed (wall clock) time (h:mm:ss or m:ss): 12:03.50\n")['wall_s'] == 723.5
    with pytest.raises(SystemExit, match='/usr/bin/time -v'):
        mod.parse_time_log('no timing here')
