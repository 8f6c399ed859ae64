"""The GR00T processor: normalisation modes, images, the chat prompt with image tokens and the
instruction quirk, padding and masks, embodiment ids, and bad observations."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from arena_eval.cards import parse_policy
from arena_eval.errors import UserError
from arena_eval.policies import make_policy
from arena_eval.policies.groot import write_tiny
from arena_eval.policies.groot.common.tiny import TinySpec, tiny_card
from arena_eval.policies.groot.n1.images import preprocess_images
from arena_eval.policies.groot.n1.metadata import KeyMeta
from arena_eval.policies.groot.n1.processor import (
    NORM_MODES,
    PromptBuilder,
    format_instruction,
    normalize,
    unnormalize,
)

SPEC = TinySpec(
    state={"arm": 3, "grip": 1}, action={"arm": 3, "grip": 1}, video={"ego_view": (40, 30), "wrist": (40, 30)}
)


# ---------------------------------------------------------------------------------------
# Normalisation.


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    # Other processes share this CPU: one torch thread beats oversubscribed ones by far.
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def _meta() -> KeyMeta:
    """4 dims; dim 1 has no spread in any statistic (max == min, q01 == q99, std == 0)."""
    return KeyMeta(
        4,
        {
            "min": np.array([-2.0, 0.5, 0.0, -1.0]),
            "max": np.array([3.0, 0.5, 10.0, 1.0]),
            "q01": np.array([-1.5, 0.5, 1.0, -0.9]),
            "q99": np.array([2.5, 0.5, 9.0, 0.9]),
            "mean": np.array([0.2, 0.5, 5.0, 0.0]),
            "std": np.array([1.1, 0.0, 2.0, 0.5]),
        },
        {},
    )


@pytest.mark.parametrize("mode", NORM_MODES)
def test_normalisation_round_trip(mode):
    meta = _meta()
    rng = np.random.default_rng(0)
    if mode == "binary":
        x = rng.integers(0, 2, (50, 4)).astype(float)
    else:  # inside the range the mode maps to [-1, 1] (q99 clips outside it)
        lo, hi = (meta.stats["q01"], meta.stats["q99"]) if mode == "q99" else (meta.stats["min"], meta.stats["max"])
        x = lo + (hi - lo) * rng.uniform(0, 1, (50, 4))
    x[:, 1] = 1.0 if mode == "binary" else 0.5  # the constant dim holds its constant
    y = normalize(x, meta, mode)
    assert np.all(np.isfinite(y))
    if mode in ("min_max", "q99"):
        assert y.min() >= -1 - 1e-12 and y.max() <= 1 + 1e-12
    back = unnormalize(y, meta, mode)
    np.testing.assert_allclose(back, x, rtol=0, atol=1e-9)


def test_degenerate_dims_follow_the_original():
    meta = _meta()
    x = np.array([[0.0, 7.0, 5.0, 0.0]])  # dim 1 off its constant
    assert normalize(x, meta, "min_max")[0, 1] == 0.0  # min_max: 0
    assert normalize(x, meta, "q99")[0, 1] == 1.0  # q99: passed through, then clipped
    assert normalize(x, meta, "mean_std")[0, 1] == 7.0  # mean_std: passed through
    assert unnormalize(np.zeros((1, 4)), meta, "min_max")[0, 1] == 0.5
    np.testing.assert_allclose(normalize(np.array([[3.0, 0.5, 10.0, 1.0]]), meta, "min_max"), [[1, 0, 1, 1]])
    assert normalize(np.array([[-5.0, 0.5, 0, 0]]), meta, "q99")[0, 0] == -1.0  # clipped


def test_normalisation_needs_its_statistics():
    meta = KeyMeta(1, {"min": np.array([0.0]), "max": np.array([1.0])}, {})
    with pytest.raises(UserError, match="needs statistics"):
        normalize(np.zeros((1, 1)), meta, "mean_std", "state.x")


# ---------------------------------------------------------------------------------------
# Images and text.


def test_image_crop_resize_normalise():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (2, 20, 20, 3), dtype=np.uint8)
    # no crop, no resize: exactly (x / 255 - 0.5) / 0.5
    out = preprocess_images(img, 20, 1.0, [0.5] * 3, [0.5] * 3)
    ref = (torch.from_numpy(img).permute(0, 3, 1, 2).float() / 255 - 0.5) / 0.5
    assert out.shape == (2, 3, 20, 20) and torch.allclose(out, ref, atol=1e-6)
    # 95% centre crop of 40 x 30 is 38 x 28 at offset (1, 1); resized to 28 x 28
    big = rng.integers(0, 256, (1, 30, 40, 3), dtype=np.uint8)
    out = preprocess_images(big, 28, 0.95, [0.5] * 3, [0.5] * 3)
    assert out.shape == (1, 3, 28, 28)
    assert out.min() >= -1 and out.max() <= 1
    crop = preprocess_images(big[:, 1:29, 1:39], 28, 1.0, [0.5] * 3, [0.5] * 3)
    assert torch.equal(out, crop)


def test_instruction_quirk_and_formalize():
    assert format_instruction("Pick up the apple.", "list", False) == "['Pick up the apple.']"
    assert format_instruction("Pick up the apple.", "plain", True) == "pick up the apple"


@pytest.fixture(scope="module")
def tiny_dirs(tmp_path_factory):
    out = {}
    for arch in ("n1.5", "n1"):
        base = tmp_path_factory.mktemp(f"proc-{arch}")
        write_tiny(
            base / "checkpoint",
            base / "processor",
            arch=arch,
            embodiments={"new_embodiment": SPEC, "gr1": SPEC},
            num_shards=1,
            with_unused=False,
        )
        out[arch] = base
    return out


def _policy(base, tmp_path, **params):
    card = tiny_card("t", base / "checkpoint", base / "processor", SPEC)
    card["params"].update(params)
    return make_policy(parse_policy(card, str(tmp_path / "card.yaml")))


def _obs(b: int = 2, texts=None) -> dict:
    rng = np.random.default_rng(1)
    obs = {f"video.{k}": rng.integers(0, 256, (b, 1, 30, 40, 3), dtype=np.uint8) for k in SPEC.video}
    obs.update({f"state.{k}": rng.normal(size=(b, 1, d)).astype(np.float32) for k, d in SPEC.state.items()})
    obs["annotation.human.task_description"] = texts or ["pick it up"] * b
    return obs


def test_n15_prompt_tokens_padding_state(tiny_dirs, tmp_path):
    pol = _policy(tiny_dirs["n1.5"], tmp_path, embodiment_tag="gr1")
    tok = pol.processor.tokenizer
    x = pol.inputs(_obs(2, ["pick it up", "pick up the apple and place it in the bowl"]))
    n_img = pol.eagle.tokens_per_image
    assert n_img == 4  # (28 / 14)^2, no pixel shuffle
    image_id = tok.convert_tokens_to_ids("<IMG_CONTEXT>")
    assert ((x.input_ids == image_id).sum(1) == 2 * n_img).all()  # 2 cameras x 1 frame
    assert x.pixel_values.shape == (4, 3, 28, 28)
    # left padding: the short prompt's mask starts with zeros, the long one is all ones
    assert x.attention_mask[0, 0] == 0 and x.attention_mask[1].all()
    assert x.attention_mask[0, -1] == 1
    text = tok.decode(x.input_ids[1][x.attention_mask[1].bool()])
    assert text.startswith("<|im_start|>system\n")
    assert "<image 1><img>" in text and "<image 2><img>" in text
    assert "['pick up the apple and place it in the bowl']<|im_end|>\n<|im_start|>assistant\n" in text
    assert x.embodiment_id.tolist() == [24, 24]  # gr1
    assert x.state.shape == (2, 1, pol.cfg.action_head_cfg.max_state_dim)
    assert torch.all(x.state[..., 4:] == 0)  # zero padding past the 3 + 1 real dims


def test_n1_prompt(tiny_dirs, tmp_path):
    pol = _policy(tiny_dirs["n1"], tmp_path)
    x = pol.inputs(_obs(1, ["Keep it up"]))
    tok = pol.processor.tokenizer
    text = tok.decode(x.input_ids[0])
    assert text.startswith(
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n<image 1><img>"
    )
    assert text.endswith("</img>\nKeep it up<|im_end|>\n<|im_start|>assistant\n")  # N1: plain text
    assert (x.input_ids == tok.convert_tokens_to_ids("<IMG_CONTEXT>")).sum() == 2  # 2 cameras, 1 token each
    assert x.embodiment_id.tolist() == [31]


def test_prompt_builder_without_template():
    class Tok:
        pass

    s = PromptBuilder(True, 2, None).render(Tok(), 1, "['go']")
    assert s == (
        "<|im_start|>system\nYou are a helpful assistant.\n<|im_end|>\n<|im_start|>user\n"
        "<image 1><img><IMG_CONTEXT><IMG_CONTEXT></img>['go']<|im_end|>\n<|im_start|>assistant\n"
    )


# ---------------------------------------------------------------------------------------
# Bad inputs: one-line UserErrors.


@pytest.mark.parametrize(
    "params, fragment",
    [
        ({"embodiment_tag": "robot_x"}, "unknown embodiment tag 'robot_x'"),
        ({"state": {"state.arm": "elbow"}}, "state key 'elbow' (for state.arm) is not in the checkpoint metadata"),
        ({"action": {"action.arm": "arm", "action.extra": "extra"}}, "action key 'extra'"),
        ({"video": {"video.ego_view": "top"}}, "video key 'top'"),
        ({"state_normalization": "zscore"}, "normalisation 'zscore'"),
        ({"denoising_steps": 0}, "params.denoising_steps: expected an integer >= 1"),
        ({"noise": "random"}, "params.noise"),
        ({"frobnicate": 1}, "unknown parameter 'frobnicate'"),
        ({"processor_dir": "/nonexistent/dir"}, "processor directory /nonexistent/dir not found"),
    ],
)
def test_bad_card(tiny_dirs, tmp_path, params, fragment):
    with pytest.raises(UserError) as e:
        _policy(tiny_dirs["n1.5"], tmp_path, **params)
    assert "\n" not in str(e.value) and fragment in str(e.value), str(e.value)


def test_unknown_tag_names_the_known_ones(tiny_dirs, tmp_path):
    with pytest.raises(UserError, match="has gr1, new_embodiment"):
        _policy(tiny_dirs["n1.5"], tmp_path, embodiment_tag="so100")


def _bad(obs: dict, how: str) -> dict:
    obs = dict(obs)
    if how == "float_image":
        obs["video.ego_view"] = obs["video.ego_view"].astype(np.float32)
    elif how == "image_size":
        obs["video.ego_view"] = obs["video.ego_view"][:, :, :20]
    elif how == "image_rank":
        obs["video.ego_view"] = obs["video.ego_view"][:, 0]
    elif how == "state_dim":
        obs["state.arm"] = np.zeros((2, 1, 5), np.float32)
    elif how == "missing_state":
        del obs["state.grip"]
    elif how == "no_text":
        del obs["annotation.human.task_description"]
    elif how == "batch":
        obs["state.arm"] = np.zeros((3, 1, 3), np.float32)
    return obs


@pytest.mark.parametrize(
    "how, fragment",
    [
        ("float_image", "video.ego_view must be a uint8 array"),
        # rows are checked one by one (batch-invariant inference): the shapes are a row's
        ("image_rank", "video.ego_view has shape (1, 30, 40, 3); the checkpoint's 'ego_view' needs [B, T, H, W, 3]"),
        ("state_dim", "state.arm has shape (1, 1, 5); the checkpoint's 'arm' needs [B, 1, 3]"),
        ("missing_state", "observation lacks state.grip"),
        ("no_text", "annotation.human.task_description must be a list of strings"),
        ("batch", "state.arm has 3 rows for 2 slots"),
    ],
)
def test_bad_observation(tiny_dirs, tmp_path, how, fragment):
    pol = _policy(tiny_dirs["n1.5"], tmp_path)
    with pytest.raises(UserError) as e:
        pol.get_action(_bad(_obs(2), how), np.arange(2))
    assert "\n" not in str(e.value) and fragment in str(e.value), str(e.value)


def test_frames_of_another_size_are_resized(tiny_dirs, tmp_path):
    """A 20x40 frame where the metadata says 30x40: cropped and resized to the tower's size,
    as the original pipeline does with the dataset's frames (N1.5's Arena G1 card on the g1
    suite's 224x224 camera)."""
    pol = _policy(tiny_dirs["n1.5"], tmp_path)
    obs = _obs(2)
    small = {**obs, "video.ego_view": obs["video.ego_view"][:, :, :20]}
    x = pol.inputs(small)
    s = pol.processor.eagle.image_size
    assert tuple(x.pixel_values.shape) == (2 * len(SPEC.video), 3, s, s)  # rows x cameras, one frame
    a = pol.get_action(small, np.arange(2))
    assert all(np.isfinite(v).all() for v in a.values())
