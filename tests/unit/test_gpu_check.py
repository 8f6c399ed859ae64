"""benchmarks/gpu_check.py without CUDA (issue 29): the stages that need no GPU run (tiny models of
every generation on the CPU, bit-identical chunks for the same noise), the others are recorded as
skipped, one line says that no CUDA device was found, and it exits 0. Also the report writer
and how the driver records a stage that fails or runs past its time limit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "gpu_check.py"
sys.path.insert(0, str(ROOT / "benchmarks"))

import gpu_check  # noqa: E402

GENS = ("n1", "n1.5", "n1.6", "n1.7")


@pytest.fixture(scope="module")
def cpu_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("gpu_check")
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="")  # the CPU-only path, even on a machine with a GPU
    p = subprocess.run([sys.executable, str(SCRIPT), "--out", str(out)], env=env, cwd=ROOT,
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    return p.stdout, out


def test_exit_and_one_line_message(cpu_run):
    stdout, out = cpu_run
    lines = stdout.splitlines()
    assert sum("no CUDA device found" in line for line in lines) == 1, stdout
    assert lines[-1].startswith(f"wrote {out / 'gpu_check.json'}") and " total " in lines[-1]


def test_json_contents(cpu_run):
    report = json.loads((cpu_run[1] / "gpu_check.json").read_text())
    assert report["cuda"] is False and report["device"] is None and report["total_s"] > 0
    assert list(report["stages"]) == list(gpu_check.STAGES)
    for name, (needs_cuda, _) in gpu_check.STAGES.items():
        s = report["stages"][name]
        if needs_cuda:
            assert s == {"status": "skipped", "reason": "no CUDA device"}, name
        else:
            assert s["status"] == "ok" and s["summary"] and s["seconds"] > 0, s
    dry = report["stages"]["latency_dry_run"]["rows"]
    assert [(r["generation"], r["batch"]) for r in dry] == [(g, b) for g in GENS for b in (1, 2)]
    for r in dry:  # each generation's chunk: [batch, its horizon, its action width], finite
        assert r["finite"] is True and r["chunk"][0] == r["batch"] and r["median_ms"] > 0, r
        assert r["chunk"][1] == (40 if r["generation"] == "n1.7" else 16), r
        assert "ratio_to_anchor" not in r  # no anchor for CPU times
    agree = report["stages"]["agreement"]["rows"]
    assert [r["generation"] for r in agree] == list(GENS)
    for r in agree:  # two separate CPU float32 builds, the same noise: identical chunks
        assert r["compare"] == "cpu float32 rebuilt vs cpu float32", r
        assert r["max_abs_diff"] == 0.0 and r["within"] is True and r["action_scale"] > 0, r


def test_markdown_has_a_row_per_stage(cpu_run):
    md = (cpu_run[1] / "gpu_check.md").read_text().splitlines()
    head = md.index("| stage | status | seconds | result |")
    rows = md[head + 2 : head + 2 + len(gpu_check.STAGES)]
    cells = [[c.strip() for c in r.strip("|").split("|")] for r in rows]
    assert [c[0] for c in cells] == list(gpu_check.STAGES)
    for c in cells:
        needs_cuda = gpu_check.STAGES[c[0]][0]
        assert c[1] == ("skipped" if needs_cuda else "ok") and c[3], c
    assert "## latency_dry_run" in md and "## agreement" in md and "## latency" not in md
    assert any("none (no CUDA device found)" in line for line in md)


def test_report_writer_failed_stage(tmp_path):
    report = {"cuda": True, "device": "NVIDIA H100 80GB HBM3", "torch": "x", "git": "abc", "quick": False,
              "total_s": 12.5, "stages": {
                  "latency": {"status": "failed", "error": "RuntimeError: a | b", "seconds": 3.25,
                              "rows": [{"generation": "n1.5", "batch": 1, "median_ms": 50.123456},
                                       {"generation": "n1.5", "batch": 32, "error": "OutOfMemoryError: x"}]},
                  "sim_fps": {"status": "skipped", "reason": "--budget 590 s spent"}}}
    gpu_check.write_report(tmp_path, report)
    assert json.loads((tmp_path / "gpu_check.json").read_text()) == report
    md = (tmp_path / "gpu_check.md").read_text()
    assert "Device: NVIDIA H100 80GB HBM3;" in md
    assert "| latency | failed | 3.25 | RuntimeError: a \\| b |" in md
    assert "| sim_fps | skipped |  | --budget 590 s spent |" in md
    assert "| generation | batch | median_ms | error |" in md  # every key of the stage's rows
    assert "| n1.5 | 1 | 50.12 |  |" in md and "| n1.5 | 32 |  | OutOfMemoryError: x |" in md


def test_failing_stage_is_one_line(tmp_path, monkeypatch):
    def boom(rec, a, cuda):
        rec.row(step=1)
        raise RuntimeError("first line\nsecond line")

    monkeypatch.setitem(gpu_check.STAGE_FUNCS, "latency", boom)
    a = types.SimpleNamespace(_stage="latency", _result=str(tmp_path / "r.json"), _deadline=time.time() + 60)
    assert gpu_check.child(a) == 1
    res = json.loads((tmp_path / "r.json").read_text())
    assert res["status"] == "failed" and res["error"] == "RuntimeError: first line" and res["rows"] == [{"step": 1}]


def test_stage_past_its_limit_is_killed(tmp_path):
    a = types.SimpleNamespace(out=tmp_path, quick=False)
    t0 = time.time()
    res = gpu_check.run_stage("agreement", a, limit=1.0)  # the stage cannot even import torch in 1 s
    assert time.time() - t0 < 10
    assert res["status"] == "timeout" and "time limit of 1 s" in res["error"], res
    assert (tmp_path / res["log"]).is_file()


def test_user_mistakes_are_one_line(tmp_path):
    for args in (["--stages", "latency,warp"], ["--out", str(tmp_path / "f")]):
        (tmp_path / "f").write_text("")
        p = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=60, cwd=ROOT)
        assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1 and p.stderr.startswith("error: "), p
