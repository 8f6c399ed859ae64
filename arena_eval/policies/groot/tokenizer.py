"""Tokenizer and processor directories.

A real checkpoint does not carry its tokenizer or processor files: the card names a local
directory holding them (the Eagle `eagle2_hg_model/` folder of the GR00T source, or the
processor repo of the LeRobot port: tokenizer files, a chat template, `preprocessor_config.json`
and the Eagle `config.json`). They are read with transformers' `AutoTokenizer`, never with
remote code.

For tests and tiny checkpoints (no hub access here), `write_tiny_processor` builds such a
directory from scratch: a small byte-level BPE trained with `tokenizers`, the chat-ML special
tokens and `<IMG_CONTEXT>`, a Qwen-style chat template that renders images as `<image-N>`
like Eagle 2.5's, and an Eagle config with the tiny backbone sizes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ...errors import UserError
from .config import read_json

SPECIAL_TOKENS = [
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<img>",
    "</img>",
    "<IMG_CONTEXT>",
    "<quad>",
    "</quad>",
    "<ref>",
    "</ref>",
    "<box>",
    "</box>",
]

# One user turn: a default system turn, then `<image-N>` per image item and the text items.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}"
    "{{ '<|im_start|>system\\nYou are a helpful assistant.\\n<|im_end|>\\n' }}{% endif %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' }}"
    "{% if message['content'] is string %}{{ message['content'] }}{% else %}"
    "{% set ns = namespace(n=0) %}{% for item in message['content'] %}"
    "{% if item['type'] == 'image' %}{% set ns.n = ns.n + 1 %}{{ '<image-' + ns.n|string + '>' }}"
    "{% elif item['type'] == 'text' %}{{ item['text'] }}{% endif %}{% endfor %}{% endif %}"
    "{{ '<|im_end|>\\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)

_CORPUS = [
    "You are a helpful assistant.",
    "keep the pole upright",
    "balance the pole on the cart",
    "pick up the apple and place it in the bowl",
    "pick the box from the shelf and put it in the blue bin",
    "open the drawer",
    "close the door",
    "turn on the microwave",
    "move the cup to the left",
    "system user assistant image frame video",
    "the a an of to in on and with from into onto",
]


def build_tiny_tokenizer(
    vocab_size: int = 400,
    extra_text: Sequence[str] = (),
    special_tokens: Sequence[str] = tuple(SPECIAL_TOKENS),
    chat_template: str = CHAT_TEMPLATE,
) -> Any:
    """A small deterministic byte-level BPE as a transformers fast tokenizer (the first three
    special tokens are the pad, turn-start and end-of-turn tokens)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(special_tokens),
        show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator((_CORPUS + list(extra_text)) * 8, trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=list(special_tokens[3:]),
        padding_side="left",
        chat_template=chat_template,
        model_max_length=32768,
    )


def write_tiny_processor(
    out: Path, eagle_config: dict[str, Any], *, vocab_size: int = 400, extra_text: Sequence[str] = ()
) -> Any:
    """Write a processor directory (tokenizer, chat template, image processor config, Eagle
    config) in the layout of the real one. Sets the Eagle config's vocab and image token id."""
    out.mkdir(parents=True, exist_ok=True)
    tok = build_tiny_tokenizer(vocab_size, extra_text)
    tok.save_pretrained(str(out))
    (out / "chat_template.json").write_text(json.dumps({"chat_template": CHAT_TEMPLATE}, indent=2) + "\n")
    size = int(eagle_config.get("force_image_size") or eagle_config["vision_config"]["image_size"])
    (out / "preprocessor_config.json").write_text(
        json.dumps(
            {
                "image_mean": [0.5, 0.5, 0.5],
                "image_std": [0.5, 0.5, 0.5],
                "size": {"height": size, "width": size},
                "do_normalize": True,
                "do_rescale": True,
                "rescale_factor": 1 / 255,
            },
            indent=2,
        )
        + "\n"
    )
    text_key = "text_config" if "text_config" in eagle_config else "llm_config"
    cfg = json.loads(json.dumps(eagle_config))
    cfg[text_key]["vocab_size"] = max(int(cfg[text_key].get("vocab_size", 0)), len(tok))
    if "text_config" in cfg:  # N1.5 records the image token id; N1 looks it up
        cfg["image_token_index"] = tok.convert_tokens_to_ids("<IMG_CONTEXT>")
    (out / "config.json").write_text(json.dumps(cfg, indent=2) + "\n")
    return tok


def load_tokenizer(processor_dir: Path) -> Any:
    from transformers import AutoTokenizer

    if not processor_dir.is_dir():
        raise UserError(
            "processor directory not found (it holds the tokenizer and processor files)", where=str(processor_dir)
        )
    from transformers.utils import logging as hf_logging

    level = hf_logging.get_verbosity()
    # The Eagle config.json beside the tokenizer names a model type transformers does not know;
    # its warning about that is noise here.
    hf_logging.set_verbosity_error()
    try:
        return AutoTokenizer.from_pretrained(str(processor_dir), trust_remote_code=False, local_files_only=True)
    except Exception as e:  # transformers raises many types here; all mean "not a tokenizer dir"
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise UserError(f"cannot load a tokenizer from this directory: {msg}", where=str(processor_dir)) from None
    finally:
        hf_logging.set_verbosity(level)


def image_normalisation(processor_dir: Path) -> tuple[list[float], list[float]]:
    """Mean and std of the image processor (SigLIP's 0.5, 0.5 when not configured)."""
    p = processor_dir / "preprocessor_config.json"
    if p.is_file():
        d = read_json(p)
        if isinstance(d, dict) and "image_mean" in d and "image_std" in d:
            return [float(v) for v in d["image_mean"]], [float(v) for v in d["image_std"]]
    return [0.5, 0.5, 0.5], [0.5, 0.5, 0.5]
