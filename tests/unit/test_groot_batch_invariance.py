"""Batch-invariant GR00T inference (issue 28): for every generation, the actions a row gets from
`get_action` are bitwise those it gets alone, whatever else shares the call (rows with
instructions of other lengths included); the same through the policy server, which joins rows
of different clients; `batch_invariant: false` brings the batched forward back (and the run
identity says so). Tiny random checkpoints in the released layouts; no simulator.
(The same end to end on real Isaac Lab, with the shipped G1 checkpoint at 1 and 4 env slots
and across a kill and `--resume`: tests/integration/test_isaaclab_workers.py.)"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from arena_eval.cards import ANNOTATION_KEY, load_suite, parse_policy
from arena_eval.errors import UserError
from arena_eval.policies import make_policy
from arena_eval.policies.groot import write_tiny, write_tiny_n1x
from arena_eval.policies.groot.common.tiny import SMOKE, TinySpec, tiny_card
from arena_eval.serve.backend import PolicyBackend

SPEC = TinySpec(state={"arm": 3, "grip": 1}, action={"arm": 3, "grip": 1}, video={"ego_view": (64, 48)})
ARCHS = ["n1", "n1.5", "n1.6", "n1.7"]
TEXTS = ["go", "pick up the brown box and place it in the blue bin", "lift it", "pick up the box"]
SEEDS = [101, 102, 103, 104]
# Where a batched forward lets pads reach the actions (N1.6 masks them in its DiT).
PADS_REACH = {"n1": True, "n1.5": True, "n1.6": False, "n1.7": True}


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
        if arch in ("n1", "n1.5"):
            write_tiny(base / "checkpoint", base / "processor", arch=arch, embodiments={"new_embodiment": SPEC})
        else:
            write_tiny_n1x(base / "checkpoint", base / "processor", arch=arch, spec=SPEC)
        out[arch] = base
    return out


def _policy(base, spec: TinySpec = SPEC, **params):
    card = tiny_card("t", base / "checkpoint", base / "processor", spec)
    card["params"].update(params)
    return make_policy(parse_policy(card, str(base / "card.yaml")))


def _obs(n: int, texts: list[str], seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    return {
        "video.ego_view": rng.integers(0, 256, (n, 1, 48, 64, 3), dtype=np.uint8),
        "state.arm": rng.normal(size=(n, 1, 3)).astype(np.float32),
        "state.grip": rng.normal(size=(n, 1, 1)).astype(np.float32),
        ANNOTATION_KEY: list(texts[:n]),
    }


def _row(o: dict, i: int) -> dict:
    return {k: (v[i : i + 1] if isinstance(v, np.ndarray) else v[i : i + 1]) for k, v in o.items()}


def _batch_and_alone(pol, o: dict, calls: int = 2) -> tuple[list[dict], list[list[dict]]]:
    """`calls` calls of all 4 rows in slots 0..3, then each row's episode alone in slot 9."""
    pol.reset(np.arange(4), SEEDS)
    batch = [pol.get_action(o, np.arange(4)) for _ in range(calls)]
    alone = []
    for i, seed in enumerate(SEEDS):
        pol.reset(np.array([9]), [seed])
        alone.append([pol.get_action(_row(o, i), np.array([9])) for _ in range(calls)])
    return batch, alone


@pytest.mark.parametrize("texts", [TEXTS, ["pick up the box"] * 4], ids=["mixed-lengths", "one-instruction"])
@pytest.mark.parametrize("arch", ARCHS)
def test_each_row_gets_bitwise_what_it_gets_alone(written, arch, texts):
    pol = _policy(written[arch])
    assert pol.batch_invariant and pol.identity()["inference"] == "per_row"
    o = _obs(4, texts)
    batch, alone = _batch_and_alone(pol, o)
    for c in range(2):  # a call's noise comes from its episode and call index alone
        for i in range(4):
            for k, v in batch[c].items():
                assert v.dtype == np.float32 and v.shape[0] == 4
                one = alone[i][c][k][0]
                assert np.array_equal(v[i], one), (arch, c, i, k, float(np.abs(v[i] - one).max()))
    # and a subset of the slots in another order is the same rows again
    pol.reset(np.arange(4), SEEDS)
    sub = pol.get_action({k: (v[[3, 1]] if isinstance(v, np.ndarray) else [v[3], v[1]]) for k, v in o.items()},
                         np.array([3, 1]))
    for k, v in sub.items():
        assert np.array_equal(v[0], alone[3][0][k][0]) and np.array_equal(v[1], alone[1][0][k][0])


@pytest.mark.parametrize("arch", ARCHS)
def test_batch_invariant_false_is_the_batched_forward_and_the_identity_says_so(written, arch):
    pol = _policy(written[arch], batch_invariant=False)
    assert pol.identity() == {"summary": "policy 't' (GR00T, batched inference)", "inference": "batched"}
    o = _obs(4, TEXTS)
    pol.reset(np.arange(4), SEEDS)
    batch = pol.get_action(o, np.arange(4))
    # exactly what predict (one batched forward) gives with the same per-episode noise
    pol.reset(np.arange(4), SEEDS)
    noise = pol._noise(np.arange(4))
    assert all(np.array_equal(batch[k], v) for k, v in pol.predict(o, noise=noise).items())
    _, alone = _batch_and_alone(pol, o, calls=1)
    worst = max(float(np.abs(batch[k][i] - alone[i][0][k][0]).max()) for i in range(4) for k in batch)
    if PADS_REACH[arch]:  # the longest instruction's pads change the shorter rows' actions
        assert worst > 1e-4, (arch, worst)
    else:  # N1.6 masks pads: at most the last bits differ
        assert worst < 1e-5, (arch, worst)


