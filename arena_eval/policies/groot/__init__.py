"""The full GR00T flow-matching models (N1, N1.5, N1.6, N1.7) as one policy type (card `type: gr00t`).

`make_gr00t_policy(spec)` reads the checkpoint's `config.json` model_type and builds the
adapter of its generation: `n1.policy.Gr00tN1Policy` (gr00t_n1, gr00t_n1_5; also every
checkpoint that is neither, so its loader reports what is wrong) or
`n1x.policy.Gr00tN1xPolicy` (Gr00tN1d6, Gr00tN1d7).

The tree at a glance (model code mirrors each checkpoint's module tree, so weights load by
name; submodules are imported on use, torch and transformers being heavy):

    common/            what every generation uses
      adapter.py       the adapter base: card helpers, bind, noise seeding, batch-invariant get_action
      action_head.py   the flow-matching head's shared layout, velocity and Euler sampling
      dit.py           the DiT and its blocks (also the vl self-attention blocks)
      encoders.py      per-embodiment (category-specific) linear maps, MLPs, the action encoder
      model.py         model base (device, dtype), inputs moving, random and empty (meta) builds
      checkpoint.py    strict safetensors loading (with optional tensors) and writing
      config.py        TransformerConfig and the config dataclass helpers
      keys.py          KeySpec and a card's key maps ({key, index, fill})
      tokenizer.py     tokenizers and chat templates of a processor dir, the tiny tokenizer
      text.py          instruction formalisation, Eagle image-token expansion
      jsonfile.py      JSON reading with one-line errors, a checkpoint's model_type
      sizes.py         published and tiny size tables, backbone config keys
      tiny.py          TinySpec, tiny_card, spec_from_task (tiny checkpoints of any generation)
    n1/                N1 and N1.5
      config.py        config.json dataclasses, published configs
      eagle_config.py  the Eagle 2 / 2.5 config (processor dir, else published sizes)
      backbone.py      Eagle 2 / 2.5: SigLIP, connector, Llama or Qwen3
      action_head.py   the head (future tokens, vlln, vl self-attention; training loss)
      model.py         Gr00tModel, ModelInputs, builds
      checkpoint.py    the directory layout, the optional tensors, load_weights
      metadata.py      experiment_cfg/metadata.json
      images.py        crop, resize, normalisation
      processor.py     normalisation modes, the prompt, Gr00tProcessor
      policy.py        the adapter, Gr00tN1Policy
      tiny.py          tiny random checkpoints (write_tiny)
      train.py         training small models (scripts/train_small.py)
    n1x/               N1.6 and N1.7
      config.py        config.json with NVIDIA's class defaults
      backbone_config.py  the Eagle 3 / Qwen3-VL config (processor dir, else published sizes)
      eagle3.py        N1.6's backbone (SigLIP2 + Qwen3)
      qwen3vl.py       N1.7's backbone (Qwen3-VL)
      action_head.py   the head with the masked alternating DiT
      model.py         Gr00tN1xModel, N1xInputs, the optional tensors, builds
      processor.py     processor_config.json, statistics.json, embodiment ids, Qwen image tokens
      state_action.py  the state and action (un)normalisation rules, end-effector poses
      images.py        the image transforms (INTER_AREA, crops, Eagle 3's smart resize)
      policy.py        the adapter, Gr00tN1xPolicy
      tiny.py          tiny random checkpoints (write_tiny_n1x here)
    tiny_cli.py        scripts/make_tiny_groot.py (any generation)

Exported here: `make_gr00t_policy`, `Gr00tN1Policy`, `Gr00tN1xPolicy`, `TinySpec`, `SMOKE`,
`tiny_card`, `spec_from_task`, `write_tiny` (N1, N1.5), `write_tiny_n1x` (N1.6, N1.7), `train`
and `train_main` (scripts/train_small.py), `make_tiny_main` (scripts/make_tiny_groot.py).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ...cards import PolicySpec
    from ..base import Policy

# name -> (submodule, attribute), imported on first use
_EXPORTS = {
    "Gr00tN1Policy": ("n1.policy", "Gr00tN1Policy"),
    "Gr00tN1xPolicy": ("n1x.policy", "Gr00tN1xPolicy"),
    "TinySpec": ("common.tiny", "TinySpec"),
    "SMOKE": ("common.tiny", "SMOKE"),
    "tiny_card": ("common.tiny", "tiny_card"),
    "spec_from_task": ("common.tiny", "spec_from_task"),
    "write_tiny": ("n1.tiny", "write_tiny"),
    "write_tiny_n1x": ("n1x.tiny", "write_tiny"),
    "train": ("n1.train", "train"),
    "train_main": ("n1.train", "main"),
    "make_tiny_main": ("tiny_cli", "main"),
}

__all__ = ["make_gr00t_policy", *_EXPORTS]


def make_gr00t_policy(spec: PolicySpec) -> Policy:
    """The adapter of the checkpoint's generation (by its config.json model_type); a missing
    or unreadable checkpoint goes to the N1/N1.5 adapter, which says what is wrong in one line."""
    from .common.adapter import card_path
    from .common.jsonfile import checkpoint_model_type
    from .n1x.config import MODEL_TYPES as N1X_MODEL_TYPES

    if spec.checkpoint and checkpoint_model_type(card_path(spec, spec.checkpoint)) in N1X_MODEL_TYPES:
        from .n1x.policy import Gr00tN1xPolicy

        return Gr00tN1xPolicy(spec)
    from .n1.policy import Gr00tN1Policy

    return Gr00tN1Policy(spec)


def __getattr__(name: str) -> Any:
    try:
        module, attr = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    return getattr(importlib.import_module(f"{__name__}.{module}"), attr)
