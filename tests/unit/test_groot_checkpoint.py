"""GR00T checkpoints: the real layout, strict loading, bit-identical round trips, and every
broken file as a one-line UserError."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from arena_eval.cards import parse_policy
from arena_eval.errors import UserError
from arena_eval.policies.groot import write_tiny
from arena_eval.policies.groot.common.checkpoint import INDEX, SINGLE
from arena_eval.policies.groot.common.tiny import TinySpec, tiny_card
from arena_eval.policies.groot.common.tokenizer import load_tokenizer
from arena_eval.policies.groot.n1.checkpoint import METADATA, OPTIONAL, load_weights
from arena_eval.policies.groot.n1.config import N1, N15, PUBLISHED, load_config, parse_config
from arena_eval.policies.groot.n1.eagle_config import load_eagle_config
from arena_eval.policies.groot.n1.model import Gr00tModel, ModelInputs, build_empty

SPEC = TinySpec(state={"arm": 3, "grip": 1}, action={"arm": 3, "grip": 1}, video={"ego_view": (40, 30)})


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    # Other processes share this CPU: one torch thread beats oversubscribed ones by far.
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = {}
    for arch in ("n1.5", "n1"):
        base = tmp_path_factory.mktemp(f"tiny-{arch}")
        model = write_tiny(
            base / "checkpoint",
            base / "processor",
            arch=arch,
            embodiments={"new_embodiment": SPEC, "gr1": SPEC},
            num_shards=3,
        )
        out[arch] = (arch, base, model)
    return out


@pytest.fixture(params=["n1.5", "n1"])
def tiny(request, written):
    return written[request.param]


def _inputs(model: Gr00tModel, processor: Path, batch: int = 2) -> tuple[ModelInputs, int]:
    tok = load_tokenizer(processor)
    image_id = tok.convert_tokens_to_ids("<IMG_CONTEXT>")
    n = model.eagle_cfg.tokens_per_image
    text = ["<|im_start|>user\n<img>" + "<IMG_CONTEXT>" * n + "</img>pick it up<|im_end|>\n"] * batch
    enc = tok(text, return_tensors="pt", padding=True)
    s = model.eagle_cfg.image_size
    g = torch.Generator().manual_seed(1)
    head = model.cfg.action_head_cfg
    return ModelInputs(
        enc["input_ids"],
        enc["attention_mask"],
        torch.randn(batch, 3, s, s, generator=g),
        torch.randn(batch, 1, head.max_state_dim, generator=g),
        torch.tensor([31, 24][:batch]),
    ), image_id


def test_layout_matches_the_real_checkpoint(tiny):
    arch, base, model = tiny
    ckpt = base / "checkpoint"
    index = json.loads((ckpt / INDEX).read_text())
    files = sorted(set(index["weight_map"].values()))
    assert files == [f"model-0000{k}-of-00003.safetensors" for k in (1, 2, 3)]
    assert index["metadata"]["total_size"] > 0
    keys = set(index["weight_map"])
    for f in files:  # every shard holds exactly what the index says
        with safe_open(str(ckpt / f), "pt") as h:
            assert set(h.keys()) == {k for k, v in index["weight_map"].items() if v == f}
    cfg = json.loads((ckpt / "config.json").read_text())
    assert cfg["model_type"] == {"n1.5": N15, "n1": N1}[arch]
    for field in ("architectures", "action_horizon", "action_dim", "backbone_cfg", "action_head_cfg"):
        assert field in cfg
    assert cfg["action_head_cfg"]["diffusion_model_cfg"]["norm_type"] == "ada_norm"
    meta = json.loads((ckpt / METADATA).read_text())
    assert set(meta) == {"new_embodiment", "gr1"}
    entry = meta["gr1"]
    assert entry["embodiment_tag"] == "gr1"
    assert set(entry["statistics"]["state"]["arm"]) == {"max", "min", "mean", "std", "q01", "q99"}
    assert entry["modalities"]["video"]["ego_view"]["resolution"] == [40, 30]
    assert entry["modalities"]["state"]["arm"]["shape"] == [3]

    p = "backbone.eagle_model" if arch == "n1.5" else "backbone.model"
    expected = [
        f"{p}.vision_model.vision_model.embeddings.patch_embedding.weight",
        f"{p}.vision_model.vision_model.encoder.layers.0.self_attn.q_proj.weight",
        f"{p}.vision_model.vision_model.post_layernorm.weight",
        f"{p}.mlp1.0.weight",
        f"{p}.language_model.model.embed_tokens.weight",
        f"{p}.language_model.model.layers.1.mlp.down_proj.weight",
        f"{p}.language_model.model.norm.weight",
        "action_head.state_encoder.layer1.W",
        "action_head.state_encoder.layer2.b",
        "action_head.action_encoder.W1.W",
        "action_head.action_encoder.W3.b",
        "action_head.action_decoder.layer2.W",
        "action_head.position_embedding.weight",
        "action_head.model.timestep_encoder.timestep_embedder.linear_2.weight",
        "action_head.model.transformer_blocks.0.norm1.linear.weight",
        "action_head.model.transformer_blocks.1.attn1.to_out.0.weight",
        "action_head.model.transformer_blocks.3.ff.net.0.proj.weight",
        "action_head.model.transformer_blocks.3.ff.net.2.bias",
        "action_head.model.proj_out_1.weight",
        "action_head.model.proj_out_2.bias",
    ]
    if arch == "n1.5":
        expected += [
            "action_head.future_tokens.weight",
            "action_head.vlln.weight",
            "action_head.vl_self_attention.transformer_blocks.0.norm1.weight",
            "backbone.eagle_model.language_model.lm_head.weight",
            "backbone.eagle_model.vision_model.vision_model.head.probe",
        ]
        assert not any(k.startswith("backbone.eagle_linear") for k in keys)  # project_to_dim null
    else:
        expected += ["backbone.model.mlp1.1.weight", "backbone.model.mlp1.3.bias", "backbone.linear.weight"]
        assert not any("future_tokens" in k or "vlln" in k for k in keys)
    missing = [k for k in expected if k not in keys]
    assert not missing, missing
    assert not any(".layers.2." in k for k in keys if "language_model" in k)  # cut to select_layer = 2


@pytest.mark.parametrize("model_type", [N15, N1])
def test_real_size_tree_matches_the_published_shapes(model_type):
    """The module tree at the published sizes, on the meta device (nothing allocated)."""
    cfg = parse_config(copy.deepcopy(PUBLISHED[model_type]), "published")
    with torch.device("meta"):
        m = Gr00tModel(cfg, load_eagle_config(None, model_type))
    sd = {k: tuple(v.shape) for k, v in m.state_dict().items()}
    p = "backbone.eagle_model" if model_type == N15 else "backbone.model"
    assert sd[f"{p}.vision_model.vision_model.embeddings.position_embedding.weight"] == (256, 1152)
    assert sum(f"{p}.vision_model.vision_model.encoder.layers.{i}.mlp.fc1.weight" in sd for i in range(40)) == 27
    assert sum(f"{p}.language_model.model.layers.{i}.input_layernorm.weight" in sd for i in range(40)) == 12
    assert sd["action_head.state_encoder.layer1.W"] == (32, 64, 1024)
    assert sd["action_head.state_encoder.layer2.W"] == (32, 1024, 1536)
    assert sd["action_head.action_decoder.layer2.W"] == (32, 1024, 32)
    assert sd["action_head.position_embedding.weight"] == (1024, 1536)
    assert sum(f"action_head.model.transformer_blocks.{i}.norm1.linear.weight" in sd for i in range(40)) == 16
    if model_type == N15:
        assert sd["backbone.eagle_model.mlp1.0.weight"] == (2048, 1152)
        assert sd["backbone.eagle_model.language_model.model.embed_tokens.weight"] == (151680, 2048)
        assert sd["action_head.future_tokens.weight"] == (32, 1536)
        assert sd["action_head.vlln.weight"] == (2048,)
        assert (
            sum(f"action_head.vl_self_attention.transformer_blocks.{i}.attn1.to_q.weight" in sd for i in range(9)) == 4
        )
        assert sd["action_head.model.transformer_blocks.0.attn1.to_k.weight"] == (1536, 2048)  # cross-attends
        assert sd["action_head.model.transformer_blocks.1.attn1.to_k.weight"] == (1536, 1536)  # self-attends
    else:
        assert sd["backbone.model.mlp1.1.weight"] == (2048, 4 * 1152)  # pixel shuffle 0.5
        assert sd["backbone.linear.weight"] == (1536, 2048)
        assert "action_head.future_tokens.weight" not in sd


def test_strict_load_is_bit_identical(tiny):
    arch, base, model = tiny
    cfg = load_config(base / "checkpoint")
    loaded = build_empty(cfg, load_eagle_config(base / "processor", cfg.model_type), torch.device("cpu"), torch.float32)
    report = load_weights(loaded, base / "checkpoint")
    skipped = report.skipped
    assert all(k.startswith(tuple(OPTIONAL)) for k in skipped)
    assert bool(skipped) == (arch == "n1.5")
    line = report.line(base / "checkpoint")
    assert "\n" not in line and ("skipped backbone.eagle_model.language_model.lm_head.*" in line) == (arch == "n1.5")
    for k, v in model.state_dict().items():
        assert torch.equal(v, loaded.state_dict()[k]), k
    for name, buf in model.named_buffers():  # recomputed, unsaved buffers too
        assert torch.equal(buf, dict(loaded.named_buffers())[name]), name
    x, image_id = _inputs(model, base / "processor")
    noise = torch.randn(2, 16, cfg.action_head_cfg.action_dim, generator=torch.Generator().manual_seed(3))
    a = model.get_action(x, image_id, 4, noise=noise)
    b = loaded.get_action(x, image_id, 4, noise=noise)
    assert torch.equal(a, b)
    assert a.shape == (2, 16, cfg.action_head_cfg.action_dim) and torch.isfinite(a).all()
    # ... and written again unsharded, read again: still the same numbers.
    single = base / "single"
    save_file({k: v.contiguous() for k, v in loaded.state_dict().items()}, str(_mkdir(single) / SINGLE))
    again = build_empty(cfg, loaded.eagle_cfg, torch.device("cpu"), torch.float32)
    assert load_weights(again, single).skipped == []
    assert torch.equal(again.get_action(x, image_id, 4, noise=noise), a)


def _mkdir(p: Path) -> Path:
    p.mkdir(parents=True, exist_ok=True)
    return p


# ---------------------------------------------------------------------------------------
# Broken checkpoints: each is one line naming what and where.


def _break(ckpt: Path, how: str) -> str:
    """Damage a copy of a checkpoint; returns a fragment the error must contain."""
    index = json.loads((ckpt / INDEX).read_text())
    wmap = index["weight_map"]
    key = "action_head.model.proj_out_2.weight"
    shard = ckpt / wmap[key]
    if how == "no_config":
        (ckpt / "config.json").unlink()
        return "config.json: file not found"
    if how == "bad_config":
        (ckpt / "config.json").write_text('{"model_type": "gr00t_n1_5", ')
        return "malformed JSON"
    if how == "wrong_model_type":
        cfg = json.loads((ckpt / "config.json").read_text())
        cfg["model_type"] = "llama"
        (ckpt / "config.json").write_text(json.dumps(cfg))
        return "not a GR00T N1.5 or N1 checkpoint"
    if how == "no_metadata":
        (ckpt / METADATA).unlink()
        return "metadata.json: file not found"
    if how == "no_weights":
        for f in set(wmap.values()):
            (ckpt / f).unlink()
        (ckpt / INDEX).unlink()
        return "no weights"
    if how == "missing_shard":
        shard.unlink()
        return f"shard {shard.name} named in {INDEX} is missing"
    if how == "truncated_shard":
        data = shard.read_bytes()
        shard.write_bytes(data[: len(data) // 2])
        return "corrupt safetensors file"
    t = load_file(str(shard))
    if how in ("nan", "inf"):
        t[key] = t[key].clone()
        t[key][0, 0] = float("nan") if how == "nan" else float("inf")
        save_file(t, str(shard))
        return f"tensor {key!r} holds NaN or inf values"
    if how == "missing_tensor":
        del t[key]
        del wmap[key]
        save_file(t, str(shard))
        (ckpt / INDEX).write_text(json.dumps(index))
        return f"missing tensor {key!r}"
    if how == "unexpected_tensor":
        t["action_head.extra_layer.weight"] = torch.zeros(2, 2)
        wmap["action_head.extra_layer.weight"] = shard.name
        save_file(t, str(shard))
        (ckpt / INDEX).write_text(json.dumps(index))
        return "unexpected tensor 'action_head.extra_layer.weight'"
    if how == "not_in_index":
        t["action_head.stray.weight"] = torch.zeros(2)
        save_file(t, str(shard))
        return "is in this shard but not in"
    if how == "wrong_shape":
        t[key] = torch.zeros(3, 3)
        save_file(t, str(shard))
        return f"tensor {key!r} has shape (3, 3)"
    raise AssertionError(how)


BREAKAGES = [
    "no_config",
    "bad_config",
    "wrong_model_type",
    "no_metadata",
    "no_weights",
    "missing_shard",
    "truncated_shard",
    "nan",
    "inf",
    "missing_tensor",
    "unexpected_tensor",
    "not_in_index",
    "wrong_shape",
]


@pytest.mark.parametrize(
    "arch, how", [("n1.5", h) for h in BREAKAGES] + [("n1", h) for h in ("nan", "missing_tensor", "unexpected_tensor")]
)
def test_broken_checkpoint_is_one_line_user_error(written, tmp_path, arch, how):
    _, base, _ = written[arch]
    ckpt = tmp_path / "checkpoint"
    shutil.copytree(base / "checkpoint", ckpt)
    fragment = _break(ckpt, how)
    card = parse_policy(tiny_card("broken", ckpt, base / "processor", SPEC), str(tmp_path / "card.yaml"))
    from arena_eval.policies import make_policy

    with pytest.raises(UserError) as e:
        make_policy(card)
    msg = str(e.value)
    assert "\n" not in msg
    assert fragment in msg, msg
