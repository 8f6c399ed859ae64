"""Size tables every generation shares, and the backbone config keys the model code reads.

Published sizes (for layout checks and FLOP counts without the real files, and as the
backbone config when a card's processor directory has none): the SigLIP so400m tower (N1 and
N1.5 at 224 px; N1.6's SigLIP2 at 14-pixel patches), the Qwen3-1.7B language model (N1.5's Eagle
2.5 and N1.6's Eagle 3) and the widths the 2B Qwen3-VL of N1.7 shares with it, GR00T's DiT
(N1.6's 32 layers; N1 and N1.5 16, N1.7's class default 16) and vl self-attention (N1.5, N1.7),
and the flow-matching head's settings. Each generation's tables (n1/config.py,
n1/eagle_config.py, n1x/config.py, n1x/backbone_config.py) add what is their own.

Tiny sizes (`TINY_*`): the widths of the tiny random checkpoints (n1/tiny.py, n1x/tiny.py).
"""

from __future__ import annotations

from typing import Any

# Keys of a backbone config.json's vision and language-model configs that the model code passes
# to transformers (each backbone adds its own: N1/N1.5 `image_size`, N1.6 `num_patches`, ...).
VISION_CONFIG_KEYS = (
    "hidden_size",
    "intermediate_size",
    "num_hidden_layers",
    "num_attention_heads",
    "num_channels",
    "patch_size",
    "hidden_act",
    "layer_norm_eps",
    "attention_dropout",
)
TEXT_CONFIG_KEYS = (
    "vocab_size",
    "hidden_size",
    "intermediate_size",
    "num_hidden_layers",
    "num_attention_heads",
    "num_key_value_heads",
    "head_dim",
    "hidden_act",
    "max_position_embeddings",
    "rms_norm_eps",
    "rope_theta",
    "rope_scaling",
    "attention_bias",
    "attention_dropout",
    "tie_word_embeddings",
)

# ---------------------------------------------------------------------------------------
# Published sizes.

SIGLIP_SO400M: dict[str, Any] = {
    "hidden_size": 1152,
    "intermediate_size": 4304,
    "num_hidden_layers": 27,
    "num_attention_heads": 16,
    "patch_size": 14,
    "num_channels": 3,
    "hidden_act": "gelu_pytorch_tanh",
    "layer_norm_eps": 1e-6,
    "attention_dropout": 0.0,
}
# The Qwen3 widths of Qwen3-1.7B and of Cosmos-Reason2-2B's (Qwen3-VL) language model.
QWEN3_2K_WIDTHS: dict[str, Any] = {
    "hidden_size": 2048,
    "intermediate_size": 6144,
    "num_hidden_layers": 28,
    "num_attention_heads": 16,
    "num_key_value_heads": 8,
    "head_dim": 128,
    "hidden_act": "silu",
    "rms_norm_eps": 1e-6,
    "attention_bias": False,
    "tie_word_embeddings": True,
}
QWEN3_1_7B: dict[str, Any] = {
    "architectures": ["Qwen3ForCausalLM"],
    "model_type": "qwen3",
    **QWEN3_2K_WIDTHS,
    "max_position_embeddings": 40960,
    "rope_theta": 1000000,
    "vocab_size": 151680,
}
# GR00T's DiT (`diffusion_model_cfg`) as N1.6 releases it; the others change num_layers.
GR00T_DIT: dict[str, Any] = {
    "positional_embeddings": None,
    "num_layers": 32,
    "num_attention_heads": 32,
    "attention_head_dim": 48,
    "norm_type": "ada_norm",
    "dropout": 0.2,
    "final_dropout": True,
    "output_dim": 1024,
    "interleave_self_attention": True,
}
# The 4 plain blocks over the backbone features (`vl_self_attention_cfg`, N1.5 and N1.7).
GR00T_VL_SELF_ATTENTION: dict[str, Any] = {
    "num_layers": 4,
    "num_attention_heads": 32,
    "attention_head_dim": 64,
    "dropout": 0.2,
    "final_dropout": True,
    "positional_embeddings": None,
}
# The flow-matching action head's widths and sampling settings (every generation).
GR00T_FLOW_MATCHING: dict[str, Any] = {
    "hidden_size": 1024,
    "input_embedding_dim": 1536,
    "add_pos_embed": True,
    "max_num_embodiments": 32,
    "num_inference_timesteps": 4,
    "noise_beta_alpha": 1.5,
    "noise_beta_beta": 1.0,
    "noise_s": 0.999,
    "num_timestep_buckets": 1000,
}

# ---------------------------------------------------------------------------------------
# Tiny sizes (LM width 64, DiT width 48, SigLIP width 32).

TINY_SIGLIP: dict[str, Any] = {
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "patch_size": 14,
    "num_channels": 3,
    "hidden_act": "gelu_pytorch_tanh",
    "layer_norm_eps": 1e-6,
}
TINY_QWEN3: dict[str, Any] = {
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 4,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "head_dim": 16,
    "hidden_act": "silu",
    "rms_norm_eps": 1e-6,
    "max_position_embeddings": 4096,
    "attention_bias": False,
    "tie_word_embeddings": True,
}
TINY_DIT: dict[str, Any] = {"num_layers": 4, "num_attention_heads": 2, "attention_head_dim": 24, "output_dim": 32}
TINY_VL_SELF_ATTENTION: dict[str, Any] = {"num_layers": 1, "num_attention_heads": 2, "attention_head_dim": 32}
# The action head's widths and the backbone feature width (the tiny LM's).
TINY_HEAD: dict[str, Any] = {"hidden_size": 32, "input_embedding_dim": 48, "max_seq_len": 64}
TINY_BACKBONE_WIDTH = 64
