#!/usr/bin/env python3
"""Helper of Benchmarks/text_heads_bench.sh: the model, class names and the open_clip peer.

    python3 Benchmarks/text_heads_bench.py prepare DIR          # random-init ViT-B-32-quickgelu text tower + class-name files
    python3 Benchmarks/text_heads_bench.py tasks N              # the first N tasks' names, one per line
    python3 Benchmarks/text_heads_bench.py torch DIR N THREADS [batched]  # the reference's build_classification_head, timed
    python3 Benchmarks/text_heads_bench.py compare DIR N LINES_SECONDS TORCH_JSON

The six tasks whose class names come from the data (DTD, SUN397, CIFAR100, Food101,
OxfordIIITPet, Cars) get stand-in names with the real class counts (seeded two-word names), written
to DIR/classnames/{X}.txt and given to `lines heads --class-names`, so both sides build the same
20 heads. The peer is the reference's loop (src/models/heads.py): per class, open_clip.tokenize
the filled templates, encode_text, normalise, mean, normalise; stack, transpose, scale, transpose.
"""
import json
import random
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "Scripts" / "fixtures"))
from task_prompts import CLASSNAMES, TEMPLATES  # noqa: E402

ORDER = ["EuroSAT", "DTD", "SUN397", "MNIST", "RESISC45", "GTSRB", "Cars", "SVHN", "STL10", "OxfordIIITPet",
         "Flowers102", "CIFAR100", "PCAM", "FER2013", "CIFAR10", "Food101", "FashionMNIST", "RenderedSST2",
         "EMNIST", "KMNIST"]
DATA_TASKS = {"DTD": 47, "SUN397": 397, "CIFAR100": 100, "Food101": 101, "OxfordIIITPet": 37, "Cars": 196}
MODEL = "ViT-B-32-quickgelu"
WORDS = ("red blue green striped dotted old new wooden stone glass paper metal small large round square "
         "house bridge garden kitchen forest river mountain beach street market church castle tower field "
         "apple bread cheese soup cake noodle rice salad sedan coupe truck wagon terrier spaniel tabby "
         "persian beagle collie pattern texture fabric marble").split()


def model_path(d):
    return Path(d) / f"{MODEL}-text.safetensors"


def prepare(d):
    import open_clip
    from safetensors.torch import save_file
    d = Path(d)
    (d / "classnames").mkdir(parents=True, exist_ok=True)
    rng = random.Random(0)
    for task, n in DATA_TASKS.items():
        names = [f"{rng.choice(WORDS)} {rng.choice(WORDS)}" for _ in range(n)]
        (d / "classnames" / f"{task}.txt").write_text("\n".join(names) + "\n", encoding="utf-8")
    if model_path(d).exists():
        return
    torch.manual_seed(0)
    model = open_clip.create_model(MODEL, pretrained=None)
    sd = {k: v.contiguous() for k, v in model.state_dict().items() if not k.startswith("visual.")}
    save_file(sd, str(model_path(d)))
    print(f"wrote {model_path(d)} ({sum(v.numel() for v in sd.values()) / 1e6:.1f} M values)", file=sys.stderr)


def class_names(d, task):
    if task in CLASSNAMES:
        return CLASSNAMES[task]
    return (Path(d) / "classnames" / f"{task}.txt").read_text(encoding="utf-8").splitlines()


def run_torch(d, n, threads, batched=False):
    import open_clip
    from safetensors.torch import load_file, save_file
    torch.set_num_threads(threads)
    model = open_clip.create_model(MODEL, pretrained=None)
    missing, _ = model.load_state_dict(load_file(str(model_path(d))), strict=False)
    assert all(k.startswith("visual.") for k in missing), missing[:3]
    model.eval()
    out = Path(d) / "torch_heads"
    out.mkdir(exist_ok=True)
    heads, texts = {}, 0
    start = time.perf_counter()
    with torch.no_grad():
        for task in ORDER[:n]:
            zeroshot_weights = []
            names, templates = class_names(d, task), TEMPLATES[task]
            if batched:  # not the reference: every text of the task in batches of 256
                t = open_clip.tokenize([tpl.format(c) for c in names for tpl in templates])
                features = torch.cat([model.encode_text(t[i:i + 256]) for i in range(0, len(t), 256)])
            for k, classname in enumerate(names):
                if batched:
                    embeddings = features[k * len(templates):(k + 1) * len(templates)].clone()
                else:
                    t = open_clip.tokenize([tpl.format(classname) for tpl in templates])
                    embeddings = model.encode_text(t)
                embeddings /= embeddings.norm(dim=-1, keepdim=True)
                embeddings = embeddings.mean(dim=0, keepdim=True)
                embeddings /= embeddings.norm()
                zeroshot_weights.append(embeddings)
                texts += len(templates)
            w = torch.stack(zeroshot_weights, dim=0)
            w = torch.transpose(w, 0, 2)
            w *= model.logit_scale.exp()
            w = w.squeeze().float()
            heads[task] = torch.transpose(w, 0, 1).contiguous()
    seconds = time.perf_counter() - start
    for task, w in heads.items():
        save_file({"weight": w}, str(out / f"head_{task}Val.safetensors"))
    mode = "all texts of a task in batches of 256" if batched else "reference loop"
    print(json.dumps({"peer": f"open_clip {open_clip.__version__} torch {torch.__version__} ({threads} threads, {mode})",
                      "heads": len(heads), "texts": texts, "seconds": seconds}))


def compare(d, n, lines_seconds, torch_json):
    from safetensors.torch import load_file
    peer = json.loads(torch_json)
    worst = 0.0
    for task in ORDER[:n]:
        ours = load_file(str(Path(d) / "lines_heads" / f"head_{task}Val.safetensors"))["weight"]
        ref = load_file(str(Path(d) / "torch_heads" / f"head_{task}Val.safetensors"))["weight"]
        assert ours.shape == ref.shape, (task, ours.shape, ref.shape)
        err = ((ours - ref).abs().max(dim=1).values / ref.norm(dim=1)).max().item()
        worst = max(worst, err)
    ours_rate = n / lines_seconds
    torch_rate = peer["heads"] / peer["seconds"]
    print(f"{n} heads, {peer['texts']} texts: lines {lines_seconds:.2f} s ({ours_rate:.3f} heads/s), "
          f"{peer['peer']} {peer['seconds']:.2f} s ({torch_rate:.3f} heads/s): ratio {ours_rate / torch_rate:.1f}x; "
          f"max |lines - open_clip| {worst:.2e} of the row norm")


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "prepare":
        prepare(sys.argv[2])
    elif cmd == "tasks":
        print("\n".join(ORDER[: int(sys.argv[2])]))
    elif cmd == "torch":
        run_torch(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), len(sys.argv) > 5 and sys.argv[5] == "batched")
    elif cmd == "compare":
        compare(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), sys.argv[5])
