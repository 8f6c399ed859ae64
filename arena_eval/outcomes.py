"""What an episode's outcome means: success rules, and the codes that say why an episode did
not succeed.

Success rules (a task card's `success.rule`), because a rate is meaningless without one (one
published policy scores 75% under "success at any step" and 29% under "success at the last
step" on the same task):

- `any_step`: the episode succeeds, and ends, at the first step its success condition holds.
- `at_end`: it runs to its time limit and succeeds if the condition holds at the last step
  (failure terms still end it early). `success: time_limit` (survive to the end) is this rule
  with the condition "no failure term fired".
- `held: K`: it succeeds, and ends, once the condition has held for K steps in a row.

Codes (`EpisodeRecord.code`), one per episode, from its outcome and reason:

| code | outcome | meaning |
|---|---|---|
| success | success | the success rule was met |
| time_limit | failure | the time limit came first (under `at_end`: the condition did not hold then) |
| object_dropped | failure | the object fell (a failure term the card maps to it) |
| out_of_workspace | failure | the object or robot left the workspace |
| fell | failure | the robot (or the pole) fell |
| task_failure | failure | another failure term or `failure_when` condition of the card |
| policy_non_finite | failure | the policy sent a non-finite action |
| policy_out_of_limit | failure | the policy sent an action outside the card's `limit` |
| state_non_finite | failure | the policy's actions drove the simulation to a non-finite state |
| solved_at_reset | error | the success condition already held at the start (a broken start state) |
| reset_hygiene | error | the world did not reset cleanly (its first observation is not a fresh world's) |
| policy_error | error | the policy raised |
| worker_died | error | a simulator worker process died or hung |
| simulator_error | error | the simulator raised |
| harness_error | error | any other fault of the harness |

Failure terms and `failure_when` conditions name their code in the card
(`failure_terms: {box_dropped: object_dropped}`, `failure_when: {pole_fell: {..., code: fell}}`);
a bare list of terms maps each to `task_failure`.
"""

from __future__ import annotations

from typing import Any

RULES = ("any_step", "at_end", "held")
FAILURE_CODES = (
    "time_limit", "object_dropped", "out_of_workspace", "fell", "task_failure",
    "policy_non_finite", "policy_out_of_limit", "state_non_finite",
)
ERROR_CODES = ("solved_at_reset", "reset_hygiene", "policy_error", "worker_died", "simulator_error", "harness_error")
CARD_CODES = ("object_dropped", "out_of_workspace", "fell", "task_failure")  # what a card may map a term to

# Reason prefixes the env and runner write for errors they detect (see `code_of`).
SOLVED_AT_RESET = "error:solved at reset"
RESET_HYGIENE = "error:reset hygiene"


def rule_text(rule: str, hold: int | None = None) -> str:
    return f"held: {hold}" if rule == "held" else rule


def code_of(outcome: str, reason: str, term_codes: dict[str, str] | None = None) -> str:
    """The code of an episode that ended with `outcome` for `reason` ("time_limit",
    "term:<name>[,term:<name>]", "failure_when:<name>", "policy:...", "error:...")."""
    term_codes = term_codes or {}
    if outcome == "success":
        return "success"
    if outcome == "error":
        if reason.startswith(SOLVED_AT_RESET):
            return "solved_at_reset"
        if reason.startswith(RESET_HYGIENE):
            return "reset_hygiene"
        if reason.startswith("error:policy"):
            return "policy_error"
        if reason.startswith("error:worker"):
            return "worker_died"
        if reason.startswith("error:simulator"):
            return "simulator_error"
        return "harness_error"
    if reason == "time_limit":
        return "time_limit"
    if reason.startswith("policy:non-finite action"):
        return "policy_non_finite"
    if reason.startswith("policy:non-finite state"):
        return "state_non_finite"
    if reason.startswith("policy:") and "out of limit" in reason:
        return "policy_out_of_limit"
    first = reason.split(",")[0]
    for prefix in ("term:", "failure_when:"):
        if first.startswith(prefix):
            return term_codes.get(first[len(prefix):], "task_failure")
    return "task_failure"


def describe(code: str) -> str:
    """One line per code, for reports (from the table above)."""
    return _DESCRIPTIONS.get(code, code)


def _table() -> dict[str, str]:
    rows: dict[str, str] = {}
    for line in (__doc__ or "").splitlines():
        parts = [p.strip() for p in line.strip().strip("|").split("|")]
        if len(parts) == 3 and parts[0] in (*FAILURE_CODES, *ERROR_CODES, "success"):
            rows[parts[0]] = parts[2]
    return rows


_DESCRIPTIONS: dict[str, Any] = _table()
