#!/usr/bin/env python3
"""Writes N synthetic fine-tuned ViT-B/32 image encoders + theta0 for Benchmarks/merge_bench.sh:
open_clip's ViT-B-32 architecture with random init (nothing downloaded), in the ImageEncoder
layout (`model.` prefix, text transformer removed: 158 keys, 113,448,705 values), and
theta_t = theta0 + tau_t with small random tau_t (visual keys only, as in the reference).

    python3 Scripts/bench_models.py DIR N [safetensors|pt|both]

`safetensors` writes DIR/zeroshot.safetensors and DIR/task{t}Val/nonlinear_finetuned.safetensors;
`pt` writes the same tensors as the reference's checkpoints are on the Hub (`nik-dim/tall_masks`):
whole pickled `src.models.modeling.ImageEncoder` modules saved with torch.save, as
DIR/zeroshot.pt and DIR/task{t}Val/nonlinear_finetuned.pt. Default: both.
"""
import os
import sys

import open_clip
import torch
from safetensors.torch import save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_modules import encoder_from_state  # noqa: E402


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    formats = {"both": ["safetensors", "pt"]}.get(sys.argv[3] if len(sys.argv) > 3 else "both", [sys.argv[3] if len(sys.argv) > 3 else ""])
    assert set(formats) <= {"safetensors", "pt"}, f"format must be safetensors, pt or both, not {sys.argv[3]}"
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    model = open_clip.create_model("ViT-B-32", pretrained=None)
    theta0 = {"model." + k: v.detach().float().contiguous() for k, v in model.state_dict().items() if not k.startswith("transformer.")}
    print(f"{len(theta0)} keys, {sum(v.numel() for v in theta0.values())} values", file=sys.stderr)

    def save(state, stem):
        for fmt in formats:
            path = os.path.join(out, f"{stem}.{fmt}")
            if os.path.exists(path):
                continue
            os.makedirs(os.path.dirname(path), exist_ok=True)
            if fmt == "safetensors":
                save_file(state, path)
            else:
                torch.save(encoder_from_state(model, state, 224), path)
            print(f"wrote {path}", file=sys.stderr)

    save(theta0, "zeroshot")
    for t in range(n):
        stem = os.path.join(f"task{t}Val", "nonlinear_finetuned")
        if all(os.path.exists(os.path.join(out, f"{stem}.{fmt}")) for fmt in formats):
            continue
        g = torch.Generator().manual_seed(100 + t)
        scale = 1e-3 * (1 + t % 3)
        ft = {k: (v + torch.randn(v.shape, generator=g) * scale if k.startswith("model.visual.") else v).contiguous() for k, v in theta0.items()}
        save(ft, stem)


if __name__ == "__main__":
    main()
