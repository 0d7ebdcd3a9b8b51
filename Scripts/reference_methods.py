#!/usr/bin/env python3
"""PyTorch transcription of the authors' public code for three SVD-based task-vector merges, used to
write the expected outputs of the Swift tests:

  TSV-M    AntoAndGar/task_singular_vectors @ a6c97188f7aa0bb20753de4f2939be89dd64f1c3
           src/utils/TSVM_utils.py::compute_and_sum_svd_mem_reduction (called by
           src/eval/aggregation.py::create_task_vector for method "TSVM")
  Iso-C    danielm1405/iso-merging @ d34010af8ba129ef4d17a91ca9943b413fe06f8c  src/utils/iso.py::iso_c
  Iso-CTS  danielm1405/iso-merging @ d34010af8ba129ef4d17a91ca9943b413fe06f8c  src/utils/iso.py::iso_cts
           (config/method/iso_cts.yaml: common_space_fraction = 0.8)

(tanganke/fusion_bench @ 54c9e8c9 fusion_bench/method/{task_singular_vector/utils/TSVM_utils.py,
isotropic_merging/iso_utils.py} are the same algorithms, with `key not in exclude_keys` in place of
`"text_projection" not in key`.)

The three functions below are the authors' code with the prints, the hydra config and the
`.to(device)` calls taken out (device is CPU here; the authors run on "cuda"); every tensor op, its
order, its dtype (float32 throughout: the task vectors are float32 and nothing casts) and every
torch.linalg.svd(full_matrices=False) / multi_dot call is kept. Task vectors are built as
NonLinearTaskVector does: tau[key] = theta_t[key] - theta0[key] for every key of theta0 except
int64 / uint8 ones, in float32. Outputs are tau_MTL (alpha = 1); the authors then evaluate
theta0 + alpha * tau_MTL for alpha in np.linspace(0.0, 3.0, 31)[1:] (0.1 .. 3.0).

    python3 Scripts/reference_methods.py

writes
  Tests/Fixtures/merge/expected/{tsv,iso_c,iso_cts}_tau.safetensors   (+ iso_cts_f0.5_tau: see below)
  Tests/Fixtures/merge/expected/*_tau_f64.safetensors   the same code run on float64 task vectors
                                                        (the exact result, for tolerances below the
                                                        float32 run's own error)
  Tests/Fixtures/merge/expected/svd_methods.json
  Tests/Fixtures/merge/svd_repeated/{zeroshot,t0,t1,t2,t3}.safetensors
  Tests/Fixtures/merge/svd_repeated/{tsv,iso_c,iso_cts,iso_cts_f0.5}_tau.safetensors

Every 2-D matrix of the fixture model has min(shape) <= 8, and with T = 4 and the default
common_space_fraction 0.8 Iso-CTS's task-specific space is then empty (min = 8: int(6.4) = 6,
round((8 - 6) / 4) = round(0.5) = 0 by Python's round-half-to-even), i.e. Iso-CTS degenerates to
"whole common space" on every key. So besides the default fixture an extra one with
common_space_fraction = 0.5 (min = 8 -> common 4 + 4 tasks x 1) exercises the task-specific path.

Repeated singular values (svd_repeated/): one key "model.visual.transformer.resblocks.0.mlp.c_fc.weight"
of shape (12, 8) and its (12,) bias, T = 4. tau_t = c * Q_t diag(sigma_t) R_t^T with Q_t (12 x 8),
R_t (8 x 8) orthonormal from torch.linalg.qr of seeded Gaussian matrices and sigma_t with exact ties,
e.g. [3, 3, 1, 1, 1, 1, 1, 1]. Individual U, V are then not unique (any rotation inside a tie block),
but the results are: TSV keeps k = int(8 * (1/4)) = 2 components per task and every sigma_t starts
with a tie block of exactly two values followed by a strictly smaller one, so no tie straddles the
truncation boundary and the kept block's rotation cancels in polar(U_cat) diag(s) polar(V_cat)
(s is constant on the block). Iso-C / Iso-CTS (f = 0.8: common space = everything) only use the
polar factor of the (full-rank) sum, which is unique whatever the ties. Iso-CTS f = 0.5 truncates
the sum's spectrum at 4 and each projected task matrix at 1: those spectra are generic (no ties),
which the script checks. The json records, per method, the float32-vs-float64 difference and, for
TSV, the difference from the closed form built from the construction's Q_t, R_t.
"""
import argparse
import json
import os
from types import SimpleNamespace

