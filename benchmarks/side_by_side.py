"""Put images (e.g. one run's sample grids at several guidance scales) side by side, each under its title, in one PNG.

Run:  .venv/bin/python benchmarks/side_by_side.py runs/claims/med-art/seed0/grid-cfg1.png runs/claims/med-art/seed0/grid-cfg2.png \\
          runs/claims/med-art/seed0/grid.png --titles 'CFG 1' 'CFG 2' 'CFG 4.5' --out results/claims-cfg/med-art-seed0.png

For README figures: the images are pasted at their own size (nearest-neighbour upscaled by --scale), in the order given.
"""
import argparse
from pathlib import Path


def side_by_side(paths, titles, scale: int = 1, gap: int = 12, title_height: int = 22):
    "One RGB image: the images at `paths` left to right, each `scale`x (nearest neighbour), its title above it."
    # not diffusers.utils.make_image_grid: it needs images of one size and draws no titles
    from matplotlib import font_manager
    from PIL import Image, ImageDraw, ImageFont
    if len(paths) != len(titles): raise ValueError(f"{len(paths)} images but {len(titles)} titles: give one title per image")
    ims = []
    for p in paths:
        if not Path(p).is_file(): raise FileNotFoundError(f"{p} does not exist: run the command that writes it first")
        im = Image.open(p).convert('RGB')
        ims.append(im.resize((im.width * scale, im.height * scale), Image.NEAREST))
    w, h = sum(i.width for i in ims) + gap * (len(ims) - 1), max(i.height for i in ims) + title_height
    out, x = Image.new('RGB', (w, h), 'white'), 0
    draw = ImageDraw.Draw(out)
    # matplotlib's DejaVu Sans: PIL's default bitmap font has no Greek ('PixArt-α' came out as a box)
    font = ImageFont.truetype(font_manager.findfont('DejaVu Sans'), 13)
    for im, t in zip(ims, titles):
        out.paste(im, (x, title_height)); draw.text((x + 4, 3), t, fill='black', font=font); x += im.width + gap
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('images', nargs='+', type=Path)
    ap.add_argument('--titles', nargs='+', required=True, help='one title per image')
    ap.add_argument('--out', type=Path, required=True)
    ap.add_argument('--scale', type=int, default=1, help='nearest-neighbour upscaling (default 1)')
    args = ap.parse_args(argv)
    try: im = side_by_side(args.images, args.titles, args.scale)
    except (ValueError, FileNotFoundError) as e: ap.error(str(e))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name('.' + args.out.name + '.tmp')
    im.save(tmp, format='PNG'); tmp.replace(args.out)
    print(f"wrote {args.out} ({im.width}x{im.height})")


if __name__ == '__main__':
    main()
