"""Writes the LLM merge benchmark's models once: a random-init Llama-shaped base and three
"fine-tuned" copies (base + 0.01·N(0,1)), bf16, sharded at 1 GB, as save_pretrained writes them.

    python3 Benchmarks/mergekit_llm_setup.py DIR [hidden layers intermediate vocab]

Default shape: TinyLlama-1.1B's (hidden 2048, 22 layers, intermediate 5632, vocab 32000; 1.1 B
parameters, 2.2 GB per model).
"""
import os, sys
import torch, transformers

out = sys.argv[1]
h, L, m, v = (int(x) for x in (sys.argv[2:6] if len(sys.argv) >= 6 else (2048, 22, 5632, 32000)))
cfg = transformers.LlamaConfig(hidden_size=h, num_hidden_layers=L, intermediate_size=m, vocab_size=v,
                               num_attention_heads=max(1, h // 64), num_key_value_heads=max(1, h // 256),
                               max_position_embeddings=2048, tie_word_embeddings=False)
torch.manual_seed(0)
with torch.device("cpu"):
    model = transformers.LlamaForCausalLM(cfg).to(torch.bfloat16)
base = {k: t.clone() for k, t in model.state_dict().items()}
print(f"{sum(t.numel() for t in base.values()) / 1e9:.3f} B parameters", flush=True)
for i, name in enumerate(["base", "a", "b", "c"]):
    if i > 0:
        g = torch.Generator().manual_seed(i)
        model.load_state_dict({k: (t.float() + 0.01 * torch.randn(t.shape, generator=g)).to(torch.bfloat16) for k, t in base.items()})
    model.save_pretrained(os.path.join(out, name), safe_serialization=True, max_shard_size="1GB")
    print("wrote", name, flush=True)