def test_a_bad_value_is_a_one_line_card_error(written):
    with pytest.raises(UserError, match=r"params\.batch_invariant.*expected true or false, got 'yes'") as e:
        _policy(written["n1.5"], batch_invariant="yes")
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("arch", ["n1.5", "n1.7"])
def test_a_refused_call_draws_no_noise(written, arch):
    pol = _policy(written[arch])
    o = _obs(4, TEXTS)
    pol.reset(np.arange(4), SEEDS)
    bad = {**o, "state.arm": o["state.arm"][:3]}
    with pytest.raises(UserError, match="state.arm has 3 rows for 4 slots"):
        pol.get_action(bad, np.arange(4))
    first = pol.get_action(o, np.arange(4))  # still each episode's first call
    fresh = _policy(written[arch])
    fresh.reset(np.arange(4), SEEDS)
    want = fresh.get_action(o, np.arange(4))
    assert all(np.array_equal(v, want[k]) for k, v in first.items())


@pytest.mark.parametrize("invariant", [True, False])
def test_rows_of_two_clients_joined_by_the_server(tmp_path, invariant):
    """The server joins requests of different clients into one policy call (server.py); with the
    default card each client's rows come back as if served alone, with batch_invariant: false
    not (the two instructions differ in length), and the served identity names the mode."""
    write_tiny(tmp_path / "checkpoint", tmp_path / "processor", arch="n1.5", embodiments={"new_embodiment": SMOKE})
    card = tiny_card("t", tmp_path / "checkpoint", tmp_path / "processor", SMOKE)
    card["params"]["batch_invariant"] = invariant
    task = load_suite("smoke").tasks[0]
    backend = PolicyBackend.from_card(parse_policy(card, str(tmp_path / "card.yaml")), [task])
    assert backend.identity()["policy_identity"]["inference"] == ("per_row" if invariant else "batched")
    rng = np.random.default_rng(0)
    reqs = {}
    for client, text in (("a", "go"), ("b", "keep the pole upright and the cart near the middle")):
        obs = {f"state.{k}": rng.normal(size=(2, 1, 1)).astype(np.float32) for k in SMOKE.state}
        reqs[client] = (obs | {ANNOTATION_KEY: [text] * 2}, {"client_id": client, "slots": [0, 1]})

    def served(clients: list[str]) -> list[dict]:
        for c, seeds in (("a", [1, 2]), ("b", [3, 4])):
            backend.reset({"client_id": c, "slots": [0, 1], "seeds": seeds}, c)
        return backend.run([backend.prepare(*reqs[c], c) for c in clients])

    joined = served(["a", "b"])
    alone = served(["a"]) + served(["b"])
    same = all(np.array_equal(j[k], a[k]) for j, a in zip(joined, alone) for k in j)
    assert same == invariant


class ActionsPerEpisode:
    """A runner Trace that keeps every action each episode was sent, in order."""

    def __init__(self):
        self.current: dict[int, int] = {}
        self.actions: dict[int, list[np.ndarray]] = {}

    def start(self, slot, episode):
        self.current[slot] = episode.episode
        self.actions[episode.episode] = []

    def step(self, slots, obs, action):
        for s in slots:
            self.actions[self.current[s]].append(np.concatenate([action[k][s] for k in sorted(action)]))

    def finish(self, slot, record):
        pass


def test_the_runner_sends_each_episode_the_same_actions_with_1_and_4_slots(tmp_path):
    """The runner batches every slot whose chunk ran out (runner.py); with 4 slots and episodes
    of different lengths, each episode shares its calls with other episodes at other points of
    theirs. Every action each episode is sent equals, bitwise, those it is sent with 1 slot."""
    from fakes import FakeEnv, fake_task

    from arena_eval.run import PlannedEpisode, run_task

    spec = TinySpec(state={"x": 2}, action={"a": 1, "b": 2})
    write_tiny(tmp_path / "checkpoint", tmp_path / "processor", arch="n1.5", embodiments={"new_embodiment": spec})
    card = tiny_card("t", tmp_path / "checkpoint", tmp_path / "processor", spec, n_action_steps=4)
    task = fake_task(max_steps=40)
    plan = [PlannedEpisode(task.name, i, 1000 + i) for i in range(6)]
    traces = {}
    for n in (1, 4):
        pol = make_policy(parse_policy(card, str(tmp_path / "card.yaml")))
        env = FakeEnv(task, n, lambda seed: (9 + 5 * (seed % 4), True))  # 9 to 24 steps
        pol.bind(task, env.single_observation_space, env.single_action_space)
        traces[n] = ActionsPerEpisode()
        run_task(env, pol, task, plan, lambda r: None, progress=False, trace=traces[n])
    assert sorted(traces[1].actions) == sorted(traces[4].actions) == list(range(6))
    for ep, acts in traces[1].actions.items():
        assert len(acts) == len(traces[4].actions[ep]) > 0
        assert all(np.array_equal(a, b) for a, b in zip(acts, traces[4].actions[ep])), ep
