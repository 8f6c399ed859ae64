"""GR00T N1.6 and N1.7: the module trees against the key names NVIDIA's code builds (as recorded
in docs/gr00t.md, facts from NVIDIA's code), config class defaults, strict loading of tiny
random checkpoints in the released layouts, batching, repeatability and the processing rules."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from arena_eval.cards import ANNOTATION_KEY, parse_policy
from arena_eval.errors import UserError
from arena_eval.policies import make_policy
from arena_eval.policies.groot import write_tiny_n1x
from arena_eval.policies.groot.common.tiny import TinySpec, tiny_card
from arena_eval.policies.groot.n1x.backbone_config import load_backbone_config
from arena_eval.policies.groot.n1x.config import N16, N17
from arena_eval.policies.groot.n1x.config import parse_config as parse_n1x_config
from arena_eval.policies.groot.n1x.images import area_resize, eagle3_pixels, eval_transform
from arena_eval.policies.groot.n1x.model import Gr00tN1xModel

SPEC = TinySpec(
    state={"left_arm": 7, "waist": 3},
    action={"left_arm": 7, "waist": 3, "base_height": 1},
    video={"ego_view": (64, 48)},
)
ARCHS = ["n1.6", "n1.7"]


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)  # the CPU is shared; one thread is fastest here
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = {}
    for arch in ARCHS:
        base = tmp_path_factory.mktemp(f"tiny-{arch}")
        write_tiny_n1x(base / "checkpoint", base / "processor", arch=arch, spec=SPEC, num_shards=3)
        out[arch] = base
    return out


def _policy(base: Path, **over):
    card = tiny_card("t", base / "checkpoint", base / "processor", SPEC) | over
    return make_policy(parse_policy(card, str(base / "card.yaml")))


def _obs(n: int, seed: int = 0, texts: list[str] | None = None) -> dict:
    rng = np.random.default_rng(seed)
    return {
        "video.ego_view": rng.integers(0, 256, (n, 1, 48, 64, 3), dtype=np.uint8),
        "state.left_arm": rng.normal(size=(n, 1, 7)).astype(np.float32),
        "state.waist": rng.normal(size=(n, 1, 3)).astype(np.float32),
        ANNOTATION_KEY: texts or ["Pick up the box!", "lift it"] * (n // 2) + ["lift it"] * (n % 2),
    }


def _rows(o: dict, i: int) -> dict:
    return {k: v[i : i + 1] for k, v in o.items()}


# ---------------------------------------------------------------------------------------
# Key sets of the real-size module trees (meta device: nothing allocated).


def _families(keys) -> set[str]:
    """Keys with the index of each repeated layer replaced by `*`."""
    return {re.sub(r"(layers|blocks|deepstack_merger_list)\.\d+\.", r"\1.*.", k) for k in keys}


HEAD_COMMON = {
    "action_head.state_encoder.layer1.W", "action_head.state_encoder.layer1.b",
    "action_head.state_encoder.layer2.W", "action_head.state_encoder.layer2.b",
    "action_head.action_encoder.W1.W", "action_head.action_encoder.W1.b",
    "action_head.action_encoder.W2.W", "action_head.action_encoder.W2.b",
    "action_head.action_encoder.W3.W", "action_head.action_encoder.W3.b",
    "action_head.action_decoder.layer1.W", "action_head.action_decoder.layer1.b",
    "action_head.action_decoder.layer2.W", "action_head.action_decoder.layer2.b",
    "action_head.position_embedding.weight", "action_head.vlln.weight", "action_head.vlln.bias",
    "action_head.model.timestep_encoder.timestep_embedder.linear_1.weight",
    "action_head.model.timestep_encoder.timestep_embedder.linear_1.bias",
    "action_head.model.timestep_encoder.timestep_embedder.linear_2.weight",
    "action_head.model.timestep_encoder.timestep_embedder.linear_2.bias",
    "action_head.model.proj_out_1.weight", "action_head.model.proj_out_1.bias",
    "action_head.model.proj_out_2.weight", "action_head.model.proj_out_2.bias",
} | {
    f"action_head.model.transformer_blocks.*.{m}.{p}"
    for m in ("norm1.linear", "attn1.to_q", "attn1.to_k", "attn1.to_v", "attn1.to_out.0", "ff.net.0.proj", "ff.net.2")
    for p in ("weight", "bias")
}
SIGLIP2 = {"embeddings.patch_embedding.weight", "embeddings.patch_embedding.bias", "embeddings.position_embedding.weight",
           "post_layernorm.weight", "post_layernorm.bias"} | {
    f"encoder.layers.*.{m}.{p}"
    for m in ("layer_norm1", "layer_norm2", "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
              "self_attn.out_proj", "mlp.fc1", "mlp.fc2")
    for p in ("weight", "bias")
}
QWEN3_LAYER = {f"layers.*.{m}.weight" for m in (
    "input_layernorm", "post_attention_layernorm", "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
    "self_attn.o_proj", "self_attn.q_norm", "self_attn.k_norm", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj")}
N16_KEYS = HEAD_COMMON | {f"backbone.model.vision_model.vision_model.{k}" for k in SIGLIP2} | {
    f"backbone.model.mlp1.{i}.{p}" for i in (0, 1, 3) for p in ("weight", "bias")
} | {f"backbone.model.language_model.model.{k}" for k in QWEN3_LAYER | {"embed_tokens.weight", "norm.weight"}}
QWEN3VL_VISUAL = {"patch_embed.proj.weight", "patch_embed.proj.bias", "pos_embed.weight"} | {
    f"{m}.{p}" for m in ("merger.norm", "merger.linear_fc1", "merger.linear_fc2", "deepstack_merger_list.*.norm",
                         "deepstack_merger_list.*.linear_fc1", "deepstack_merger_list.*.linear_fc2",
                         "blocks.*.norm1", "blocks.*.norm2", "blocks.*.attn.qkv", "blocks.*.attn.proj",
                         "blocks.*.mlp.linear_fc1", "blocks.*.mlp.linear_fc2")
    for p in ("weight", "bias")
}
N17_KEYS = HEAD_COMMON | {f"backbone.model.model.visual.{k}" for k in QWEN3VL_VISUAL} | {
    f"backbone.model.model.language_model.{k}" for k in QWEN3_LAYER | {"embed_tokens.weight", "norm.weight"}
} | {
    f"action_head.vl_self_attention.transformer_blocks.*.{m}.{p}"
    for m in ("norm1", "norm3", "attn1.to_q", "attn1.to_k", "attn1.to_v", "attn1.to_out.0", "ff.net.0.proj", "ff.net.2")
    for p in ("weight", "bias")
}  # no action_head.mask_token: NVIDIA's current N1.7 code has none (state_dropout_prob 0.2 or not)


def _real(model_type: str) -> Gr00tN1xModel:
    data = {"model_type": model_type}
    if model_type == N17:  # the released 3B file's values (differ from the class defaults)
        data |= {"select_layer": 16, "diffusion_model_cfg": {"num_layers": 32}, "state_dropout_prob": 0.2}
    cfg = parse_n1x_config(data, "released")
    bb, _ = load_backbone_config(None, model_type)
    with torch.device("meta"):
        return Gr00tN1xModel(cfg, bb)


@pytest.mark.parametrize("model_type,expected", [(N16, N16_KEYS), (N17, N17_KEYS)], ids=ARCHS)
def test_key_set_matches_nvidias_module_tree(model_type, expected):
    sd = {k: tuple(v.shape) for k, v in _real(model_type).state_dict().items()}
    assert _families(sd) == expected
    count = lambda pat: len({m.group(1) for k in sd if (m := re.match(pat, k))})  # noqa: E731
    assert count(r"action_head\.model\.transformer_blocks\.(\d+)\.") == 32
    assert sd["action_head.position_embedding.weight"] == (1024, 1536)
    assert sd["action_head.model.transformer_blocks.0.attn1.to_k.weight"] == (1536, 2048)  # cross (even)
    assert sd["action_head.model.transformer_blocks.1.attn1.to_k.weight"] == (1536, 1536)  # self (odd)
    assert sd["action_head.model.transformer_blocks.0.ff.net.0.proj.weight"] == (6144, 1536)
    assert sd["action_head.model.timestep_encoder.timestep_embedder.linear_1.weight"] == (1536, 256)
    assert sd["action_head.model.proj_out_2.weight"] == (1024, 1536)
    assert sd["action_head.action_encoder.W2.W"] == (32, 3072, 1536)
    if model_type == N16:
        p = "backbone.model.vision_model.vision_model."
        assert count(r".*vision_model\.encoder\.layers\.(\d+)\.") == 27
        assert count(r".*language_model\.model\.layers\.(\d+)\.") == 16
        assert sd[p + "embeddings.patch_embedding.weight"] == (1152, 3 * 14 * 14)
        assert sd[p + "embeddings.position_embedding.weight"] == (256, 1152)
        assert sd["backbone.model.mlp1.0.weight"] == (4608,)
        assert sd["backbone.model.mlp1.1.weight"] == (2048, 4608)
        assert sd["backbone.model.mlp1.3.weight"] == (2048, 2048)
        assert sd["action_head.state_encoder.layer1.W"] == (32, 29, 1024)
        assert sd["action_head.action_decoder.layer2.W"] == (32, 1024, 29)
    else:
        p = "backbone.model.model.visual."
        assert count(r".*visual\.blocks\.(\d+)\.") == 24
        assert count(r".*deepstack_merger_list\.(\d+)\.") == 3
        assert count(r".*language_model\.layers\.(\d+)\.") == 16
        assert count(r"action_head\.vl_self_attention\.transformer_blocks\.(\d+)\.") == 4
        assert sd[p + "patch_embed.proj.weight"] == (1024, 3, 2, 16, 16)
        assert sd[p + "pos_embed.weight"] == (2304, 1024)
        assert sd[p + "merger.linear_fc1.weight"] == (4096, 4096)
        assert sd[p + "merger.linear_fc2.weight"] == (2048, 4096)
        assert sd["backbone.model.model.language_model.embed_tokens.weight"] == (151936, 2048)
        assert sd["action_head.state_encoder.layer1.W"] == (32, 132, 1024)
        assert sd["action_head.action_decoder.layer2.W"] == (32, 1024, 132)


def test_omitted_fields_take_the_class_defaults():
    """N1.6's save_pretrained writes only fields that differ from the class defaults."""
    cfg = parse_n1x_config({"model_type": N16, "max_state_dim": 64}, "x")
    assert (cfg.max_state_dim, cfg.max_action_dim, cfg.action_horizon, cfg.select_layer) == (64, 29, 16, 16)
    assert cfg.diffusion_model_cfg.num_layers == 32 and cfg.num_inference_timesteps == 4
    assert cfg.vl_self_attention_cfg is None
    # A nested dict overrides field by field, keeping the other defaults.
    cfg = parse_n1x_config({"model_type": N17, "diffusion_model_cfg": {"num_layers": 32}}, "x")
    assert cfg.diffusion_model_cfg.num_layers == 32 and cfg.diffusion_model_cfg.num_attention_heads == 32
    assert (cfg.action_horizon, cfg.max_action_dim, cfg.select_layer) == (40, 132, 12)
    with pytest.raises(UserError, match="select_layer"):
        parse_n1x_config({"model_type": N17, "select_layer": "16"}, "x")


