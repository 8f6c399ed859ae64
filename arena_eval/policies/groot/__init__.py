"""The full GR00T N1.5 and N1 flow-matching model as a policy adapter (card `type: gr00t`).

- `config`: config.json dataclasses and the Eagle backbone config (from the processor dir);
- `backbone`, `action_head`, `modeling`: the model, its module tree mirroring the checkpoint keys;
- `checkpoint`: strict safetensors loading (single or sharded) and writing;
- `metadata`, `processor`, `tokenizer`: statistics, image/text/state/action transforms, tokenizer dirs;
- `policy`: the adapter (`Gr00tPolicy`); `tiny`: tiny random checkpoints in the real layout.

Submodules are imported on use (torch and transformers are heavy).
"""