import torch
from safetensors.torch import load_file, save_file

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
MERGE = os.path.join(ROOT, "Tests", "Fixtures", "merge")
TASKS = ["EuroSAT", "DTD", "MNIST", "SVHN"]

TSV_COMMIT = "a6c97188f7aa0bb20753de4f2939be89dd64f1c3"
ISO_COMMIT = "d34010af8ba129ef4d17a91ca9943b413fe06f8c"
FUSION_BENCH_COMMIT = "54c9e8c9d9621620c720452cd8533332a32d3689"
ALPHA_GRID = [round(0.1 * i, 1) for i in range(1, 31)]  # np.linspace(0.0, 3.0, 31)[1:]


def is_matrix(key, shape):
    """The authors' test, identical in TSVM_utils.py and iso.py."""
    return len(shape) == 2 and "text_projection" not in key


# --- task vectors (src/models/task_vectors.py::_TaskVector.__init__, both repos) -------------
class TaskVector:
    """AntoAndGar/task_singular_vectors @ a6c97188 src/models/task_vectors.py::_TaskVector.__init__:
    vector[key] = finetuned[key] - pretrained[key], skipping int64 and uint8 keys."""

    def __init__(self, pretrained_state_dict, finetuned_state_dict):
        with torch.no_grad():
            assert pretrained_state_dict.keys() == finetuned_state_dict.keys()
            self.vector = {}
            for key in pretrained_state_dict:
                if pretrained_state_dict[key].dtype == torch.int64:
                    continue
                if pretrained_state_dict[key].dtype == torch.uint8:
                    continue
                self.vector[key] = finetuned_state_dict[key] - pretrained_state_dict[key]


# --- TSV-M -------------------------------------------------------------------------------------
def compute_and_sum_svd_mem_reduction(task_vectors, config):
    """AntoAndGar/task_singular_vectors @ a6c97188f7aa0bb20753de4f2939be89dd64f1c3,
    src/utils/TSVM_utils.py::compute_and_sum_svd_mem_reduction (TSV-M, method "TSVM")."""
    sv_reduction = 1 / len(config.DATASETS)
    device = config.device
    with torch.no_grad():
        new_vector = {}
        for key in task_vectors[0].vector:
            new_vector[key] = {}
            for i, (task_vector, dataset) in enumerate(zip(task_vectors, config.DATASETS)):
                vec = task_vector.vector[key].to(device)

                if len(task_vector.vector[key].shape) == 2 and "text_projection" not in key:
                    u, s, v = torch.linalg.svd(vec, full_matrices=False)

                    if i == 0:
                        sum_u = torch.zeros_like(u, device=device)
                        sum_s = torch.zeros_like(s, device=device)
                        sum_v = torch.zeros_like(v, device=device)
                    reduced_index_s = int(s.shape[0] * sv_reduction)

                    # select only the first reduced_index_s columns of u and place them
                    sum_u[:, i * reduced_index_s : (i + 1) * reduced_index_s] = u[:, :reduced_index_s]
                    sum_s[i * reduced_index_s : (i + 1) * reduced_index_s] = s[:reduced_index_s]
                    # select only the first reduced_index_s rows of v and place them
                    sum_v[i * reduced_index_s : (i + 1) * reduced_index_s, :] = v[:reduced_index_s, :]

                else:
                    if i == 0:
                        new_vector[key] = vec.clone()
                    else:
                        new_vector[key] += (vec - new_vector[key]) / (i + 1)

            if len(task_vector.vector[key].shape) == 2 and "text_projection" not in key:
                u_u, s_u, v_u = torch.linalg.svd(sum_u, full_matrices=False)
                u_v, s_v, v_v = torch.linalg.svd(sum_v, full_matrices=False)

                new_vector[key] = torch.linalg.multi_dot(
                    (
                        u_u,
                        v_u,
                        torch.diag(sum_s),
                        u_v,
                        v_v,
                    )
                )

    return new_vector


