#!/usr/bin/env python3
"""The reference's evaluation path (`src/eval/eval.py::eval_single_dataset`), timed end to end:
torch.load of the pickled ImageEncoder and ClassificationHead, the task's torchvision dataset
(DTD: `ImageFolder(location/dtd/val, val_preprocess)`) in a `DataLoader`, and top-1 of
head(encoder(x)) batch by batch under `torch.no_grad()`. Prints one JSON line.

    python3 Benchmarks/eval_bench_reference.py ENCODER.pt HEAD.pt DATA_LOCATION BATCH THREADS WORKERS
"""
import json
import os
import sys
import time

START = time.time()
import torch  # noqa: E402
import torchvision  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Scripts"))
import reference_modules  # noqa: E402,F401  (the pickled classes)

encoder_path, head_path, location, batch, threads, workers = sys.argv[1:7]
torch.set_num_threads(int(threads))
t0 = time.time()
encoder = torch.load(encoder_path, map_location="cpu", weights_only=False)
head = torch.load(head_path, map_location="cpu", weights_only=False)
encoder.eval()
load = time.time() - t0
dataset = torchvision.datasets.ImageFolder(os.path.join(location, "dtd", "val"), transform=encoder.val_preprocess)
loader = torch.utils.data.DataLoader(dataset, batch_size=int(batch), shuffle=False, num_workers=int(workers))
correct = n = 0
t1 = time.time()
with torch.no_grad():
    for x, y in loader:
        pred = head(encoder(x)).argmax(dim=1)
        correct += (pred == y).sum().item()
        n += len(y)
loop = time.time() - t1
print(json.dumps({"peer": "reference eval_single_dataset (torch %s, %s threads, %s workers)" % (torch.__version__, threads, workers),
                  "images": n, "top1": correct / n, "model_load_s": load, "loop_s": loop,
                  "process_s": time.time() - START, "images_per_s_loop": n / loop}))