# ---------------------------------------------------------------------------------------
# Tiny checkpoints: layout, strict loading.


@pytest.mark.parametrize("arch", ARCHS)
def test_tiny_layout_and_load(written, arch):
    ckpt = written[arch] / "checkpoint"
    names = sorted(p.name for p in ckpt.iterdir())
    assert names == [
        "config.json", "embodiment_id.json", "model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors",
        "model-00003-of-00003.safetensors", "model.safetensors.index.json", "processor_config.json", "statistics.json",
    ]
    cfg = json.loads((ckpt / "config.json").read_text())
    assert cfg["model_type"] == {"n1.6": N16, "n1.7": N17}[arch]
    if arch == "n1.6":
        assert "num_inference_timesteps" not in cfg  # left to the class default, as released files do
    pc = json.loads((ckpt / "processor_config.json").read_text())["processor_kwargs"]
    acts = pc["modality_configs"]["new_embodiment"]["action"]["action_configs"]
    assert [a["rep"] for a in acts] == ["RELATIVE", "RELATIVE", "ABSOLUTE"]
    pol = _policy(written[arch])
    assert type(pol).__name__ == "Gr00tN1xPolicy"
    unused = {"n1.6": "backbone.model.language_model.lm_head.weight", "n1.7": "backbone.model.lm_head.weight"}[arch]
    assert unused in pol.skipped
    files = json.loads((ckpt / "model.safetensors.index.json").read_text())["weight_map"]
    assert "action_head.mask_token" not in files  # NVIDIA's current layout
    assert pol.absent == ["action_head.mask_token"]


