"""PyTorch CPU peer of lines-finetune-bench: the same optimizer step on open_clip's VisionTransformer.

    python3 Benchmarks/finetune_bench_torch.py WIDTH LAYERS HEADS PATCH IMAGE OUTPUT BATCH STEPS THREADS

Random init, QuickGELU, float32; a frozen head W · normalize(f) of 10 random unit class vectors
× 100; mean cross-entropy, backward, clip_grad_norm_(1.0), torch.optim.AdamW(lr 1e-5, wd 0.1).
Prints the best and median step time (the first step is a warm-up) as one JSON line.
"""
import json
import sys
import time

import torch
import torch.nn.functional as F
from open_clip.transformer import QuickGELU, VisionTransformer

w, layers, heads, patch, image, out, batch, steps, threads = map(int, sys.argv[1:10])
torch.set_num_threads(threads)
torch.manual_seed(0)
model = VisionTransformer(image_size=image, patch_size=patch, width=w, layers=layers, heads=heads, mlp_ratio=4.0,
                          output_dim=out, act_layer=QuickGELU)
model.train()
head = F.normalize(torch.randn(10, out), dim=-1) * 100
pixels = torch.randn(batch, 3, image, image)
labels = torch.arange(batch) % 10
params = list(model.parameters())
opt = torch.optim.AdamW(params, lr=1e-5, weight_decay=0.1)
times = []
for _ in range(steps + 1):
    t0 = time.perf_counter()
    opt.zero_grad()
    logits = F.normalize(model(pixels), dim=-1) @ head.T
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()
    times.append(time.perf_counter() - t0)
m = sorted(times[1:])
print(json.dumps({"impl": "torch", "best_s": round(m[0], 4), "median_s": round(m[len(m) // 2], 4),
                  "images_per_s": round(batch / m[0], 1), "loss": round(loss.item(), 4), "threads": threads}))
