"""Write the source of experiment notebooks without outputs or metadata, for DVC to depend on.

    python scripts/notebook_source.py nbs/train.ipynb runs/sources/train.py

A notebook saved in JupyterLab changes (outputs, execution counts, metadata) without its code changing; DVC stages
depend on this text instead, so saving a notebook does not invalidate the study, while editing a cell does.
The file is written only when its text changes (atomically), so its timestamp stays put too.
"""
import os
import sys
import tempfile
from pathlib import Path

import nbformat


def notebook_source(nb_path) -> str:
    "Code, markdown and raw cells of `nb_path` in order, each headed by its type and tags; nothing else."
    nb = nbformat.read(nb_path, as_version=4)
    parts = []
    for cell in nb.cells:
        tags = ','.join(cell.get('metadata', {}).get('tags', []))
        parts.append(f"# %% [{cell.cell_type}]{' ' + tags if tags else ''}\n{cell.source.rstrip()}\n")
    return '\n'.join(parts)


def write_if_changed(path: Path, text: str):
    if path.exists() and path.read_text() == text: return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f'.{path.name}.')
    with os.fdopen(fd, 'w') as f: f.write(text)
    os.replace(tmp, path)


if __name__ == '__main__':
    if len(sys.argv) != 3: raise SystemExit(__doc__)
    write_if_changed(Path(sys.argv[2]), notebook_source(sys.argv[1]))
