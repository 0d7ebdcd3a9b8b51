#!/usr/bin/env python3
"""PyTorch peer for Benchmarks/clip_bench.sh: open_clip's image encoder on CPU, same weights and input.

    python3 Benchmarks/clip_bench_torch.py ENCODER.safetensors PIXELS.safetensors MODEL_NAME [iterations] [threads]
"""
import json
import sys
import time

import open_clip
import torch
from safetensors.torch import load_file

encoder_path, pixels_path, name = sys.argv[1:4]
iterations = int(sys.argv[4]) if len(sys.argv) > 4 else 5
threads = int(sys.argv[5]) if len(sys.argv) > 5 else 2
torch.set_num_threads(threads)
model = open_clip.create_model(name, pretrained=None)
state = {k[len("model."):]: v for k, v in load_file(encoder_path).items() if k.startswith("model.visual.")}
visual = model.visual.float().eval()
visual.load_state_dict({k[len("visual."):]: v for k, v in state.items()})
pixels = load_file(pixels_path)["pixels"].float().contiguous()
times = []
with torch.inference_mode():
    for i in range(iterations + 1):
        t = time.perf_counter()
        out = visual(pixels)
        if i > 0:
            times.append(time.perf_counter() - t)
median = sorted(times)[len(times) // 2]
best = min(times)  # other processes on the machine only ever slow a batch down
print(json.dumps({"peer": f"open_clip {open_clip.__version__} / torch {torch.__version__} CPU", "threads": threads,
                  "batch": pixels.shape[0], "best_batch_s": round(best, 4), "median_batch_s": round(median, 4),
                  "images_per_s": round(pixels.shape[0] / best, 2)}))