@pytest.mark.parametrize("arch", ARCHS)
def test_a_checkpoint_with_the_state_dropout_token_loads(written, tmp_path, arch, capsys):
    """N1.6's code and N1.7's revisions before vl_self_attention define `action_head.mask_token`
    when state_dropout_prob > 0 (training only): such a checkpoint loads, the token skipped and
    said so in one line, and gives the same actions as the one without it."""
    import shutil

    base = tmp_path / "with-token"
    shutil.copytree(written[arch], base)
    index_path = base / "checkpoint" / "model.safetensors.index.json"
    index = json.loads(index_path.read_text())
    shard = base / "checkpoint" / index["weight_map"]["action_head.model.proj_out_2.weight"]
    t = load_file(str(shard))
    t["action_head.mask_token"] = 0.02 * torch.randn(1, 1, 48)
    save_file(t, str(shard), metadata={"format": "pt"})
    index["weight_map"]["action_head.mask_token"] = shard.name
    index_path.write_text(json.dumps(index))
    cfg_path = base / "checkpoint" / "config.json"
    cfg_path.write_text(json.dumps(json.loads(cfg_path.read_text()) | {"state_dropout_prob": 0.2}))
    capsys.readouterr()
    pol = _policy(base)
    assert "action_head.mask_token" in pol.skipped and pol.absent == []
    err = capsys.readouterr().err
    line = [ln for ln in err.splitlines() if "optional tensors" in ln]
    assert len(line) == 1 and "skipped" in line[0] and "action_head.mask_token (the training-only" in line[0]
    g = lambda: torch.Generator().manual_seed(0)  # noqa: E731
    a, b = pol.predict(_obs(2), generator=g()), _policy(written[arch]).predict(_obs(2), generator=g())
    assert all(np.array_equal(a[k], b[k]) for k in a)
    # Another generation's optional name is not optional here: strict.
    other = {"n1.6": "backbone.model.lm_head.weight", "n1.7": "backbone.model.language_model.lm_head.weight"}[arch]
    t[other] = torch.zeros(2, 2)
    save_file(t, str(shard), metadata={"format": "pt"})
    index["weight_map"][other] = shard.name
    index_path.write_text(json.dumps(index))
    with pytest.raises(UserError, match="unexpected tensor") as e:
        _policy(base)
    assert other in str(e.value) and "\n" not in str(e.value)


