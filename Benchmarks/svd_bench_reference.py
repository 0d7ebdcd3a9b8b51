#!/usr/bin/env python3
"""The SVD merges as their authors run them, for Benchmarks/svd_bench.sh: every task vector built
from its two checkpoints (`NonLinearTaskVector(pretrained, finetuned)`: both loaded with
torch.load, as in the TSV and Iso repos), the authors' merge function (transcribed, with commits,
in Scripts/reference_methods.py) over all of them in memory, then theta0 + alpha * tau_MTL
(`apply_to`, which loads theta0 once more), written as safetensors.

    python3 Benchmarks/svd_bench_reference.py tsv|iso_c|iso_cts --pretrained P --finetuned F... -o OUT [--alpha A] [--float64]

With --float64 the same code runs on float64 task vectors and writes float64 tensors: the exact
result, against which svd_bench.sh (EXACT=1) measures both Lines' and the authors' float32 outputs.
"""
import argparse
import importlib.util
import os
import sys

import torch
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = os.path.join(HERE, "..", "Scripts")
sys.path.insert(0, SCRIPTS)
from reference_merge import load  # noqa: E402

spec = importlib.util.spec_from_file_location("reference_methods", os.path.join(SCRIPTS, "reference_methods.py"))
methods = importlib.util.module_from_spec(spec)
spec.loader.exec_module(methods)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("method", choices=["tsv", "iso_c", "iso_cts"])
    ap.add_argument("--pretrained", required=True)
    ap.add_argument("--finetuned", nargs="+", required=True)
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--alpha", type=float, default=1.0)
    ap.add_argument("--float64", action="store_true", help="run on float64 task vectors (the exact result)")
    args = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("THREADS", "2")))
    names = [f"task{i}" for i in range(len(args.finetuned))]
    with torch.no_grad():
        tvs = [methods.TaskVector(load(args.pretrained), load(f)) for f in args.finetuned]
        if args.float64:
            for tv in tvs:
                tv.vector = {k: v.double() for k, v in tv.vector.items()}
        fn, frac = methods.METHODS[args.method]
        merged = fn(tvs, methods.make_config(names, 0.8 if frac is None else frac))
        theta0 = load(args.pretrained)
        if args.float64:
            theta0 = {k: v.double() for k, v in theta0.items()}
        out = {k: (v + args.alpha * merged[k]).contiguous() if k in merged else v.contiguous() for k, v in theta0.items()}
    save_file(out, args.output)


if __name__ == "__main__":
    main()
