#!/usr/bin/env python3
"""Prepares the inputs of Benchmarks/run_bench.sh in the reference's layouts, outside git:

    python3 Benchmarks/run_bench_setup.py BENCH_DIR SHARED_DATA

- `BENCH_DIR/model_checkpoints/ViT-B-32/`: symlinks to the synthetic ViT-B/32 encoders of
  Scripts/bench_models.py (θ0 as MNISTVal/nonlinear_zeroshot, task t as GTSRBVal, DTDVal,
  FER2013Val), heads `head_{X}Val.safetensors` (100 · random unit rows, zero bias), and a
  `nonlinear_ft_accuracies.json` of 1.0 (the benchmark times the grid, not the baselines).
- `BENCH_DIR/data/`: real images from ../shared/data, linked into torchvision/reference layouts:
  GTSRB (860 train in class folders; the first 300 test images with a GT-final_test.csv), DTD
  (10 classes, 8 train / 2 test images each), FER2013 (the 210 test faces as train and test).
"""
import csv
import json
import os
import sys
from pathlib import Path

import torch
from safetensors.torch import save_file

bench, shared = Path(sys.argv[1]), Path(sys.argv[2])
models = bench / "model_checkpoints" / "ViT-B-32"
data = bench / "data"
models.mkdir(parents=True, exist_ok=True)


def link(src, dst):
    dst.parent.mkdir(parents=True, exist_ok=True)
    if not dst.exists():
        os.symlink(src, dst)


link(bench / "zeroshot.safetensors", models / "MNISTVal" / "nonlinear_zeroshot.safetensors")
tasks = {"GTSRB": 43, "DTD": 47, "FER2013": 7}
torch.manual_seed(0)
for i, (task, classes) in enumerate(tasks.items()):
    link(bench / f"task{i}Val" / "nonlinear_finetuned.safetensors", models / f"{task}Val" / "nonlinear_finetuned.safetensors")
    w = torch.randn(classes, 512)
    save_file({"weight": (100 * w / w.norm(dim=1, keepdim=True)).contiguous(), "bias": torch.zeros(classes)},
              str(models / f"head_{task}Val.safetensors"))
json.dump({k: 1.0 for t in tasks for k in (t, t + "Val")}, open(models / "nonlinear_ft_accuracies.json", "w"))

g = shared / "gtsrb32"
for f in sorted((g / "train").iterdir()):
    if f.suffix == ".ppm":
        link(f, data / "gtsrb/GTSRB/Training" / f"{int(f.name.split('_')[0]):05d}" / f.name)
rows = list(csv.reader(open(g / "test" / "GT-test-subset.csv"), delimiter=";"))
header, rows = rows[0], rows[1:301]
for r in rows:
    link(g / "test" / r[0], data / "gtsrb/GTSRB/Final_Test/Images" / r[0])
with open(data / "gtsrb/GT-final_test.csv", "w") as f:
    f.write(";".join(header) + "\n" + "\n".join(";".join(r) for r in rows) + "\n")

for c in sorted((shared / "dtd-subset/images").iterdir()):
    for k, img in enumerate(sorted(c.iterdir())):
        link(img, data / "dtd" / ("train" if k < 8 else "val") / c.name / img.name)

for split in ("train", "test"):
    for c in sorted((shared / "fer2013-subset/test").iterdir()):
        for img in sorted(c.iterdir()):
            link(img, data / "fer2013" / split / c.name / img.name)
print("prepared", bench)
