#!/usr/bin/env python3
"""PyTorch reference of the LiNeS repo's FLATTENED merging algorithms (wang-kee/LiNeS @ 43a7bdd,
nik-dim/tall_masks @ d10af8b; spec REFERENCE.md §1-2), used to write the expected outputs of the
Swift tests and as the benchmark peer.

Everything is done the reference's way: state dicts flattened over sorted() keys into a T x d
matrix (state_dict_to_vector), topk_values_mask with torch.kthvalue, TIES resolve_sign /
disjoint_merge exactly as ties_utils.py, TALL masks in theta space as tallmask_utils.py,
consensus by mask counts, LiNeS_scaling with alpha = ||sum tau~||_1 / (T ||tau_MTL||_1).

    python3 Scripts/reference_merge.py --method ties --k 20 --agg mean --lines --beta 1.0 \
        --pretrained zs.safetensors --finetuned A=a.safetensors B=b.safetensors -o out.safetensors
"""
import argparse
import json
import os
import re
import sys
import time
from collections import OrderedDict

import numpy as np
import torch
from safetensors.torch import load_file, save_file


def load(path):
    if path.endswith(".safetensors"):
        return load_file(path)
    try:
        sd = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:
        # A whole pickled module, as the reference saves its checkpoints: the reference itself
        # unpickles it with torch.load, which needs the classes (src.models.modeling.*).
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import reference_modules  # noqa: F401
        sd = torch.load(path, map_location="cpu", weights_only=False)
    return sd.state_dict() if hasattr(sd, "state_dict") else sd


def task_name(arg):
    if "=" in arg and "/" not in arg.split("=", 1)[0]:
        name, path = arg.split("=", 1)
        return name, path
    base = os.path.splitext(os.path.basename(arg))[0]
    folder = os.path.basename(os.path.dirname(arg))
    name = folder if base in ("nonlinear_finetuned", "finetuned", "linear_finetuned", "model", "pytorch_model", "checkpoint") and folder else base
    if name.endswith("Val") and len(name) > 3:
        name = name[:-3]
    return name, arg


# --- utils.py -------------------------------------------------------------------------------
def state_dict_to_vector(state_dict, remove_keys=()):
    shared = {k: v for k, v in state_dict.items() if k not in remove_keys}
    sorted_dict = OrderedDict(sorted(shared.items()))
    return torch.nn.utils.parameters_to_vector([v.reshape(-1).float() for v in sorted_dict.values()])


def vector_to_state_dict(vector, state_dict):
    sorted_dict = OrderedDict((k, v.clone().float()) for k, v in sorted(state_dict.items()))
    torch.nn.utils.vector_to_parameters(vector, sorted_dict.values())
    return sorted_dict


def topk_values_mask(M, K=0.7, return_mask=False):
    # K is a percentage here (the reference's `if K > 1: K /= 100` would read K <= 1 as a fraction:
    # we do what it meant, a percentage in (0, 100]).
    K = K / 100
    original_shape = M.shape
    if M.dim() == 1:
        M = M.unsqueeze(0)
    n, d = M.shape
    k = int(d * K)
    k = d - k
    kth_values, _ = M.abs().kthvalue(k, dim=1, keepdim=True)
    mask = M.abs() >= kth_values
    final_mask = mask.squeeze() if original_shape == M.squeeze().shape else mask
    if return_mask:
        return M * final_mask, final_mask.float().mean(dim=1), final_mask, kth_values.squeeze(1)
    return M * final_mask, final_mask.float().mean(dim=1)


# --- ties_utils.py ---------------------------------------------------------------------------
def resolve_zero_signs(sign_to_mult, method="majority"):
    majority_sign = torch.sign(sign_to_mult.sum())
    if method == "majority":
        sign_to_mult[sign_to_mult == 0] = majority_sign
    elif method == "minority":
        sign_to_mult[sign_to_mult == 0] = -1 * majority_sign
    return sign_to_mult, majority_sign


def resolve_sign(T):
    sign_to_mult = torch.sign(T.sum(dim=0))
    return resolve_zero_signs(sign_to_mult, "majority")


