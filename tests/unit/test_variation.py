"""Robustness sweeps without the simulator: card validation, --vary parsing and errors,
derived tasks on the nominal seeds, seed/level determinism of start-state draws and of
policy-side noise, env cfg application, records and the sweep report."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from arena_eval.cards import load_suite, parse_suite, task_from_card
from arena_eval.cards import variation as V
from arena_eval.errors import UserError
from arena_eval.records import EpisodeRecord
from arena_eval.run import make_plan

ROOT = Path(__file__).resolve().parents[2]
EMBEDDED = {"g1": 3, "dexmg": 3, "robocasa": 26}  # robocasa: RoboCasa's 24 and two _wide variants


def g1_lift():
    return load_suite("g1").task("g1_lift")


@pytest.mark.parametrize("suite", sorted(EMBEDDED))
def test_every_embedded_task_lists_at_least_8_axes_3_of_them_visual(suite):
    tasks = load_suite(suite).tasks
    assert len(tasks) == EMBEDDED[suite]
    for t in tasks:
        axes = V.task_axes(t)  # every listed axis and level exists in the family's set
        assert len(axes) >= 8, t.name
        assert sum(a.kind == "visual" for a in axes.values()) >= 3, t.name
        assert all(a.levels for a in axes.values())


def test_parse_vary_merges_repeats_and_rejects_malformed_items():
    assert V.parse_vary(["lighting=shadows,no_ambient", "camera=left", "lighting=ambient_only"]) == [
        ("lighting", ["shadows", "no_ambient", "ambient_only"]), ("camera", ["left"])]
    for bad in ("lighting", "=dim", "lighting=", "lighting=,"):
        with pytest.raises(UserError, match="AXIS=LEVEL"):
            V.parse_vary([bad])


def test_an_empty_or_repeated_level_is_refused_not_dropped():
    """Issue 28: `--vary "object=heavy,,light"` ran heavy and light and dropped the empty
    level silently; a typo there is a level that would not run. One line, exit 2."""
    for bad in ("object=heavy,,light", "object=heavy,", "object=heavy, ,light"):
        with pytest.raises(UserError, match=rf"--vary: an empty level in {bad!r}") as e:
            V.parse_vary([bad])
        assert "\n" not in str(e.value)
    with pytest.raises(UserError, match="--vary: level 'heavy' of axis 'object' is named twice"):
        V.parse_vary(["object=heavy,light,heavy"])
    with pytest.raises(UserError, match="named twice"):
        V.parse_vary(["object=heavy", "object=heavy"])


def test_expand_derives_one_task_per_level_on_the_nominal_seeds():
    suite = load_suite("g1")
    suite = suite.__class__(name=suite.name, tasks=(suite.task("g1_lift"),), source=suite.source)
    out = V.expand(suite, V.parse_vary(["lighting=nominal,shadows", "obs_noise=high"]))
    names = [t.name for t in out.tasks]
    assert names == ["g1_lift", "g1_lift@lighting=shadows", "g1_lift@obs_noise=high"]
    plan = make_plan(out, 3)
    seeds = [[e.seed for e in plan[n]] for n in names]
    assert seeds[0] == seeds[1] == seeds[2] and len(set(seeds[0])) == len(seeds[0])
    d = out.tasks[1]
    assert d.base_name == "g1_lift" and d.variation["axis"] == "lighting" and d.variation["kind"] == "visual"
    assert d.variation["cfg"] == {"scene.ego_cam.renderer_cfg.enable_shadows": True}
    # Ray shards rebuild tasks from their cards: the level travels with it.
    again = task_from_card(json.loads(json.dumps(d.to_card())), d.source)
    assert again == d and again.base_name == "g1_lift"


def test_unknown_axis_or_level_is_a_one_line_error_naming_task_and_axes():
    suite = load_suite("g1")
    with pytest.raises(UserError) as e:
        V.expand(suite, [("weather", ["rain"])])
    msg = str(e.value)
    assert "g1_pick_place" in msg and "weather" in msg and "placement=wide|wider" in msg and "latency=1|3" in msg
    assert "\n" not in msg
    with pytest.raises(UserError, match=r"task 'g1_pick_place' axis 'lighting' has no level 'disco' \(levels: nominal, shadows"):
        V.expand(suite, [("lighting", ["disco"])])


@pytest.mark.parametrize("vary, words", [("weather=rain", ("g1_lift", "placement", "weather")),
                                         ("object=heavy,,light", ("--vary: an empty level in 'object=heavy,,light'",))])
def test_cli_vary_error_exits_2_with_one_line_and_writes_nothing(tmp_path, vary, words):
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, "scripts/evaluate.py", "--suite", "g1", "--tasks", "g1_lift", "--policy", "scripted",
                           "--vary", vary, "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and all(w in lines[0] for w in words), proc.stderr
    assert not out.exists()


def _card(variations):
    return {"name": "s", "tasks": [{
        "name": "t", "instruction": "i", "max_steps": 5, "success": "time_limit", "env": {"id": "X"},
        "observations": {"state.x": {"source": "policy"}}, "actions": {"action.a": {"dim": 1}}, "variations": variations}]}


def test_card_variations_are_validated_with_file_and_field():
    with pytest.raises(UserError, match=r"c.yaml: tasks\[0\].variations.levels.lighting: expected a non-empty list"):
        parse_suite(_card({"axes": "g1", "levels": {"lighting": []}}), "c.yaml")
    with pytest.raises(UserError, match=r"tasks\[0\].variations.levels: missing required field"):
        parse_suite(_card({"axes": "g1", "level": {}}), "c.yaml")
    with pytest.raises(UserError, match=r"tasks\[0\].variations: unknown field 'extra'"):
        parse_suite(_card({"axes": "g1", "levels": {"lighting": ["x"]}, "extra": 1}), "c.yaml")
    t = parse_suite(_card({"axes": "g1", "levels": {"lighting": ["bogus"]}}), "c.yaml").tasks[0]
    with pytest.raises(UserError, match="axis 'lighting' has no level 'bogus'"):
        V.task_axes(t)
    t = parse_suite(_card({"axes": "nope", "levels": {"lighting": ["dim"]}}), "c.yaml").tasks[0]
    with pytest.raises(UserError, match="unknown axis set 'nope'"):
        V.task_axes(t)


def test_a_card_cannot_name_a_task_like_a_derived_one():
    card = _card({})
    card["tasks"][0]["name"] = "t@lighting=dim"
    with pytest.raises(UserError, match="may hold only letters"):
        parse_suite(card, "c.yaml")


# ------------------------------------------------------------------------ start states


def _derived(axis, level):
    t = g1_lift()
    return V.derive(t, V.task_axes(t)[axis], level)


def test_start_draws_depend_on_seed_and_level_alone():
    base = {"robot": {}, "box": {"root_pos_offset": {"x": 0.01, "y": -0.02}}}
    wide, wider = _derived("placement", "wide").variation, _derived("placement", "wider").variation
    a = V.perturb_start(base, wide, 11)
    assert a == V.perturb_start(base, wide, 11)  # same seed and level: same state
    assert a != V.perturb_start(base, wide, 12)
    b = V.perturb_start(base, wider, 11)
    for k in ("x", "y"):  # both levels use the same uniform numbers, scaled to their range
        assert abs(a["box"]["root_pos_offset"][k]) <= 0.04 and b["box"]["root_pos_offset"][k] == pytest.approx(1.5 * a["box"]["root_pos_offset"][k])
    assert base["box"]["root_pos_offset"] == {"x": 0.01, "y": -0.02}  # the sampler's state is not touched
    yaw = V.perturb_start(base, _derived("placement", "yaw30").variation, 11)
    assert yaw["box"]["root_pos_offset"] == base["box"]["root_pos_offset"] and abs(yaw["box"]["root_yaw"]["z"]) <= np.radians(30)
    joints = V.perturb_start(base, _derived("init_joints", "large").variation, 11)["robot"]["joint_pos_offset"]
    assert len(joints) == 6 and all(abs(v) <= 0.15 for v in joints.values()) and len(set(joints.values())) == 6
    assert V.perturb_start(base, _derived("lighting", "shadows").variation, 11) is base  # visual: no start change


# ------------------------------------------------------------------------ policy side


def _batch(slots, seeds_obs):
    return {"state.a": np.array([[[s, s + 1.0]] for s in seeds_obs], np.float32), "state.c": np.zeros((len(slots), 1, 3), np.float32)}


def test_obs_noise_follows_the_episode_seed_not_the_slot_or_num_envs():
    var = _derived("obs_noise", "high").variation
    one = V.PolicySide(var, 1, {"state.c"})
    one.reset([0], [77])
    r1 = [one.observe(_batch([0], [5.0]), np.array([0]))["state.a"][0].copy() for _ in range(3)]
    four = V.PolicySide(var, 4, {"state.c"})
    four.reset([0, 1, 2, 3], [1, 2, 77, 3])
    r4 = [four.observe(_batch([2, 0], [5.0, 9.0]), np.array([2, 0])) for _ in range(3)]
    for a, b in zip(r1, r4):
        np.testing.assert_array_equal(a, b["state.a"][0])  # slot 2 of 4 ran seed 77 like slot 0 of 1
        assert not np.allclose(b["state.a"][0], [[5.0, 6.0]])
        np.testing.assert_array_equal(b["state.c"], 0)  # constant keys (not the robot's) stay
    assert np.std(np.concatenate([x - [[5.0, 6.0]] for x in r1])) == pytest.approx(0.05, rel=0.9)
    other = V.PolicySide(var, 1)
    other.reset([0], [78])
    assert not np.array_equal(other.observe(_batch([0], [5.0]), np.array([0]))["state.a"], r1[0][None])


def test_action_noise_and_latency_per_slot():
    noisy = V.PolicySide(_derived("action_noise", "low").variation, 2)
    noisy.reset([0, 1], [5, 5])
    act = {"action.a": np.ones((2, 2), np.float32), "action.off": np.ones((2, 1), np.float32)}
    out = noisy.act(act, [0, 1], {"action.a"})
    np.testing.assert_array_equal(out["action.a"][0], out["action.a"][1])  # same seed, same noise
    assert not np.allclose(out["action.a"], 1.0) and np.all(np.abs(out["action.a"] - 1) < 0.1)
    np.testing.assert_array_equal(out["action.off"], 1.0)  # keys the env is not sent are left
    late = V.PolicySide(_derived("latency", "3").variation, 1)
    late.reset([0], [5])
    sent = [late.act({"action.a": np.full((1, 1), float(t), np.float32)}, [0], {"action.a"})["action.a"][0, 0] for t in range(6)]
    assert sent == [0, 0, 0, 0, 1, 2]  # 3 steps late; the first action is held meanwhile
    late.reset([0], [6])  # a new episode forgets the queue
    assert late.act({"action.a": np.full((1, 1), 9.0, np.float32)}, [0], {"action.a"})["action.a"][0, 0] == 9.0


def test_runner_applies_policy_side_levels_and_records_the_level():
    from fakes import FakeEnv, fake_task

    from arena_eval.cards import PolicySpec
    from arena_eval.policies import Policy
    from arena_eval.run import PlannedEpisode, run_task

    class Echo(Policy):
        def __init__(self):
            super().__init__(PolicySpec(name="echo", type="zero"))
            self.seen = []

        def get_action(self, obs, slots):
            self.seen.append(np.array(obs["state.x"][:, 0]))
            return {"action.a": np.zeros((len(slots), 1, 1), np.float32), "action.b": np.zeros((len(slots), 1, 2), np.float32)}

    base = dataclasses.replace(fake_task(), variations={"axes": "x", "levels": {}})
    task = V.derive(base, V.Axis("obs_noise", "policy", {"high": V.Level(policy={"obs_noise": 0.5})}), "high")
    recs, pol = [], Echo()
    run_task(FakeEnv(task, 1, lengths=lambda s: (3, True)), pol, task, [PlannedEpisode(task.name, 0, 9)], recs.append, progress=False)
    assert recs[0].variation == {"obs_noise": "high"} and recs[0].task == "fake@obs_noise=high"
    assert not np.allclose(pol.seen[0], 0.0)
    rec = EpisodeRecord.from_dict(json.loads(recs[0].to_json()))
    assert rec.variation == {"obs_noise": "high"}
    old = EpisodeRecord.from_dict({"task": "t", "episode": 0, "seed": 1, "outcome": "success", "reason": "", "steps": 3})
    assert old.variation == {} and "variation" not in json.loads(old.to_json())  # nominal and older records alike


# ------------------------------------------------------------------------ env cfg


def test_apply_variation_sets_relative_and_absolute_cfg_values_and_names_a_bad_path():
    from arena_eval.envs.vary_env import apply_variation

    ns = types.SimpleNamespace
    cfg = ns(scene=ns(ego_cam=ns(offset=ns(pos=(0.1, 0.0, 1.4), rot=(0.0, 0.0, 0.0, 1.0)), background_color=None),
                      box=ns(spawn=ns(mass_props=ns(mass=0.4)))))
    task = g1_lift()
    t = dataclasses.replace(task, variation= {"axis": "a", "level": "b", "cfg": {
        "scene.ego_cam.offset.pos": {"add": [0.0, 0.05, 0.0]}, "scene.ego_cam.offset.rot": {"rotate": [0, 0, 0.7071068, 0.7071068]},
        "scene.box.spawn.mass_props.mass": {"mul": 2.5}, "scene.ego_cam.background_color": [0.1, 0.2, 0.3]}})
    apply_variation(cfg, t)
    assert cfg.scene.ego_cam.offset.pos == pytest.approx((0.1, 0.05, 1.4))
    assert cfg.scene.ego_cam.offset.rot == pytest.approx((0, 0, 0.7071068, 0.7071068))
    assert cfg.scene.box.spawn.mass_props.mass == pytest.approx(1.0)
    assert cfg.scene.ego_cam.background_color == (0.1, 0.2, 0.3)
    bad = dataclasses.replace(task, variation={"axis": "a", "level": "b", "cfg": {"scene.nope.x": 1}})
    with pytest.raises(UserError, match="g1_lift: variation a=b: the env cfg has no attribute 'scene.nope.x'"):
        apply_variation(cfg, bad)


# ------------------------------------------------------------------------ report


def _rec(task, ep, ok, level=None):
    return EpisodeRecord(task=task, episode=ep, seed=ep, outcome="success" if ok else "failure", reason="", steps=5,
                         variation=level or {})


def test_sweep_table_pairs_levels_with_nominal_by_episode(tmp_path):
    from arena_eval.reports.sweep import plot_sensitivity, sweep_markdown
    from arena_eval.stats import sweep_frame

    nominal = [True] * 10
    dim = [False] * 8 + [True] * 2  # 8 discordant: nominal-only successes
    same = list(nominal)
    manifest = {"suite": {"tasks": [{"name": "t"}] + [
        {"name": f"t@lighting={lv}", "variation": {"base": "t", "axis": "lighting", "kind": "visual", "level": lv}}
        for lv in ("dim", "same")]}}
    by_task = {"t": [_rec("t", i, v) for i, v in enumerate(nominal)],
               "t@lighting=dim": [_rec("t@lighting=dim", i, v) for i, v in enumerate(dim)],
               "t@lighting=same": [_rec("t@lighting=same", i, v) for i, v in enumerate(same)]}
    df = sweep_frame(manifest, by_task)
    assert list(df.level) == ["nominal", "dim", "same"]
    row = df[df.level == "dim"].iloc[0]
    assert (row.successes, row.n, row.pairs, row.nominal_only, row.level_only) == (2, 10, 10, 8, 0)
    assert row.p_mcnemar == pytest.approx(2 * 0.5 ** 8)
    assert row.p_holm == pytest.approx(min(1, 2 * row.p_mcnemar))
    assert df[df.level == "same"].iloc[0].p_mcnemar == 1.0
    md = sweep_markdown(df)
    assert "| t | lighting | visual | dim | 2/10 | 20.0% |" in md and "8 / 0" in md
    png = tmp_path / "s.png"
    plot_sensitivity(df, png)
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_resume_identity_includes_applied_levels_but_not_the_cards_offer():
    from arena_eval.records.manifest import run_identity as _identity

    t = g1_lift()
    old = dataclasses.replace(t, variations={})  # a run recorded before cards listed axes
    derived = V.derive(t, V.task_axes(t)["lighting"], "shadows")
    other = V.derive(t, V.task_axes(t)["lighting"], "no_ambient")

    def ident(*tasks):
        return _identity({"suite": {"name": "g1", "tasks": [x.to_dict() for x in tasks]}})

    assert ident(old) == ident(t)
    assert ident(t, derived) != ident(t, other) and ident(t, derived) != ident(t)


def test_report_and_compare_show_the_sweep(tmp_path):
    from helpers_runs import make_run

    from arena_eval.reports import compare_runs, write_reports

    run = make_run(tmp_path, "sweep", {"t": "S" * 10, "t@lighting=dim": "F" * 8 + "SS", "t@camera=left": "S" * 9 + "F"})
    m = json.loads((run / "manifest.json").read_text())
    for card in m["suite"]["tasks"]:
        if "@" in card["name"]:
            axis, level = card["name"].split("@")[1].split("=")
            card["variation"] = {"base": "t", "axis": axis, "kind": "visual", "level": level}
    (run / "manifest.json").write_text(json.dumps(m))
    paths = write_reports(run)
    md = paths["summary.md"].read_text()
    assert "## Robustness sweep" in md and "| t | lighting | visual | dim | 2/10 | 20.0% |" in md
    assert paths["sensitivity.png"].read_bytes()[:4] == b"\x89PNG"
    assert 'id="sweep-table"' in paths["report.html"].read_text()
    assert "camera,visual,left,9,10" in paths["sweep.csv"].read_text()
    rows = json.loads(paths["summary.json"].read_text())["sweep"]
    assert [(r["axis"], r["level"], r["successes"]) for r in rows] == [
        ("lighting", "nominal", 10), ("lighting", "dim", 2), ("camera", "nominal", 10), ("camera", "left", 9)]
    assert rows[0]["p_holm"] is None and rows[1]["nominal_only"] == 8
    # Counts are ints in summary.json (null where a nominal row has no pairs) and in sweep.csv.
    for r in rows:
        for k in ("successes", "n", "pairs", "nominal_only", "level_only"):
            absent = r["level"] == "nominal" and k not in ("successes", "n")
            assert r[k] is None if absent else isinstance(r[k], int), (k, r)
    for t in json.loads(paths["summary.json"].read_text())["tasks"]:
        assert all(isinstance(t[k], int) for k in ("episodes", "successes", "failures", "errors")), t
    csv = paths["sweep.csv"].read_text()
    assert "camera,visual,left,9,10,0.9," in csv and ",10,1,0," in csv  # pairs, nominal only, level only
    import shutil

    other = tmp_path / "other"
    shutil.copytree(run, other)
    (other / "manifest.json").write_text(json.dumps({**m, "run_id": "other"}))
    compare_runs([run, other], tmp_path / "cmp")
    cmp = (tmp_path / "cmp" / "compare.md").read_text()
    assert "## Robustness sweep: sweep" in cmp and "## Robustness sweep: other" in cmp


def test_instruction_levels_give_another_task_of_the_suite_its_own_words():
    suite = load_suite("robocasa")
    words = {t.name: t.instruction for t in suite.tasks}
    for t in suite.tasks:
        axis = V.task_axes(t).get("instruction")
        if axis is None:
            continue
        for level in axis.levels.values():
            text = level.policy["instruction"]
            assert text in words.values() and text != t.instruction, (t.name, text)


def test_ablations_blank_the_frames_and_swap_the_instruction_the_policy_sees():
    from arena_eval.cards import ANNOTATION_KEY

    batch = {"video.cam": np.full((2, 1, 4, 4, 3), 200, np.uint8), "state.arm": np.ones((2, 1, 3), np.float32),
             ANNOTATION_KEY: ["open the drawer"] * 2}
    blank = V.PolicySide({"axis": "camera_input", "policy": {"blank_video": True}}, 2)
    blank.reset([0, 1], [1, 2])
    out = blank.observe(batch, np.array([0, 1]))
    assert not out["video.cam"].any() and out["video.cam"].shape == (2, 1, 4, 4, 3)
    assert out[ANNOTATION_KEY] == batch[ANNOTATION_KEY] and out["state.arm"] is batch["state.arm"]
    assert batch["video.cam"].all()  # the env's own frames are untouched
    swap = V.PolicySide({"axis": "instruction", "policy": {"instruction": "press the button"}}, 2)
    swap.reset([0, 1], [1, 2])
    out = swap.observe(batch, np.array([0, 1]))
    assert out[ANNOTATION_KEY] == ["press the button"] * 2 and out["video.cam"] is batch["video.cam"]