def _break(tmp_path: Path, src: Path, how: str) -> tuple[Path, str]:
    import shutil

    dst = tmp_path / "broken"
    shutil.copytree(src, dst)
    index = json.loads((dst / "checkpoint" / "model.safetensors.index.json").read_text())
    key = "action_head.model.proj_out_2.weight"
    shard = dst / "checkpoint" / index["weight_map"][key]
    t = load_file(str(shard))
    if how == "missing":
        del t[key]
        del index["weight_map"][key]
    elif how == "extra":
        t["action_head.future_tokens.weight"] = torch.zeros(4, 48)  # N1.5's, not in N1.6/N1.7
        index["weight_map"]["action_head.future_tokens.weight"] = shard.name
        key = "action_head.future_tokens.weight"
    elif how == "shape":
        t[key] = torch.zeros(3, 3)
    else:
        t[key] = t[key].clone()
        t[key][0, 0] = float("nan")
    save_file(t, str(shard), metadata={"format": "pt"})
    (dst / "checkpoint" / "model.safetensors.index.json").write_text(json.dumps(index))
    return dst, key


@pytest.mark.parametrize("how", ["missing", "extra", "shape", "nan"])
@pytest.mark.parametrize("arch", ARCHS)
def test_broken_checkpoint_is_one_line_naming_file_and_tensor(written, tmp_path, arch, how):
    base, key = _break(tmp_path, written[arch], how)
    with pytest.raises(UserError) as e:
        _policy(base)
    msg = str(e.value)
    assert "\n" not in msg and key in msg and str(base / "checkpoint") in msg


def test_wrong_backbone_files_are_a_card_error(written, tmp_path):
    """An N1.7 checkpoint with the N1.6 (Eagle) processor directory: one line naming the file."""
    card = tiny_card("t", written["n1.7"] / "checkpoint", written["n1.6"] / "processor", SPEC)
    with pytest.raises(UserError, match="qwen3_vl") as e:
        make_policy(parse_policy(card, str(tmp_path / "card.yaml")))
    assert "config.json" in str(e.value) and "\n" not in str(e.value)


# ---------------------------------------------------------------------------------------
# Inference: batching, repeatability, backbone once, padding behaviour.


@pytest.mark.parametrize("per_row", [True, False], ids=["per-row", "batched"])
@pytest.mark.parametrize("arch", ARCHS)
def test_batch_of_8_in_one_call_repeats_exactly(written, arch, per_row):
    card = tiny_card("t", written[arch] / "checkpoint", written[arch] / "processor", SPEC)
    card["params"]["batch_invariant"] = per_row  # true is the default
    pol = make_policy(parse_policy(card, str(written[arch] / "card.yaml")))
    calls = {"backbone": 0, "dit": 0}
    pol.model.backbone.register_forward_hook(lambda *a: calls.__setitem__("backbone", calls["backbone"] + 1))
    pol.model.action_head.model.register_forward_hook(lambda *a: calls.__setitem__("dit", calls["dit"] + 1))
    o = _obs(8, texts=["lift it"] * 8)  # one text length: no padding
    slots = np.arange(8)
    pol.reset(slots, list(range(100, 108)))
    a = pol.get_action(o, slots)
    # the backbone once per forward (per row by default, else per call), a DiT pass per denoising step
    assert calls == ({"backbone": 8, "dit": 32} if per_row else {"backbone": 1, "dit": 4})
    assert {k: v.shape for k, v in a.items()} == {
        "action.left_arm": (8, 16, 7), "action.waist": (8, 16, 3), "action.base_height": (8, 16, 1)
    }
    assert all(v.dtype == np.float32 and np.isfinite(v).all() for v in a.values())
    pol.reset(slots, list(range(100, 108)))
    b = pol.get_action(o, slots)
    assert all(np.array_equal(a[k], b[k]) for k in a)  # same seeds, same actions
    pol.reset(slots, list(range(200, 208)))
    c = pol.get_action(o, slots)
    assert not np.array_equal(a["action.left_arm"], c["action.left_arm"])  # other seeds, other noise
    # Each row as in a batch of 1 (its noise depends on its episode alone): bitwise when each
    # row runs alone (tests/test_groot_batch_invariance.py), within rounding when batched.
    for i in (0, 5):
        pol.reset(slots[i : i + 1], [100 + i])
        one = pol.get_action(_rows(o, i), slots[i : i + 1])
        for k in a:
            if per_row:
                assert np.array_equal(one[k][0], a[k][i])
            else:
                np.testing.assert_allclose(one[k][0], a[k][i], atol=1e-5)


