"""Tokenizers and chat templates, from a card's processor directory (every generation).

A real checkpoint does not carry its tokenizer or processor files: the card names a local
directory holding them (N1/N1.5: the Eagle `eagle2_hg_model/` folder of the GR00T source, or
the processor repo of the LeRobot port; N1.6: the Eagle-Block2A-2B-v2 folder; N1.7:
nvidia/Cosmos-Reason2-2B). They are read with transformers' `AutoTokenizer`, never with remote
code. `build_tiny_tokenizer` makes a small deterministic one for the tiny checkpoints (no hub
access here), with a generation's special tokens and chat template.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ....errors import UserError
from .text import IMG_CONTEXT, IMG_END, IMG_START, SYSTEM_MESSAGE

# The chat-ML turn tokens: pad, turn start, end of turn (the tiny tokenizers' first three).
CHATML_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
EAGLE_TOKENS = CHATML_TOKENS + [IMG_START, IMG_END, IMG_CONTEXT]
QWEN_VL_TOKENS = CHATML_TOKENS + ["<|vision_start|>", "<|vision_end|>", "<|image_pad|>", "<|video_pad|>"]

_CORPUS = [
    SYSTEM_MESSAGE,
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
    special_tokens: Sequence[str], chat_template: str, *, vocab_size: int = 400, extra_text: Sequence[str] = ()
) -> Any:
    """A small deterministic byte-level BPE as a transformers fast tokenizer (the first three
    special tokens are the pad, turn-start and end-of-turn tokens: `CHATML_TOKENS`)."""
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


def load_chat_template(processor_dir: Path, tokenizer: Any) -> str | None:
    p = processor_dir / "chat_template.json"
    if p.is_file():
        try:
            tpl = json.loads(p.read_text()).get("chat_template")
        except (OSError, json.JSONDecodeError, AttributeError) as e:
            raise UserError(f"unreadable chat template ({e})".splitlines()[0], where=str(p)) from None
        if isinstance(tpl, str):
            return tpl
    p = processor_dir / "chat_template.jinja"
    if p.is_file():
        return p.read_text()
    return getattr(tokenizer, "chat_template", None) or None