# --- Iso-C -------------------------------------------------------------------------------------
def iso_c(task_vectors, config):
    """danielm1405/iso-merging @ d34010af8ba129ef4d17a91ca9943b413fe06f8c, src/utils/iso.py::iso_c."""
    device = config.device
    with torch.no_grad():
        new_vector = {}
        for key in task_vectors[0].vector:
            tvs = [task_vector.vector[key].to(device) for task_vector in task_vectors]
            new_vector[key] = sum(tvs) / len(tvs)

            if len(task_vectors[0].vector[key].shape) == 2 and "text_projection" not in key:
                new_vector[key] *= len(tvs)
                U, S, V = torch.linalg.svd(new_vector[key], full_matrices=False)
                S_mean = torch.ones_like(S) * S.mean()

                new_vector[key] = torch.linalg.multi_dot(
                    (
                        U,
                        torch.diag(S_mean),
                        V,
                    )
                )

    return new_vector


# --- Iso-CTS -----------------------------------------------------------------------------------
def iso_cts_sizes(shape_, num_tasks, common_space_fraction):
    """The index arithmetic of iso_cts below (Python int() truncation, round() half-to-even)."""
    common_space_index_s = int(min(shape_) * common_space_fraction)
    _task_specific_total_space_index_s = round((min(shape_) - common_space_index_s) / num_tasks) * num_tasks
    common_space_index_s = min(shape_) - _task_specific_total_space_index_s
    n_dims_per_task = int((min(shape_) - common_space_index_s) / num_tasks)
    return common_space_index_s, n_dims_per_task


@torch.no_grad()
def iso_cts(task_vectors, config):
    """danielm1405/iso-merging @ d34010af8ba129ef4d17a91ca9943b413fe06f8c, src/utils/iso.py::iso_cts."""
    device = config.device
    new_vector = {}

    for key in task_vectors[0].vector:
        shape_ = task_vectors[0].vector[key].shape

        is_2d_matrix = (len(shape_) == 2) and ("text_projection" not in key)
        if not is_2d_matrix:
            for i, (task_vector, dataset) in enumerate(zip(task_vectors, config.DATASETS)):
                vec = task_vector.vector[key].to(device)
                if i == 0:
                    new_vector[key] = vec.clone()
                else:
                    new_vector[key] += (vec - new_vector[key]) / (i + 1)
            continue

        combined_w = sum([task_vector.vector[key].to(device) for task_vector in task_vectors])

        ### Calculate the common space size (making sure that task specific space is equally divisible) ###
        common_space_index_s = int(min(shape_) * config.method.common_space_fraction)
        _task_specific_total_space_index_s = round((min(shape_) - common_space_index_s) / len(config.DATASETS)) * len(config.DATASETS)
        common_space_index_s = min(shape_) - _task_specific_total_space_index_s

        u, s, v = torch.linalg.svd(combined_w, full_matrices=False)
        common_space_u = u[:, :common_space_index_s]
        common_space_s = s[:common_space_index_s]
        common_space_v = v[:common_space_index_s, :]

        ### Calculate task specific space ###
        n_dims_per_task = int((min(shape_) - common_space_index_s) / len(config.DATASETS))
        for i, task_vector in enumerate(task_vectors):
            w = task_vector.vector[key].to(device)

            # calculate the projection onto task specific space to remove the common space
            w_ts = w - common_space_u @ common_space_u.T @ w
            u_ts, s_ts, v_ts = torch.linalg.svd(w_ts, full_matrices=False)

            if i == 0:
                combined_space_u = torch.zeros_like(u_ts, device=device)
                combined_space_s = torch.zeros_like(s_ts, device=device)
                combined_space_v = torch.zeros_like(v_ts, device=device)

            combined_space_u[:, i * n_dims_per_task : (i + 1) * n_dims_per_task] = u_ts[:, :n_dims_per_task]
            combined_space_s[i * n_dims_per_task : (i + 1) * n_dims_per_task] = s_ts[:n_dims_per_task]
            combined_space_v[i * n_dims_per_task : (i + 1) * n_dims_per_task, :] = v_ts[:n_dims_per_task, :]

        combined_space_u[:, len(config.DATASETS) * n_dims_per_task : len(config.DATASETS) * n_dims_per_task + common_space_index_s] = common_space_u
        combined_space_s[len(config.DATASETS) * n_dims_per_task : len(config.DATASETS) * n_dims_per_task + common_space_index_s] = common_space_s
        combined_space_v[len(config.DATASETS) * n_dims_per_task : len(config.DATASETS) * n_dims_per_task + common_space_index_s, :] = common_space_v

        ### Orthogonalize combined_space_u and combined_space_v ###
        u_combined_space_u, s_combined_space_u, v_combined_space_u = torch.linalg.svd(combined_space_u, full_matrices=False)
        u_combined_space_v, s_combined_space_v, v_combined_space_v = torch.linalg.svd(combined_space_v, full_matrices=False)
        combined_space_u = u_combined_space_u @ v_combined_space_u
        combined_space_v = u_combined_space_v @ v_combined_space_v

        combined_space_s = torch.ones_like(combined_space_s) * combined_space_s.mean()

        new_vector[key] = torch.linalg.multi_dot(
            (
                combined_space_u,
                torch.diag(combined_space_s),
                combined_space_v,
            )
        )

    return new_vector


