"""Text transforms shared by the generations' processors: the instruction's formalisation
and the expansion of Eagle's image placeholders into image-context tokens."""

from __future__ import annotations

import re
from collections.abc import Sequence

IMG_START, IMG_END, IMG_CONTEXT = "<img>", "</img>", "<IMG_CONTEXT>"
SYSTEM_MESSAGE = "You are a helpful assistant."


def formalize(text: str) -> str:
    """The processors' formalize_language: lowercase, no punctuation."""
    return re.sub(r"[^\w\s]", "", text.lower())


def expand_eagle_images(prompt: str, tokens: Sequence[int] | int) -> str:
    """Each `<image-k>` (Eagle 2.5's and Eagle 3's chat templates) -> `<image k><img>` +
    `<IMG_CONTEXT>` x n_k + `</img>`; `tokens` lists n_k per image, or is one n for all."""

    def sub(m: re.Match) -> str:
        k = int(m.group(1))
        n = tokens if isinstance(tokens, int) else tokens[k - 1]
        return f"<image {k}>" + IMG_START + IMG_CONTEXT * n + IMG_END

    return re.sub(r"<image-(\d+)>", sub, prompt)
