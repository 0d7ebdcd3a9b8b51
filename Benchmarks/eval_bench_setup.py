#!/usr/bin/env python3
"""Prepares Benchmarks/eval_bench.sh's inputs, outside git:

    python3 Benchmarks/eval_bench_setup.py BENCH_DIR SHARED_DATA COPIES

- `BENCH_DIR/eval-bench/data/dtd/{train,val}/<class>/`: the 100 real DTD JPEGs of
  ../shared/data/dtd-subset (10 classes, 300-640 px), linked COPIES times into `val` (the test
  split, as the reference's DTD reads it) and once into `train`.
- `BENCH_DIR/eval-bench/head_DTDVal.pt`: a pickled `src.models.modeling.ClassificationHead`
  (normalize=True, 100 * random unit rows), as the reference saves its heads.
The encoder is Scripts/bench_models.py's ViT-B/32 `zeroshot.pt` (a pickled ImageEncoder).
"""
import os
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "Scripts"))
from reference_modules import ClassificationHead  # noqa: E402

bench, shared, copies = Path(sys.argv[1]) / "eval-bench", Path(sys.argv[2]), int(sys.argv[3])
src = shared / "dtd-subset" / "images"
classes = sorted(p.name for p in src.iterdir() if p.is_dir())
for c in classes:
    images = sorted(p for p in (src / c).iterdir() if p.suffix == ".jpg")
    for split, n in [("train", 1), ("val", copies)]:
        folder = bench / "data" / "dtd" / split / c
        folder.mkdir(parents=True, exist_ok=True)
        for k in range(n):
            for img in images:
                dst = folder / f"{img.stem}_{k}{img.suffix}"
                if not dst.exists():
                    os.symlink(img, dst)
torch.manual_seed(0)
w = torch.randn(len(classes), 512)
torch.save(ClassificationHead(normalize=True, weights=100 * w / w.norm(dim=1, keepdim=True)), bench / "head_DTDVal.pt")
print(f"{len(classes)} classes, {copies * 10 * len(classes)} test images under {bench / 'data'}")