# --- driver ------------------------------------------------------------------------------------
def make_config(names, common_space_fraction=0.8):
    return SimpleNamespace(DATASETS=list(names), num_tasks=len(names), device="cpu",
                           method=SimpleNamespace(common_space_fraction=common_space_fraction))


METHODS = {
    "tsv": (compute_and_sum_svd_mem_reduction, None),
    "iso_c": (iso_c, None),
    "iso_cts": (iso_cts, 0.8),
    "iso_cts_f0.5": (iso_cts, 0.5),
}


def run_all(theta0, finetuned, names):
    """Runs every method in float32 (the fixture) and float64 (for the tolerance report)."""
    out, out64, drift = {}, {}, {}
    tvs32 = [TaskVector(theta0, ft) for ft in finetuned]
    tvs64 = [SimpleNamespace(vector={k: v.double() for k, v in tv.vector.items()}) for tv in tvs32]
    for name, (fn, frac) in METHODS.items():
        cfg = make_config(names, 0.8 if frac is None else frac)
        r32 = fn(tvs32, cfg)
        r64 = fn(tvs64, cfg)
        for k in theta0:
            assert k in r32, f"{name}: no output for {k} (int key?)"
            assert r32[k].dtype == torch.float32 and r32[k].shape == theta0[k].shape, (name, k)
            assert torch.isfinite(r32[k]).all(), (name, k)
        out[name] = {k: r32[k].detach().clone().contiguous() for k in theta0}
        out64[name] = {k: r64[k].detach().clone().contiguous() for k in theta0}
        drift[name] = {k: float((r32[k].double() - r64[k]).abs().max()) if r32[k].numel() else 0.0 for k in theta0}
    run_all.float64 = out64
    return out, drift, tvs32


def key_table(theta0, num_tasks):
    rows = {}
    for k, v in theta0.items():
        shape = list(v.shape)
        row = {"shape": shape, "matrix": is_matrix(k, shape)}
        if row["matrix"]:
            r = min(shape)
            kk = int(r * (1 / num_tasks))
            row["tsv"] = {"r": r, "k_per_task": kk, "slots": [[i * kk, (i + 1) * kk] for i in range(num_tasks)],
                          "zero_slots": [num_tasks * kk, r]}
            for f in (0.8, 0.5):
                c, n = iso_cts_sizes(shape, num_tasks, f)
                row[f"iso_cts_f{f}"] = {"common": c, "per_task": n, "task_slots": [[i * n, (i + 1) * n] for i in range(num_tasks)],
                                        "common_slots": [num_tasks * n, num_tasks * n + c]}
        rows[k] = row
    return rows