def test_pads_reach_the_n17_action_but_not_the_n16(written):
    """N1.6 masks pads in every cross-attention; N1.7's vl self-attention runs unmasked, so a
    left-padded row differs from the same row alone (the original behaves so)."""
    o = _obs(2, texts=["lift", "pick up the brown box and place it in the blue bin"])
    g = lambda: torch.Generator().manual_seed(3)  # noqa: E731
    for arch, same in (("n1.6", True), ("n1.7", False)):
        pol = _policy(written[arch])
        both = pol.predict(o, generator=g())
        noise = pol.model.initial_noise(2, g())
        alone = pol.predict(_rows(o, 0), noise=noise[:1])
        diff = float(np.abs(both["action.left_arm"][0] - alone["action.left_arm"][0]).max())
        assert (diff < 1e-5) == same, (arch, diff)


@pytest.mark.parametrize("arch", ARCHS)
def test_relative_actions_are_added_to_the_observed_state(written, arch):
    pol = _policy(written[arch])
    o = _obs(2)
    _, raw = pol.inputs(o)
    pred = np.zeros((2, pol.model.cfg.action_horizon, pol.model.cfg.max_action_dim))
    out = pol.decode(pred, raw)
    st = pol.emb.stats
    rel = st["relative_action"]["left_arm"]
    mid = (np.asarray(rel["min"]) + np.asarray(rel["max"])) / 2  # 0 in [-1, 1] -> the middle, per step
    want = o["state.left_arm"][:, -1][:, None, :] + mid[None]
    np.testing.assert_allclose(out["action.left_arm"], want, rtol=1e-6, atol=1e-6)
    ab = st["action"]["base_height"]
    np.testing.assert_allclose(out["action.base_height"][0, 0], (np.asarray(ab["min"]) + ab["max"]) / 2, rtol=1e-6)
    # Beyond [-1, 1] is clipped before unnormalising.
    out = pol.decode(pred + 5.0, raw)
    np.testing.assert_allclose(out["action.base_height"][0, 0], ab["max"], rtol=1e-6)


# ---------------------------------------------------------------------------------------
# Processing rules.


def test_area_resize_averages_blocks_and_keeps_constants():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (8, 12, 3), dtype=np.uint8)
    want = img.reshape(4, 2, 6, 2, 3).astype(float).mean(axis=(1, 3))
    np.testing.assert_array_equal(area_resize(img, 4, 6), np.rint(want).astype(np.uint8))
    flat = np.full((224, 224, 3), 77, np.uint8)
    assert (eval_transform(flat, 256, 0.95) == 77).all()
    assert eval_transform(flat, 256, 0.95).shape == (256, 256, 3)
    # 480x640 -> 256x341 -> crop 243x323 -> 256x340 (323 * 256 / 243 = 340.3)
    assert eval_transform(np.zeros((480, 640, 3), np.uint8), 256, 0.95).shape == (256, 340, 3)


def test_tokens_per_image_as_the_originals():
    """N1.6: 256x256 -> 252x252 -> 81 tokens, 4:3 -> 336x252 -> 108; N1.7 256x256 -> 64 tokens."""
    assert eagle3_pixels(np.zeros((256, 256, 3), np.uint8)).shape == (3, 252, 252)
    assert eagle3_pixels(np.zeros((256, 341, 3), np.uint8)).shape == (3, 252, 336)
    from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil

    ip = Qwen2VLImageProcessorPil(patch_size=16)
    enc = ip(images=[np.zeros((256, 256, 3), np.uint8)], return_tensors="np")
    assert enc["image_grid_thw"].tolist() == [[1, 16, 16]] and enc["pixel_values"].shape == (256, 3 * 2 * 16 * 16)
    assert 16 * 16 // 4 == 64


