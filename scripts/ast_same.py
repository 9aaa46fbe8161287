"""Does medart/ still say what it said at REF (default: main)? Compares every module's AST, after normalising what a
re-layout may change: docstring whitespace (a rewrapped docstring), f-strings with no placeholder (F541), imports that
were removed because nothing used them (listed, and checked to be unused). Comments and implicit string concatenation
do not reach the AST. Exit status 1 when any module differs otherwise.

    python scripts/ast_same.py [REF]
"""
import ast, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _old_source(ref, path):
    r = subprocess.run(['git', 'show', f'{ref}:{path}'], cwd=ROOT, capture_output=True, text=True)
    return r.stdout if r.returncode == 0 else None


class _Normalise(ast.NodeTransformer):
    "Docstrings with their whitespace collapsed; `f'text'` (no placeholder) as the constant it is."
    def _docstring(self, node):
        body = getattr(node, 'body', None)
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                and isinstance(body[0].value.value, str):
            body[0].value.value = ' '.join(body[0].value.value.split())
        return self.generic_visit(node)

    visit_Module = visit_ClassDef = visit_FunctionDef = visit_AsyncFunctionDef = _docstring

    def visit_JoinedStr(self, node):
        self.generic_visit(node)
        if all(isinstance(v, ast.Constant) for v in node.values):
            return ast.Constant(''.join(v.value for v in node.values))
        return node


def _imported(tree):
    return {(a.asname or a.name).split('.')[0] for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))
            for a in n.names}


def _drop_imports(tree, names):
    "`tree` without the import aliases that bind one of `names` (an import statement left empty goes too)."
    class Drop(ast.NodeTransformer):
        def _imp(self, node):
            node.names = [a for a in node.names if (a.asname or a.name).split('.')[0] not in names]
            return node if node.names else None
        visit_Import = visit_ImportFrom = _imp
    return Drop().visit(tree)


def compare(ref, path):
    "(status, detail) of one module: 'same', 'same-but-imports', 'new', 'gone' or 'DIFFERENT'."
    old_src, new_path = _old_source(ref, path), ROOT / path
    if old_src is None: return 'new', ''
    if not new_path.exists(): return 'gone', ''
    old, new = ast.parse(old_src), ast.parse(new_path.read_text())
    removed = _imported(old) - _imported(new)
    used = {n.id for n in ast.walk(new) if isinstance(n, ast.Name)} | \
           {n.value.id for n in ast.walk(new) if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)}
    if removed & used: return 'DIFFERENT', f"removed imports still used: {sorted(removed & used)}"
    old = _drop_imports(old, removed)
    a, b = (ast.dump(_Normalise().visit(t)) for t in (old, new))
    if a != b:
        i = next(i for i, (x, y) in enumerate(zip(a, b)) if x != y) if a[:len(b)] != b[:len(a)] else min(len(a), len(b))
        return 'DIFFERENT', f"first difference: ...{a[max(0, i - 80):i + 80]}... vs ...{b[max(0, i - 80):i + 80]}..."
    return ('same-but-imports', f"unused imports removed: {sorted(removed)}") if removed else ('same', '')


def main(ref='main'):
    paths = sorted(str(p.relative_to(ROOT)) for p in (ROOT / 'medart').rglob('*.py') if p.name != '_modidx.py')
    bad = 0
    for path in paths:
        status, detail = compare(ref, path)
        bad += status == 'DIFFERENT'
        if status != 'same': print(f"{path}: {status} {detail}")
    print(f"{len(paths)} modules compared with {ref}: {len(paths) - bad} the same (docstring whitespace aside), "
          f"{bad} different")
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main(*sys.argv[1:]))
