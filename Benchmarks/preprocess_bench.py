#!/usr/bin/env python3
"""Image preprocessing throughput: Lines vs Pillow + torchvision, on the real DTD JPEGs.

    swift build -c release --product lines-preprocess-bench
    python3 Benchmarks/preprocess_bench.py [--threads 2] [--repeat 3] [--rounds 3] [--size 224]

Both sides run the CLIP eval transform on every JPEG of ../shared/data/dtd-subset (100 files,
300-640 px): decode, Resize(224, BICUBIC) of the shorter side, CenterCrop(224), ToTensor,
Normalize. Lines: `.build/release/lines-preprocess-bench` (Parallel.forEach over images on
LINES_THREADS threads). Peer: torchvision 0.29 on Pillow 13, in one process and with a pool of
`--threads` worker processes (what a DataLoader with num_workers=N does). Best of `--repeat`
passes after one warm-up pass, over `--rounds` interleaved rounds; the files are in the page cache.
"""
import argparse
import multiprocessing as mp
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DTD = ROOT.parent / "shared" / "data" / "dtd-subset" / "images"
BIN = ROOT / ".build" / "release" / "lines-preprocess-bench"
MEAN = (0.48145466, 0.4578275, 0.40821073)
STD = (0.26862954, 0.26130258, 0.27577711)
_transform = None


def _init(size):
    global _transform
    import torch
    import torchvision.transforms as T
    torch.set_num_threads(1)
    _transform = T.Compose([
        T.Resize(size, interpolation=T.InterpolationMode.BICUBIC), T.CenterCrop(size),
        lambda img: img.convert("RGB"), T.ToTensor(), T.Normalize(MEAN, STD),
    ])


def _one(path):
    from PIL import Image
    with Image.open(path) as im:
        return _transform(im).shape[0]


def peer(files, size, workers, repeat):
    best = float("inf")
    if workers == 1:
        _init(size)
        for _ in range(repeat + 1):
            t = time.perf_counter()
            for f in files:
                _one(f)
            best = min(best, time.perf_counter() - t)
    else:
        with mp.get_context("fork").Pool(workers, initializer=_init, initargs=(size,)) as pool:
            pool.map(_one, files, chunksize=4)
            for _ in range(repeat):
                t = time.perf_counter()
                pool.map(_one, files, chunksize=4)
                best = min(best, time.perf_counter() - t)
    return len(files) / best


def ours(files, size, threads, repeat):
    env = dict(os.environ, LINES_THREADS=str(threads))
    out = subprocess.run([str(BIN), "--repeat", str(repeat), "--size", str(size), *map(str, files)],
                         env=env, check=True, capture_output=True, text=True).stdout
    return float(re.search(r"images_per_second=([0-9.]+)", out).group(1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    if not BIN.exists():
        sys.exit(f"{BIN} is missing: run `swift build -c release --product lines-preprocess-bench` first")
    files = sorted(DTD.rglob("*.jpg"))
    if not files:
        sys.exit(f"no JPEGs under {DTD}")
    # Interleaved rounds, best of each: the machine is shared, so a burst of other work should
    # not land on one side only.
    best = {}
    for _ in range(args.rounds):
        for n in sorted({1, args.threads}):
            l, p = ours(files, args.size, n, args.repeat), peer(files, args.size, n, args.repeat)
            best[n] = (max(best.get(n, (0, 0))[0], l), max(best.get(n, (0, 0))[1], p))
    rows = [(n, l, p) for n, (l, p) in sorted(best.items())]
    print(f"| threads | Lines (img/s) | Pillow+torchvision (img/s) | ratio |")
    print(f"|---|---|---|---|")
    for n, l, p in rows:
        print(f"| {n} | {l:.1f} | {p:.1f} | {l / p:.2f}x |")


if __name__ == "__main__":
    main()