def test_eagle_smart_resize_as_processing_eagle3_vl():
    """Worked by hand from Eagle's smart_resize: 1514x2200 rounds to 1512x2212 (3.34 M pixels,
    over 4096 * 28^2), scaled by sqrt(1512 * 2212 / max) = 1.0205 and floored to 28: 1456x2156
    (scaling the unrounded size instead gives 1484). Each side is capped at 7000 first; an
    aspect ratio over 200 is refused in one line."""
    from arena_eval.policies.groot.n1x.images import smart_resize_28

    assert smart_resize_28(1514, 2200) == (1456, 2156)
    assert smart_resize_28(50, 8000) == (56, 7000)
    assert smart_resize_28(256, 256) == (252, 252) and smart_resize_28(10, 10) == (56, 56)
    with pytest.raises(UserError, match="aspect ratio over 200") as e:
        smart_resize_28(20, 4100)
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("arch", ARCHS)
def test_prompt_layout(written, arch):
    pol = _policy(written[arch])
    x, _ = pol.inputs(_obs(2, texts=["Pick up the box!", "lift"]))
    text = pol.tokenizer.decode(x.input_ids[0])
    if arch == "n1.6":  # text first, formalised; each image <image k><img>CONTEXT x n</img>
        assert re.search(r"<\|im_start\|>user\npick up the box<image 1><img>(<IMG_CONTEXT>)+</img><\|im_end\|>", text)
        assert text.startswith("<|im_start|>system\nYou are a helpful assistant.<|im_end|>")
    else:  # images first
        assert re.search(r"<\|im_start\|>user\n<\|vision_start\|>(<\|image_pad\|>)+<\|vision_end\|>pick up the box", text)
    assert not text.rstrip().endswith("assistant")  # no generation prompt
    assert x.attention_mask[1, 0] == 0 and x.attention_mask[0].all()  # padded on the left


# ---------------------------------------------------------------------------------------
# The backbones against transformers' own models on the same weights.