def disjoint_merge(T, merge_func, sign_to_mult):
    merge_func = merge_func.split("-")[-1]
    rows_to_keep = torch.where(sign_to_mult.unsqueeze(0) > 0, T > 0, T < 0)
    selected_entries = T * rows_to_keep
    if merge_func == "mean":
        non_zero_counts = (selected_entries != 0).sum(dim=0).float()
        return torch.sum(selected_entries, dim=0) / torch.clamp(non_zero_counts, min=1)
    if merge_func == "sum":
        return torch.sum(selected_entries, dim=0)
    if merge_func == "max":
        aggs = selected_entries.abs().max(dim=0)[0]
        return aggs * sign_to_mult
    raise ValueError(merge_func)


def ties_merging(flat_task_checks, reset_thresh, merge_func, info):
    all_checks = flat_task_checks.clone()
    if reset_thresh < 100:
        updated_checks, kept, _, kth = topk_values_mask(all_checks, K=reset_thresh, return_mask=True)
        info["thresholds"] = kth.tolist()
        info["kept_fraction"] = kept.tolist()
    else:
        updated_checks = all_checks
    final_signs, majority = resolve_sign(updated_checks)
    info["majority_sign"] = float(majority)
    return disjoint_merge(updated_checks, merge_func, final_signs)


# --- tallmask_utils.py -----------------------------------------------------------------------
def generate_task_masks(tv_flat_checks, flat_ft, flat_ptm, tv, lambdas):
    flat_multi = flat_ptm + tv
    diff_pt_ft = (flat_ptm - flat_ft).abs()
    diff_multi_ft = (flat_multi - flat_ft).abs()
    lam = torch.tensor(lambdas, dtype=torch.float32).unsqueeze(1)
    return diff_pt_ft > diff_multi_ft * lam


# --- eval.py ---------------------------------------------------------------------------------
def lines_scaling(tv_dict, alpha, beta, num_blocks):
    out = {}
    for k, v in tv_dict.items():
        scale = alpha
        for i in range(num_blocks):
            if f".{i}." in k:
                scale = alpha + beta * (i / (num_blocks - 1)) if num_blocks > 1 else alpha
                break
        out[k] = v * scale
    return out


