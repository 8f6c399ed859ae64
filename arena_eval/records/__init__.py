"""The run directory and everything that reads it: records and the run lock (`rundir`), what a
run must satisfy to be read (`checks`), the code that produced it (`code_identity`), content
hashes (`fingerprint`), the typed schema of the manifest, records and summary (`schema`),
building and checking the manifest (`manifest`), and reading runs by task and pairing them
(`reading`). Knows nothing of the simulator, the policies or the statistics."""

from .checks import check_manifest, check_records
from .code_identity import code_change_text, code_summary, git_info
from .fingerprint import content_hash
from .reading import (
    DEFAULT_MAX_MDE,
    check_same_definitions,
    definition_hash,
    is_paired,
    load_task_records,
    max_mde_of,
    plan_seeds,
    planned_episodes,
    run_label,
    success_rule,
    task_order,
    unique_labels,
)
from .rundir import (
    EPISODES,
    LOCK,
    MANIFEST,
    OUTCOMES,
    SEQUENTIAL_DIR,
    EpisodeRecord,
    RunLock,
    RunWriter,
    dedupe,
    finished,
    load_manifest,
    load_run,
    read_decision,
    read_records,
    write_json_atomic,
)

__all__ = [
    "DEFAULT_MAX_MDE", "EPISODES", "LOCK", "MANIFEST", "OUTCOMES", "SEQUENTIAL_DIR", "EpisodeRecord", "RunLock", "RunWriter",
    "check_manifest", "check_records", "check_same_definitions", "code_change_text", "code_summary",
    "content_hash", "dedupe", "definition_hash", "finished", "git_info", "is_paired", "load_manifest", "load_run",
    "load_task_records", "max_mde_of", "plan_seeds", "planned_episodes", "read_decision", "read_records", "run_label", "success_rule",
    "task_order", "unique_labels", "write_json_atomic",
]