def test_n16_vision_tower_is_transformers_siglip2(written):
    """Our patch layout and tower equal transformers' Siglip2VisionModel fed by its own
    image processor's patchification (row, column, channel)."""
    from transformers import Siglip2VisionModel

    pol = _policy(written["n1.6"])
    ours = pol.model.backbone.model.vision_model.vision_model
    ref = Siglip2VisionModel(ours.embeddings.config).eval()
    # transformers 5 flattened the class (no inner `vision_model`); our tree keeps the
    # released nesting, so the same weights load into both by their relative names
    missing, unexpected = ref.load_state_dict(
        {k: v for k, v in ours.state_dict().items()}, strict=False
    )
    assert not unexpected and all(k.startswith("head.") for k in missing)
    px = torch.from_numpy(np.stack([eagle3_pixels(f) for f in np.random.default_rng(0).integers(0, 256, (2, 56, 84, 3), dtype=np.uint8)]))
    n, c, h, w = px.shape
    p = 14
    patches = px.permute(0, 2, 3, 1).reshape(n, h // p, p, w // p, p, c).permute(0, 1, 3, 2, 4, 5).reshape(n, -1, p * p * c)
    with torch.no_grad():
        want = ref(
            pixel_values=patches,
            pixel_attention_mask=torch.ones(n, patches.shape[1], dtype=torch.long),
            spatial_shapes=torch.tensor([[h // p, w // p]] * n),
        ).last_hidden_state
        got = ours(px)
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)


def test_n17_feature_is_the_last_layer_before_the_final_norm(written):
    pol = _policy(written["n1.7"])
    x, _ = pol.inputs(_obs(2))
    vl = pol.model.backbone.model.model
    with torch.no_grad():
        feats, image_mask = pol.model.backbone(x.input_ids, x.attention_mask, x.pixel_values, image_grid_thw=x.image_grid_thw)
        out = vl(input_ids=x.input_ids, attention_mask=x.attention_mask, pixel_values=x.pixel_values,
                 image_grid_thw=x.image_grid_thw, mm_token_type_ids=image_mask.int())
    post = out.last_hidden_state  # transformers' output: after the final norm
    torch.testing.assert_close(vl.language_model.norm(feats), post, rtol=1e-5, atol=1e-5)
    assert not torch.allclose(feats, post)
    assert int(image_mask.sum()) == int(x.image_grid_thw.prod(-1).sum()) // 4  # 2x2 merge


# ---------------------------------------------------------------------------------------
# Joint groups of another size, mapped through the card.


@pytest.mark.parametrize("arch", ["n1.5", "n1.7"])
def test_joint_groups_of_another_size_map_through_the_card(written, tmp_path, arch):
    """A checkpoint's 7-dim arm on a suite whose arm is 11 wide (as GR1's 6-joint hands on the
    DexMG GR1's 11): the card picks the suite dims the checkpoint reads and places its output
    dims, the rest filled."""
    import gymnasium as gym

    from arena_eval.cards import TaskSpec
    from arena_eval.policies.groot import write_tiny

    base = written.get(arch)
    if base is None:  # N1.5 in the same spec
        base = tmp_path / "n15"
        write_tiny(base / "checkpoint", base / "processor", arch="n1.5", embodiments={"new_embodiment": SPEC})
    idx = [0, 2, 4, 6, 8, 9, 10]
    card = tiny_card("t", base / "checkpoint", base / "processor", SPEC)
    card["params"]["state"]["state.left_arm"] = {"key": "left_arm", "index": idx}
    card["params"]["action"]["action.left_arm"] = {"key": "left_arm", "index": idx, "fill": 0.5}
    pol = make_policy(parse_policy(card, str(tmp_path / "card.yaml")))
    assert pol.required_obs()["state.left_arm"] is None
    o = _obs(2)
    wide = np.zeros((2, 1, 11), np.float32)
    wide[..., idx] = o["state.left_arm"]
    o_wide = {**o, "state.left_arm": wide}
    box = lambda d: gym.spaces.Box(-1, 1, (d,), np.float32)  # noqa: E731
    obs_space = gym.spaces.Dict({"video.ego_view": gym.spaces.Box(0, 255, (48, 64, 3), np.uint8),
                                 "state.left_arm": box(11), "state.waist": box(3)})
    act_space = gym.spaces.Dict({"action.left_arm": box(11), "action.waist": box(3), "action.base_height": box(1)})
    task = TaskSpec.__new__(TaskSpec)
    object.__setattr__(task, "name", "t")
    object.__setattr__(task, "actions", {})
    pol.bind(task, obs_space, act_space)
    g = lambda: torch.Generator().manual_seed(0)  # noqa: E731
    ref = _policy(base).predict(o, generator=g())  # the same checkpoint on a 7-wide suite
    got = pol.predict(o_wide, generator=g())
    assert got["action.left_arm"].shape == (2, 16, 11)
    np.testing.assert_allclose(got["action.left_arm"][..., idx], ref["action.left_arm"], rtol=1e-5, atol=1e-5)
    assert (got["action.left_arm"][..., [1, 3, 5, 7]] == 0.5).all()
    bad = gym.spaces.Dict({**obs_space.spaces, "state.left_arm": box(9)})
    with pytest.raises(UserError, match="reads dims"):
        pol.bind(task, bad, act_space)


def test_n17_full_40_step_chunks(tmp_path):
    """An embodiment whose action delta_indices cover the model's 40 steps: 40-step chunks;
    a card claiming another horizon is a one-line error naming the field."""
    base = tmp_path / "h40"
    write_tiny_n1x(base / "checkpoint", base / "processor", arch="n1.7", spec=SPEC, horizon=40)
    pol = _policy(base, action_horizon=40, n_action_steps=8)
    pol.reset(np.arange(2), [0, 1])
    a = pol.get_action(_obs(2), np.arange(2))
    assert a["action.left_arm"].shape == (2, 40, 7)
    with pytest.raises(UserError, match="action_horizon") as e:
        _policy(base)  # tiny_card's 16
    assert "40 valid action steps" in str(e.value) and "\n" not in str(e.value)


@pytest.mark.parametrize("how", ["no_statistics", "bad_tag", "no_relative_stats"])
def test_processor_file_mistakes_are_one_line(written, tmp_path, how):
    import shutil

    base = tmp_path / "c"
    shutil.copytree(written["n1.6"], base)
    ckpt = base / "checkpoint"
    over = {}
    if how == "no_statistics":
        (ckpt / "statistics.json").unlink()
        want = "statistics.json"
    elif how == "bad_tag":
        over = {"embodiment_tag": "gr1"}
        want = "no modality config for embodiment 'gr1'"
    else:
        st = json.loads((ckpt / "statistics.json").read_text())
        del st["new_embodiment"]["relative_action"]["left_arm"]
        (ckpt / "statistics.json").write_text(json.dumps(st))
        want = "relative_action.left_arm"
    card = tiny_card("t", ckpt, base / "processor", SPEC)
    card["params"].update(over)
    with pytest.raises(UserError) as e:
        make_policy(parse_policy(card, str(tmp_path / "card.yaml")))
    assert want in str(e.value) and "\n" not in str(e.value), str(e.value)


def test_n17_pad_rows_get_no_attention_as_under_flash_attention(written):
    """N1.7 reads the pad positions' features (its vl self-attention is unmasked), so their
    values matter. NVIDIA runs flash-attention, which drops pad tokens from attention and puts
    zeros back at their positions; our sdpa path must give the same zeros in every layer."""
    pol = _policy(written["n1.7"])
    x, _ = pol.inputs(_obs(2, texts=["lift", "pick up the brown box and place it in the blue bin"]))
    lm = pol.model.backbone.model.model.language_model
    outs: list[torch.Tensor] = []
    hooks = [
        layer.self_attn.register_forward_hook(lambda m, a, out: outs.append(out[0] if isinstance(out, tuple) else out))
        for layer in lm.layers
    ]
    with torch.no_grad():
        pol.model.backbone(x.input_ids, x.attention_mask, x.pixel_values, image_grid_thw=x.image_grid_thw)
    for h in hooks:
        h.remove()
    pads = x.attention_mask[0] == 0
    assert int(pads.sum()) > 0 and len(outs) == len(lm.layers)
    for o in outs:
        assert torch.isfinite(o).all()
        assert bool((o[0, pads] == 0).all())
        assert bool((o[0, ~pads].abs().sum(-1) > 0).all())


def test_eef_relative_poses_compose_with_the_state():
    from scipy.spatial.transform import Rotation

    from arena_eval.policies.groot.n1x.state_action import compose_eef, matrix_to_rot6d, relative_eef, rot6d_to_matrix

    rng = np.random.default_rng(0)
    rs = Rotation.random(2, random_state=1).as_matrix()
    ra = Rotation.random(6, random_state=2).as_matrix().reshape(2, 3, 3, 3)
    state = np.concatenate([rng.normal(size=(2, 3)), matrix_to_rot6d(rs)], -1)
    action = np.concatenate([rng.normal(size=(2, 3, 3)), matrix_to_rot6d(ra)], -1)
    np.testing.assert_allclose(rot6d_to_matrix(matrix_to_rot6d(ra)), ra, atol=1e-12)
    rel = relative_eef(state, action)
    np.testing.assert_allclose(compose_eef(state, rel), action, atol=1e-12)
    ident = np.zeros((2, 1, 9))
    ident[..., 3], ident[..., 7] = 1, 1  # rows (1,0,0), (0,1,0): no motion
    np.testing.assert_allclose(compose_eef(state, ident)[:, 0], state, atol=1e-12)
    # A pure translation along the state's own x axis moves along the first column of R_state.
    step = ident.copy()
    step[..., 0] = 0.5
    np.testing.assert_allclose(compose_eef(state, step)[:, 0, :3] - state[:, :3], 0.5 * rs[:, :, 0], atol=1e-12)


def test_eef_action_needs_a_pose_state(written, tmp_path):
    import shutil

    base = tmp_path / "c"
    shutil.copytree(written["n1.7"], base)
    p = base / "checkpoint" / "processor_config.json"
    pc = json.loads(p.read_text())
    pc["processor_kwargs"]["modality_configs"]["new_embodiment"]["action"]["action_configs"][0]["type"] = "EEF"
    p.write_text(json.dumps(pc))
    with pytest.raises(UserError, match=r"XYZ_ROT6D \(xyz \+ rot6d, 9 dims\).*got format default, 7 and 7") as e:
        _policy(base)
    assert "processor_config.json" in str(e.value)


def test_video_history_is_refused_at_bind(written, tmp_path):
    import shutil

    import gymnasium as gym

    base = tmp_path / "c"
    shutil.copytree(written["n1.7"], base)
    p = base / "checkpoint" / "processor_config.json"
    pc = json.loads(p.read_text())
    pc["processor_kwargs"]["modality_configs"]["new_embodiment"]["video"]["delta_indices"] = [-15, 0]
    p.write_text(json.dumps(pc))
    pol = _policy(base)
    box = lambda d: gym.spaces.Box(-1, 1, (d,), np.float32)  # noqa: E731
    obs_space = gym.spaces.Dict({"video.ego_view": gym.spaces.Box(0, 255, (48, 64, 3), np.uint8),
                                 "state.left_arm": box(7), "state.waist": box(3)})
    act_space = gym.spaces.Dict({"action.left_arm": box(7), "action.waist": box(3), "action.base_height": box(1)})
    with pytest.raises(UserError, match="reads 2 video frames per call") as e:
        pol.bind(None, obs_space, act_space)
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("arch", ARCHS)
def test_without_the_unused_tensors_and_in_bfloat16(tmp_path, arch):
    """Released files may or may not carry the LM head: both load. The bfloat16 path (what CUDA
    runs) works end to end, here on the CPU, and stays close to float32."""
    base = tmp_path / arch
    write_tiny_n1x(base / "checkpoint", base / "processor", arch=arch, spec=SPEC, with_unused=False)
    f32 = _policy(base)
    assert f32.skipped == [] and "action_head.mask_token" in f32.absent
    bf16 = _policy(base, params={**tiny_card("t", base / "checkpoint", base / "processor", SPEC)["params"],
                                 "dtype": "bfloat16"})
    assert bf16.model.dtype == torch.bfloat16
    g = lambda: torch.Generator().manual_seed(0)  # noqa: E731
    a, b = f32.predict(_obs(2), generator=g()), bf16.predict(_obs(2), generator=g())
    for k in a:
        assert b[k].dtype == np.float32 and np.isfinite(b[k]).all()
        assert float(np.abs(a[k] - b[k]).max()) < 0.25 * float(np.abs(a[k]).max() + 1)