def save(tensors, path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    save_file({k: v.contiguous() for k, v in tensors.items()}, path)
    os.chmod(path, 0o644)


def main_fixture(report):
    theta0 = load_file(os.path.join(MERGE, "zeroshot.safetensors"))
    finetuned = [load_file(os.path.join(MERGE, f"{n}Val", "nonlinear_finetuned.safetensors")) for n in TASKS]
    out, drift, _ = run_all(theta0, finetuned, TASKS)
    exp = os.path.join(MERGE, "expected")
    for name, tensors in out.items():
        save(tensors, os.path.join(exp, f"{name}_tau.safetensors"))
        # The same code run on float64 task vectors: the exact result, to test against where the
        # float32 run's own error (near-repeated singular values) exceeds the tolerance.
        save(run_all.float64[name], os.path.join(exp, f"{name}_tau_f64.safetensors"))
    iso_c_vs_cts = max(float((out["iso_c"][k] - out["iso_cts"][k]).abs().max()) if out["iso_c"][k].numel() else 0.0 for k in theta0)
    table = key_table(theta0, len(TASKS))
    for k, row in table.items():
        row["max_abs_diff_float32_vs_float64"] = {m: drift[m][k] for m in drift}
    report["fixture"] = {
        "pretrained": "Tests/Fixtures/merge/zeroshot.safetensors",
        "finetuned": [f"Tests/Fixtures/merge/{n}Val/nonlinear_finetuned.safetensors" for n in TASKS],
        "tasks": TASKS,
        "outputs": {m: f"Tests/Fixtures/merge/expected/{m}_tau.safetensors" for m in out},
        "matrix_keys": [k for k, r in table.items() if r["matrix"]],
        "non_matrix_keys": [k for k, r in table.items() if not r["matrix"]],
        "keys": table,
        "max_abs_diff_float32_vs_float64": {m: max(d.values()) for m, d in drift.items()},
        "max_abs_diff_iso_c_vs_iso_cts_default": iso_c_vs_cts,
    }


def orthonormal(g, m, n):
    q, _ = torch.linalg.qr(torch.randn(m, n, generator=g, dtype=torch.float64))
    return q


def repeated_fixture(report):
    """theta0 random; tau_t = c * Q_t diag(sigma_t) R_t^T with exact ties; no tie straddles TSV's
    k = 2 boundary (sigma_t[1] > sigma_t[2] for every t)."""
    key_w = "model.visual.transformer.resblocks.0.mlp.c_fc.weight"
    key_b = "model.visual.transformer.resblocks.0.mlp.c_fc.bias"
    m, n, T = 12, 8, 4
    c = 1e-2
    sigmas = [
        [3, 3, 1, 1, 1, 1, 1, 1],
        [2, 2, 1, 1, 0.5, 0.5, 0, 0],  # rank 6: exact zeros too
        [1.5, 1.5, 0.75, 0.75, 0.75, 0.75, 0.75, 0.75],
        [2.5, 2.5, 2, 2, 2, 2, 1, 1],
    ]
    g = torch.Generator().manual_seed(1234)
    theta0 = {key_w: (torch.randn(m, n, generator=g, dtype=torch.float64) * 0.02).float(),
              key_b: (torch.randn(m, generator=g, dtype=torch.float64) * 0.02).float()}
    Qs, Rs, taus = [], [], []
    for t in range(T):
        Q, R = orthonormal(g, m, n), orthonormal(g, n, n)
        tau_w = c * Q @ torch.diag(torch.tensor(sigmas[t], dtype=torch.float64)) @ R.T
        tau_b = c * torch.randn(m, generator=g, dtype=torch.float64)
        Qs.append(Q)
        Rs.append(R)
        taus.append({key_w: tau_w, key_b: tau_b})
    d = os.path.join(MERGE, "svd_repeated")
    save(theta0, os.path.join(d, "zeroshot.safetensors"))
    finetuned = []
    for t in range(T):
        ft = {k: (theta0[k].double() + taus[t][k]).float() for k in theta0}
        save(ft, os.path.join(d, f"t{t}.safetensors"))
        finetuned.append(load_file(os.path.join(d, f"t{t}.safetensors")))
    theta0 = load_file(os.path.join(d, "zeroshot.safetensors"))
    names = [f"t{t}" for t in range(T)]
    out, drift, tvs = run_all(theta0, finetuned, names)
    for name, tensors in out.items():
        save(tensors, os.path.join(d, f"{name}_tau.safetensors"))

    # Closed form of TSV from the construction (float64): the kept block of task t is exactly
    # Q_t[:, :2] (3c...) R_t[:, :2]^T up to a rotation that cancels.
    kk = 2
    A = torch.cat([Q[:, :kk] for Q in Qs], dim=1)
    B = torch.cat([R[:, :kk].T for R in Rs], dim=0)
    s = torch.tensor([c * sg[0] for sg in sigmas for _ in range(kk)], dtype=torch.float64)
    ua, _, va = torch.linalg.svd(A, full_matrices=False)
    ub, _, vb = torch.linalg.svd(B, full_matrices=False)
    closed = (ua @ va) @ torch.diag(s) @ (ub @ vb)
    tsv_closed = float((out["tsv"][key_w].double() - closed).abs().max())
    # Iso-C closed form: mean(S) * polar(sum tau_t), float64 from the construction.
    tot = sum(t[key_w] for t in taus)
    U, S, V = torch.linalg.svd(tot, full_matrices=False)
    iso_c_closed = float((out["iso_c"][key_w].double() - S.mean() * (U @ V)).abs().max())

    # Spectra actually seen in float32 (ties are exact only up to rounding of theta_t - theta0),
    # and the gaps at every truncation boundary the methods use.
    spectra = [torch.linalg.svd(tv.vector[key_w], full_matrices=False)[1].tolist() for tv in tvs]
    sum_w = sum(tv.vector[key_w] for tv in tvs)
    sum_spec = torch.linalg.svd(sum_w, full_matrices=False)[1]
    common, per = iso_cts_sizes((m, n), T, 0.5)
    Uc = torch.linalg.svd(sum_w, full_matrices=False)[0][:, :common]
    ts_spec = [torch.linalg.svd(tv.vector[key_w] - Uc @ Uc.T @ tv.vector[key_w], full_matrices=False)[1].tolist() for tv in tvs]
    for sp in spectra:
        assert sp[1] - sp[2] > 0.25 * c, "TSV boundary must not split a tie"
    assert float(sum_spec[common - 1] - sum_spec[common]) > 1e-3 * c, "Iso-CTS f=0.5 common boundary"
    for sp in ts_spec:
        assert sp[0] - sp[1] > 1e-3 * c, "Iso-CTS f=0.5 task-specific boundary"
    assert float(sum_spec[-1]) > 1e-3 * c, "sum must be full rank for Iso-C's polar factor"

    report["svd_repeated"] = {
        "dir": "Tests/Fixtures/merge/svd_repeated",
        "keys": {key_w: [m, n], key_b: [m]},
        "construction": "tau_t = c * Q_t diag(sigma_t) R_t^T (float64), Q_t/R_t = qr(randn) with torch.Generator seed 1234; "
                        "theta0 = 0.02 randn; theta_t = float32(theta0 + tau_t); the reference uses tau = theta_t - theta0 in float32",
        "c": c,
        "sigma": sigmas,
        "tasks": names,
        "outputs": {mth: f"Tests/Fixtures/merge/svd_repeated/{mth}_tau.safetensors" for mth in out},
        "float32_task_spectra": spectra,
        "float32_sum_spectrum": sum_spec.tolist(),
        "iso_cts_f0.5_projected_task_spectra": ts_spec,
        "tsv_k_per_task": int(n * (1 / T)),
        "iso_cts_sizes": {"0.8": list(iso_cts_sizes((m, n), T, 0.8)), "0.5": [common, per]},
        "max_abs_diff_float32_vs_float64": {m: max(d.values()) for m, d in drift.items()},
        "max_abs_diff_tsv_vs_closed_form": tsv_closed,
        "max_abs_diff_iso_c_vs_closed_form": iso_c_closed,
        "note": "ties never straddle a truncation boundary: TSV keeps the 2-block [sigma_0, sigma_1] of every task "
                "(sigma_1 > sigma_2); Iso-C / Iso-CTS(f=0.8) use only the polar factor of the full-rank sum; "
                "Iso-CTS(f=0.5) boundaries fall on generic (untied) spectra.",
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.parse_args()
    torch.set_num_threads(1)  # deterministic CPU reductions
    report = {
        "methods": {
            "tsv": {
                "repo": "AntoAndGar/task_singular_vectors", "commit": TSV_COMMIT,
                "function": "src/utils/TSVM_utils.py::compute_and_sum_svd_mem_reduction",
                "called_from": "src/eval/aggregation.py::create_task_vector (method.name == 'TSVM', config/method/TSVM.yaml)",
                "hyperparameters": {"sv_reduction": "1/T (k = int(r * (1/T)) per task, r = min(shape))"},
                "matrix_rule": "len(shape) == 2 and 'text_projection' not in key",
                "non_matrix": "running mean over tasks: m = tau_0.clone(); m += (tau_i - m) / (i + 1)",
                "alpha_grid": ALPHA_GRID, "alpha_selection": "argmax avg_normalized_top1 on validation",
                "cross_check": f"tanganke/fusion_bench@{FUSION_BENCH_COMMIT} fusion_bench/method/task_singular_vector/utils/TSVM_utils.py (same ops; exclude_keys replaces the text_projection test)",
            },
            "iso_c": {
                "repo": "danielm1405/iso-merging", "commit": ISO_COMMIT, "function": "src/utils/iso.py::iso_c",
                "hyperparameters": {},
                "matrix_rule": "len(shape) == 2 and 'text_projection' not in key",
                "non_matrix": "sum(tvs) / T (Python sum, left to right)",
                "matrix": "M = (sum(tvs) / T) * T; U, S, V = svd(M); multi_dot(U, diag(ones * S.mean()), V)",
                "alpha_grid": ALPHA_GRID, "alpha_selection": "argmax avg_normalized_top1 on validation; early stop after 3 alphas without avg_top1 improvement (config early_stopping: true, patience 3)",
                "cross_check": f"tanganke/fusion_bench@{FUSION_BENCH_COMMIT} fusion_bench/method/isotropic_merging/iso_utils.py::iso_c",
            },
            "iso_cts": {
                "repo": "danielm1405/iso-merging", "commit": ISO_COMMIT, "function": "src/utils/iso.py::iso_cts",
                "hyperparameters": {"common_space_fraction": 0.8},
                "hyperparameter_source": "config/method/iso_cts.yaml and README (method.common_space_fraction=0.8)",
                "extra_fixture": {"name": "iso_cts_f0.5", "common_space_fraction": 0.5,
                                  "why": "with min(shape) <= 8 and T = 4 the default leaves no task-specific space"},
                "matrix_rule": "len(shape) == 2 and 'text_projection' not in key",
                "non_matrix": "running mean over tasks: m = tau_0.clone(); m += (tau_i - m) / (i + 1)",
                "alpha_grid": ALPHA_GRID, "alpha_selection": "as iso_c",
                "cross_check": f"tanganke/fusion_bench@{FUSION_BENCH_COMMIT} fusion_bench/method/isotropic_merging/iso_utils.py::iso_cts",
            },
        },
        "dtype": "float32 everywhere (no casts in the authors' code); CPU LAPACK here, CUDA in the authors' runs",
        "output": "tau_MTL with alpha = 1, every key of theta0",
    }
    main_fixture(report)
    repeated_fixture(report)
    path = os.path.join(MERGE, "expected", "svd_methods.json")
    with open(path, "w") as f:
        json.dump(report, f, indent=1)
    print(json.dumps({"main": report["fixture"]["max_abs_diff_float32_vs_float64"],
                      "iso_c_vs_iso_cts": report["fixture"]["max_abs_diff_iso_c_vs_iso_cts_default"],
                      "repeated": report["svd_repeated"]["max_abs_diff_float32_vs_float64"],
                      "tsv_closed": report["svd_repeated"]["max_abs_diff_tsv_vs_closed_form"],
                      "iso_c_closed": report["svd_repeated"]["max_abs_diff_iso_c_vs_closed_form"]}, indent=1))


if __name__ == "__main__":
    main()