def detect_blocks(keys, pattern):
    rx = re.compile(pattern)
    idx = [int(m.group(1)) for k in keys for m in [rx.search(k)] if m]
    return max(idx) + 1 if idx else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--method", required=True, choices=["sum", "average", "ties", "consensus", "mag-masking", "tall-masks", "edit"])
    ap.add_argument("--pretrained", required=True)
    ap.add_argument("--finetuned", nargs="+", required=True)
    ap.add_argument("--coefficient", type=float, default=1.0)
    ap.add_argument("--k", type=float, default=None)
    ap.add_argument("--agg", default="mean", choices=["mean", "sum", "max"])
    ap.add_argument("--prun-thre-k", type=int, default=2)
    ap.add_argument("--tall-lambda", type=float, nargs="+", default=[0.4])
    ap.add_argument("--use-ties", action="store_true")
    ap.add_argument("--masks", default=None, help="safetensors U8 packbits masks (tall-masks output)")
    ap.add_argument("--lines", action="store_true")
    ap.add_argument("--alpha", type=float, default=None)
    ap.add_argument("--beta", type=float, default=None)
    ap.add_argument("--gamma", type=float, default=None)
    ap.add_argument("--block-pattern", default=r"(?:^|\.)visual\.transformer\.resblocks\.(\d+)\.")
    ap.add_argument("--task-vector", action="store_true", help="write the scaled merged task vector only")
    ap.add_argument("--report", default=None, help="write alpha, thresholds, ... as JSON")
    ap.add_argument("-o", "--output", required=True)
    a = ap.parse_args()
    t0 = time.time()
    torch.set_grad_enabled(False)

    ptm_check = load(a.pretrained)
    tasks = [task_name(f) for f in a.finetuned]
    ft_checks = [load(p) for _, p in tasks]
    names = [n for n, _ in tasks]
    T = len(ft_checks)
    flat_ft = torch.vstack([state_dict_to_vector(c) for c in ft_checks])
    flat_ptm = state_dict_to_vector(ptm_check)
    tv_flat_checks = flat_ft - flat_ptm
    d = flat_ptm.numel()
    info = {"method": a.method, "tasks": names, "d": d}
    print(f"loaded {T} tasks, d = {d} ({time.time() - t0:.1f}s)", file=sys.stderr)

    def base_mtl(use_ties):
        return ties_merging(tv_flat_checks, 20, "sum", info) if use_ties else tv_flat_checks.sum(dim=0)

    if a.method == "tall-masks":
        tv = base_mtl(a.use_ties)
        lams = a.tall_lambda if len(a.tall_lambda) == T else a.tall_lambda * T
        masks = generate_task_masks(tv_flat_checks, flat_ft, flat_ptm, tv, lams)
        packed = {n: torch.from_numpy(np.packbits(masks[i].numpy())) for i, n in enumerate(names)}
        save_file(packed, a.output)
        info["mask_fraction"] = masks.float().mean(dim=1).tolist()
        if a.report:
            json.dump(info, open(a.report, "w"), indent=1)
        return

    coef = a.coefficient
    if a.method in ("sum", "edit"):
        merged_tv = tv_flat_checks.sum(dim=0)
        summed = merged_tv
    elif a.method == "average":
        merged_tv = tv_flat_checks.sum(dim=0)
        coef = coef / T
    elif a.method == "ties":
        merged_tv = ties_merging(tv_flat_checks, a.k if a.k is not None else 20, a.agg, info)
        summed = tv_flat_checks.sum(dim=0)  # TIES trims a copy: tau~ are the untrimmed vectors
    elif a.method == "consensus":
        merged_tv = base_mtl(a.use_ties)
        if a.masks:
            stored = load_file(a.masks)
            tall = {n: torch.from_numpy(np.unpackbits(stored[n].numpy())).bool()[:d] for n in names}
        else:
            lams = a.tall_lambda if len(a.tall_lambda) == T else a.tall_lambda * T
            m = generate_task_masks(tv_flat_checks, flat_ft, flat_ptm, merged_tv, lams)
            tall = {n: m[i] for i, n in enumerate(names)}
        counts = sum(v.long() for v in tall.values())
        consensus_mask = counts >= a.prun_thre_k
        info["consensus_fraction"] = consensus_mask.float().mean().item()
        merged_tv = merged_tv * consensus_mask
        summed = tv_flat_checks.sum(dim=0)
    elif a.method == "mag-masking":
        merged_tv = tv_flat_checks.sum(dim=0)
        _, _, masks, kth = topk_values_mask(tv_flat_checks.clone(), K=a.k if a.k is not None else 10, return_mask=True)
        info["thresholds"] = kth.tolist()
        os.makedirs(a.output, exist_ok=True)
        for i, n in enumerate(names):
            tv_dict = vector_to_state_dict(merged_tv * masks[i], ptm_check)
            out = {k: (coef * v if a.task_vector else ptm_check[k].float() + coef * v).to(ptm_check[k].dtype).contiguous() for k, v in tv_dict.items()}
            save_file(out, os.path.join(a.output, f"{n}.safetensors"))
        if a.report:
            json.dump(info, open(a.report, "w"), indent=1)
        return

    tv_dict = vector_to_state_dict(merged_tv, ptm_check)
    if a.lines or a.method == "edit":
        L = detect_blocks(list(ptm_check.keys()), a.block_pattern)
        if a.method == "edit":
            alpha, beta = (a.gamma, 1 - a.gamma) if a.gamma is not None else (a.alpha, a.beta)
        else:
            beta = a.beta
            if a.alpha is not None:
                alpha = a.alpha
            else:
                norm_summed_tvs = summed.abs().sum().item()
                norm_mtv = merged_tv.abs().sum().item()
                info["norm_summed"], info["norm_merged"] = norm_summed_tvs, norm_mtv
                alpha = norm_summed_tvs / norm_mtv / T
        info.update(alpha=alpha, beta=beta, L=L)
        print(f"LiNeS alpha={alpha:.6f} beta={beta} L={L}", file=sys.stderr)
        tv_dict = lines_scaling(tv_dict, alpha, beta, L)
    out = {}
    for k, v in tv_dict.items():
        val = coef * v if coef != 1 else v
        out[k] = (val if a.task_vector else ptm_check[k].float() + val).to(ptm_check[k].dtype).contiguous()
    save_file(out, a.output)
    if a.report:
        json.dump(info, open(a.report, "w"), indent=1)
    print(f"done in {time.time() - t0:.1f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
