#!/usr/bin/env python3
"""Writes N synthetic fine-tuned ViT-B/32 image encoders + theta0 for Benchmarks/merge_bench.sh:
open_clip's ViT-B-32 architecture with random init (nothing downloaded), in the ImageEncoder
layout (`model.` prefix, text transformer removed: 158 keys, 113,448,705 values), and
theta_t = theta0 + tau_t with small random tau_t (visual keys only, as in the reference).

    python3 Scripts/bench_models.py DIR N
"""
import os
import sys

import open_clip
import torch
from safetensors.torch import save_file


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    model = open_clip.create_model("ViT-B-32", pretrained=None)
    theta0 = {"model." + k: v.detach().float().contiguous() for k, v in model.state_dict().items() if not k.startswith("transformer.")}
    print(f"{len(theta0)} keys, {sum(v.numel() for v in theta0.values())} values", file=sys.stderr)
    if not os.path.exists(os.path.join(out, "zeroshot.safetensors")):
        save_file(theta0, os.path.join(out, "zeroshot.safetensors"))
    for t in range(n):
        path = os.path.join(out, f"task{t}Val", "nonlinear_finetuned.safetensors")
        if os.path.exists(path):
            continue
        os.makedirs(os.path.dirname(path), exist_ok=True)
        g = torch.Generator().manual_seed(100 + t)
        scale = 1e-3 * (1 + t % 3)
        ft = {k: (v + torch.randn(v.shape, generator=g) * scale if k.startswith("model.visual.") else v).contiguous() for k, v in theta0.items()}
        save_file(ft, path)
        print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
