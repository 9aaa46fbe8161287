"""Which class does the real-trained classifier see in each class's generated images? The confusion matrix of one or more
`benchmarks/claims.py` runs (their `images/<class>/*.png`, seeds summed), and beside each class real test images and the
runs' generated images, so that a class taken for another can be looked at.

Run:  .venv/bin/python benchmarks/generated_confusion.py runs/claims/med-art/seed0 runs/claims/med-art/seed1 --out /tmp/conf.png
      (~10 s; writes the figure and, beside it, the counts as JSON: <out>.json)

Needs the real-trained classifier and the split: `dvc repro classify_real` (make claims runs it).
"""
import argparse, json, os, sys
from collections import Counter
from pathlib import Path

os.environ.setdefault('HF_HUB_OFFLINE', '1')
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def generated_images(run: Path) -> dict:
    "{class: sorted image paths} of a claims run folder (its `images/<class>/`); a clear error when there are none."
    folder = Path(run) / 'images'
    found = {d.name: sorted(d.glob('*.png')) for d in sorted(folder.glob('*')) if d.is_dir()}
    if not any(found.values()):
        raise SystemExit(f"{folder} holds no generated images: pass a benchmarks/claims.py run folder (e.g. runs/claims/med-art/seed0)")
    return found


def confusion_counts(model, runs) -> tuple[list, list, dict]:
    "True and predicted labels over every run's images, and {class: {predicted class: count}}."
    from PIL import Image
    from medart.checks import class_accuracy
    y_true, y_pred = [], []
    for run in runs:
        for cls, paths in generated_images(run).items():
            for pred, n in class_accuracy(model, [Image.open(p).convert('RGB') for p in paths], [cls] * len(paths))['predicted'].items():
                y_true += [cls] * n; y_pred += [pred] * n
    counts = {}
    for (cls, pred), n in Counter(zip(y_true, y_pred)).items(): counts.setdefault(cls, {})[pred] = n
    return y_true, y_pred, counts


def sample_strip(runs, real: dict, classes, per_class: int = 6):
    "A figure: per class, `per_class` real test images, then as many generated images (first run first)."
    import matplotlib.pyplot as plt
    from PIL import Image
    found = [generated_images(run) for run in runs]  # one listing per run, not one per run and class
    gen = {c: [p for f in found for p in f.get(c, [])][:per_class] for c in classes}
    fig, axes = plt.subplots(len(classes), 2 * per_class, figsize=(2 * per_class * 0.8, len(classes) * 0.9), squeeze=False)
    for i, c in enumerate(classes):
        for j, p in enumerate(real[c][:per_class] + [None] * (per_class - len(real[c][:per_class])) + gen[c]):
            ax = axes[i, j]; ax.axis('off')
            if p is not None: ax.imshow(Image.open(p).convert('RGB'))
        axes[i, 0].set_title(f'{c}: real', fontsize=7, loc='left')
        axes[i, per_class].set_title('generated', fontsize=7, loc='left')
    fig.tight_layout(pad=0.2)
    return fig


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('runs', nargs='+', type=Path, help='benchmarks/claims.py run folders (runs/claims/<preset>/seed<k>)')
    ap.add_argument('--out', type=Path, required=True, help='the figure (PNG); the counts go to the same name with .json')
    ap.add_argument('--dataset', default='synth-endo', help='the dataset the runs fine-tuned on (default synth-endo)')
    ap.add_argument('--per-class', type=int, default=4, help='real and generated images shown per class (default 4)')
    args = ap.parse_args(argv)
    os.chdir(ROOT)
    import matplotlib; matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from medart.classify import confusion_figure, load_classifier
    from medart.io import write_atomic, write_json_atomic
    clf = ROOT / 'runs' / args.dataset / 'real' / 'classifier'
    split = ROOT / 'runs' / args.dataset / 'split.json'
    for need in (clf, split):
        if not need.exists(): raise SystemExit(f"{need} does not exist: run `dvc repro classify_real` first")
    model, _ = load_classifier(clf)
    split = json.loads(split.read_text())
    classes = list(split['classes'])
    real = {c: [ROOT / f['path'] for f in split['files'] if f['split'] == 'test' and f['label'] == c] for c in classes}
    y_true, y_pred, counts = confusion_counts(model, args.runs)
    accuracy = {c: counts.get(c, {}).get(c, 0) / max(1, sum(counts.get(c, {}).values())) for c in classes}
    conf = confusion_figure(y_true, y_pred, classes, title=f'generated images, {len(args.runs)} run(s): true (prompt) vs predicted')
    strip = sample_strip(args.runs, real, classes, args.per_class)
    import io
    from PIL import Image
    parts = []
    for fig in (conf, strip):
        buf = io.BytesIO(); fig.savefig(buf, format='png', dpi=80); plt.close(fig); parts.append(Image.open(buf).convert('RGB'))
    canvas = Image.new('RGB', (sum(p.width for p in parts), max(p.height for p in parts)), 'white')
    x = 0
    for p in parts: canvas.paste(p, (x, 0)); x += p.width
    buf = io.BytesIO(); canvas.save(buf, format='png', optimize=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(args.out, buf.getvalue())
    report = dict(command='python benchmarks/generated_confusion.py ' + ' '.join(sys.argv[1:] if argv is None else argv),
                  runs=[str(r) for r in args.runs], accuracy_by_class=accuracy, predicted=counts)
    write_json_atomic(args.out.with_suffix('.json'), report)
    print(json.dumps(dict(accuracy_by_class={c: round(a, 2) for c, a in accuracy.items()}, predicted=counts), indent=1))


if __name__ == '__main__':
    main()
