"""Suite, task and policy cards: YAML files loaded into validated, frozen dataclasses
(`reader` reads the fields, `task` defines the suite and task cards and `suite` reads them,
`policy` the policy cards,
`variation` the robustness axes and levels). Each field is documented where its dataclass
defines it. Every mistake is one `UserError` line naming the file, the field and what was
expected.

Suite card (tasks/<suite>.yaml)::

    name: smoke
    description: ...
    tasks:
      - name: cartpole_balance
        instruction: keep the pole upright
        max_steps: 200            # control steps; sets the env's episode length
        episodes: 10
        success: time_limit       # survive to the end; or {term: <termination term name>,
                                  #   rule: any_step | at_end | {held: K}} (default any_step;
                                  #   arena_eval/outcomes.py says what each rule means)
        failure_terms: {box_dropped: object_dropped}   # failure terms -> outcome codes (a list: task_failure)
        max_mde: 0.3              # compare gives no verdict when its minimum detectable effect
                                  # (80% power) is larger (default 0.3)
        env:
          id: Isaac-Cartpole-Direct
          physics: newton_mjwarp  # Isaac Lab physics preset(s), comma separated
          device: cpu
          num_envs: 4
          app: kitless            # or isaacsim (Isaac Sim through the app launcher)
          cfg: {scene.env_spacing: 0.0}   # dotted overrides of the env cfg
          start_state: cartpole   # harness-side start-state sampler (its family's, arena_eval.registry)
          resources: {cpus: 1, gpus: 0}   # what one shard needs on Ray (default: 1 CPU; 1 GPU on cuda)
        observations:             # modality key -> where the env provides it
          state.pole: {source: policy, index: [0, 2]}
          state.hand: {constant: [0.0, 0.0]}   # a key the robot lacks, held at fixed values
        actions:                  # modality key -> slice of the simulator action, in order
          action.cart_force: {dim: 1, low: -1.0, high: 1.0}
          action.hand: {dim: 2, ignore: true}      # taken from the policy, not sent to the env
          action.brake: {dim: 1, fill: [0.0]}      # sent as this when the policy gives none
          action.force: {dim: 1, limit: [-5, 5]}   # hard range: outside it (or non-finite) ends the
                                                   # episode as the policy's failure
        failure_when:             # harness-side failure conditions on observed values
          pole_fell: {key: state.pole, index: 0, outside: [-1.2, 1.2], code: fell}
        expert: cartpole_balance  # scripted expert (its family's, arena_eval.registry)
        variations:               # robustness axes this task offers (cards/variation.py)
          axes: g1                # a family's axis set (registry; e.g. envs/tasks/g1/axes.py)
          levels: {camera: [left, high], obs_noise: [low, high]}

Policy card (policies/<name>.yaml)::

    name: scripted
    type: scripted | random | zero | replay | blind | remote | gr00t | <registered>
    action_horizon: 1             # steps per returned chunk (H)
    n_action_steps: 1             # steps of each chunk that are executed
    params: {...}                 # adapter-specific
"""

from .policy import PolicySpec, load_policy, parse_policy
from .reader import POLICIES_DIR, REPO_ROOT, TASKS_DIR
from .suite import available_cores, load_suite, override, parse_suite, select_tasks, task_from_card
from .task import (
    ANNOTATION_KEY,
    ENV_APPS,
    ENV_BACKENDS,
    ActionSlot,
    EnvSpec,
    FailureWhen,
    ObsSource,
    SuccessSpec,
    SuiteSpec,
    TaskSpec,
)

__all__ = [
    "ANNOTATION_KEY", "ENV_APPS", "ENV_BACKENDS", "POLICIES_DIR", "REPO_ROOT", "TASKS_DIR", "ActionSlot", "EnvSpec",
    "FailureWhen", "ObsSource", "PolicySpec", "SuccessSpec", "SuiteSpec", "TaskSpec", "available_cores", "load_policy",
    "load_suite", "override", "parse_policy", "parse_suite", "select_tasks", "task_from_card",
]
