"""List the functions in medart/ longer than a line limit or with more parameters than a limit (issue 30's house rule).

    python scripts/function_sizes.py [--max-lines 60] [--max-params 10] [--all]

A function's length is its source lines from `def` to its last line, decorators and docstring included; its parameters are
every name in its signature (self, cls, *args and **kwargs included). Exits 1 when a function breaks a limit.
`make test` runs it.
"""
import argparse, ast, pathlib, sys


def functions(path):
    "Yield (qualified name, first line, lines, parameters) for every function in one module."
    tree = ast.parse(path.read_text())
    def walk(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                a = child.args
                n_params = len(a.posonlyargs + a.args + a.kwonlyargs) + bool(a.vararg) + bool(a.kwarg)
                yield prefix + child.name, child.lineno, child.end_lineno - child.lineno + 1, n_params
                yield from walk(child, prefix + child.name + '.')
            elif isinstance(child, ast.ClassDef): yield from walk(child, prefix + child.name + '.')
            else: yield from walk(child, prefix)
    yield from walk(tree, '')


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--root', default='medart'); p.add_argument('--max-lines', type=int, default=60)
    p.add_argument('--max-params', type=int, default=10); p.add_argument('--all', action='store_true', help='list every function')
    args = p.parse_args(argv)
    over_all, count = [], 0
    for path in sorted(pathlib.Path(args.root).rglob('*.py')):  # medart/tiny/ included
        if path.name.startswith('_'): continue
        for name, line, n_lines, n_params in functions(path):
            count += 1
            over = n_lines > args.max_lines or n_params > args.max_params
            if over or args.all:
                print(f'{path}:{line}  {name}  {n_lines} lines  {n_params} params' + ('  <- over' if over else ''))
            over_all += [f'{path}:{name}'] if over else []
    print(f'{count} functions in {args.root}/, {len(over_all)} over {args.max_lines} lines or {args.max_params} parameters')
    for name in over_all: print(f'OVER: {name}: split it (one screen, at most {args.max_params} parameters)')
    return 1 if over_all else 0


if __name__ == '__main__': sys.exit(main())
