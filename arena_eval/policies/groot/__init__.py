"""The full GR00T flow-matching models (N1, N1.5, N1.6, N1.7) as a policy adapter (card `type: gr00t`).

N1 and N1.5:
- `config`: config.json dataclasses and the Eagle backbone config (from the processor dir);
- `backbone`, `action_head`, `modeling`: the model, its module tree mirroring the checkpoint keys;
- `metadata`, `processor`, `tokenizer`: statistics, image/text/state/action transforms, tokenizer dirs;
- `policy`: the adapter (`Gr00tPolicy`, which hands N1.6/N1.7 checkpoints to `policy_n1x`);
- `tiny`, `train`: tiny random checkpoints in the real layout, training small models.

N1.6 and N1.7:
- `config_n1x`: config.json with NVIDIA's class defaults, the backbone configs;
- `backbone_eagle3` (N1.6: SigLIP2 + Qwen3), `backbone_qwen3vl` (N1.7), `action_head_n1x`,
  `modeling_n1x`: the models, module trees mirroring the released checkpoints;
- `processor_n1x`, `images_n1x`: processor files, image/text/state/action transforms;
- `policy_n1x`: the adapter (`Gr00tN1xPolicy`); `tiny_n1x`: tiny random checkpoints.

Shared: `checkpoint` (strict safetensors loading and writing), `adapter_base` (card helpers,
bind, noise seeding), `tiny_cli` (scripts/make_tiny_groot.py).

Submodules are imported on use (torch and transformers are heavy).
"""
