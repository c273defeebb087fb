"""The delivery files parse and say what the docs promise: GitLab template, examples, Dockerfile."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from automator.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
yaml = YAML(typ="safe")


def load(relative: str):
    return yaml.load((ROOT / relative).read_text())


def load_all(relative: str):
    return list(yaml.load_all((ROOT / relative).read_text()))


def run_parser():
    parser = build_parser(["run"])
    return parser._subparsers._group_actions[0].choices["run"]


# --- GitLab ---------------------------------------------------------------------------------

COMPONENT_TEXT = (ROOT / "templates/automator.yml").read_text()
SPEC, TEMPLATE = yaml.load_all(COMPONENT_TEXT)


def test_the_component_has_a_spec_header_with_the_documented_inputs():
    inputs = SPEC["spec"]["inputs"]
    assert set(inputs) == {"stage", "path", "mode", "args", "report", "dotenv", "cache-key", "image", "repo", "ref"}
    assert inputs["stage"]["default"] == "deploy" and ".pre" in inputs["stage"]["description"]
    assert inputs["args"] == {**inputs["args"], "type": "array", "default": []}
    assert inputs["mode"]["options"] == ["commit", "mr"]
    used = set(re.findall(r"\$\[\[ inputs\.([\w-]+) \]\]", COMPONENT_TEXT))
    assert used == set(inputs), "every input is used, and only inputs are interpolated"


def test_gitlab_template_defines_the_documented_jobs():
    jobs = {name for name, value in TEMPLATE.items() if isinstance(value, dict)}
    assert jobs == {".automator", "automator:update", "automator:plan", "automator:validate"}
    for name in ("automator:update", "automator:plan"):
        assert TEMPLATE[name]["extends"] == ".automator"


def rule_sources(job: dict) -> set[str]:
    return {m for rule in job["rules"] for m in re.findall(r'\$CI_PIPELINE_SOURCE == "(\w+)"', rule["if"])}


def test_update_job_runs_on_schedules_and_pipeline_triggers_only():
    assert rule_sources(TEMPLATE["automator:update"]) == {"schedule", "trigger", "pipeline", "api", "web"}
    assert rule_sources(TEMPLATE["automator:plan"]) == {"merge_request_event"}
    for name in ("automator:update", "automator:plan"):
        assert TEMPLATE[name]["rules"][0] == {"if": '$AUTOMATOR_DISABLED == "true"', "when": "never"}


def test_stage_reports_and_cache_come_from_the_inputs():
    base = TEMPLATE[".automator"]
    assert base["stage"] == "$[[ inputs.stage ]]"
    assert base["artifacts"]["paths"] == ["$[[ inputs.report ]]"]
    assert base["artifacts"]["reports"]["dotenv"] == "$[[ inputs.dotenv ]]"
    assert base["artifacts"]["when"] == "always"
    assert base["image"] == {"name": "$[[ inputs.image ]]", "entrypoint": [""]}
    assert base["cache"] == {"key": "$[[ inputs.cache-key ]]", "paths": [".automator-cache/"], "when": "always"}
    assert base["variables"]["AUTOMATOR_CACHE_DIR"] == "$CI_PROJECT_DIR/.automator-cache"
    # the array input reaches the job as one JSON string, never through the shell
    assert base["variables"]["AUTOMATOR_ARGS"] == "$[[ inputs.args ]]"
    assert "'$[[ inputs.args ]]'" in COMPONENT_TEXT


def test_the_scripts_run_the_entry_without_shell_word_splitting():
    assert TEMPLATE["automator:update"]["script"] == ["python -m automator.ci.gitlab"]
    assert TEMPLATE["automator:plan"]["script"] == ["python -m automator.ci.gitlab --plan"]
    assert "$AUTOMATOR_ARGS" not in COMPONENT_TEXT


def test_token_is_a_project_access_token_or_the_job_token():
    from automator.ci.gitlab import tokens

    assert tokens({"AUTOMATOR_TOKEN": "glpat-0123456789abcdef"}) == {
        "GIT_TOKEN": "glpat-0123456789abcdef", "GITLAB_TOKEN": "glpat-0123456789abcdef"}
    assert tokens({}) == {}
    assert "CI_JOB_TOKEN" in COMPONENT_TEXT


def test_gitlab_example_includes_the_component_with_inputs_and_a_stage_it_declares():
    example = load("examples/gitlab/.gitlab-ci.yml")
    (include,) = example["include"]
    assert include["remote"].endswith("/templates/automator.yml")
    assert set(include["inputs"]) <= set(SPEC["spec"]["inputs"])
    assert include["inputs"]["stage"] in example["stages"]
    assert example["automator:production"]["extends"] == "automator:update"
    assert example["announce"]["needs"] == ["automator:update"]
    assert "$AUTOMATOR_UPDATED" in " ".join(example["announce"]["script"])


# --- GitHub examples --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "triggers", "permissions"),
    [
        # the scheduled example reads ghcr.io with the GITHUB_TOKEN: a token restricted by
        # `permissions:` has no packages access unless it is named
        ("scheduled.yml", {"schedule", "workflow_dispatch"},
         {"contents": "write", "pull-requests": "write", "packages": "read"}),
        ("dispatch.yml", {"repository_dispatch"}, {"contents": "write", "pull-requests": "write"}),
    ],
)
def test_github_examples_have_their_triggers_and_write_permissions(name, triggers, permissions):
    workflow = load(f"examples/github/{name}")
    on = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert set(on) == triggers
    assert workflow["permissions"] == {}  # nothing by default: the job names what it needs
    assert workflow["jobs"]["update"]["permissions"] == permissions
    steps = workflow["jobs"]["update"]["steps"]
    assert steps[0]["with"]["persist-credentials"] is False
    action_inputs = set(load("action.yml")["inputs"])
    used = [s for s in steps if str(s.get("uses", "")).startswith("acme/deployment-automator")]
    assert used and set(used[0]["with"]) <= action_inputs


def test_app_build_example_dispatches_the_event_the_env_repo_listens_for():
    build = (ROOT / "examples/github/app-build.yml").read_text()
    listens = load("examples/github/dispatch.yml")
    on = listens.get("on", listens.get(True))
    assert f"event_type={on['repository_dispatch']['types'][0]}" in build


def test_the_event_driven_example_has_no_concurrency_group_that_would_cancel_pending_events():
    """GitHub keeps at most one pending run per concurrency group and cancels the others; a
    dispatched run is the only one that looks at its image, so a group would lose events.
    (Scheduled runs each do everything: their group only saves runner minutes.)"""
    assert "concurrency" not in load("examples/github/dispatch.yml")
    assert load("examples/github/scheduled.yml")["concurrency"]["cancel-in-progress"] is False


# --- container and Kubernetes -----------------------------------------------------------------


def dockerfile_final_stage() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    instructions = [tuple(line.split(None, 1)) for line in lines]
    last_from = max(i for i, (op, _) in enumerate(instructions) if op.upper() == "FROM")
    return [(op.upper(), arg) for op, arg in instructions[last_from:]]


def dockerfile_args() -> dict[str, str]:
    text = (ROOT / "Dockerfile").read_text()
    return dict(re.findall(r"^ARG (\w+)=(\S+)$", text, re.MULTILINE))


def test_dockerfile_base_is_python_slim_pinned_by_digest_for_every_stage():
    base = dockerfile_args()["PYTHON_IMAGE"]
    assert re.fullmatch(r"python:3\.\d+-slim@sha256:[0-9a-f]{64}", base)
    text = (ROOT / "Dockerfile").read_text()
    assert re.findall(r"^FROM (\S+)", text, re.MULTILINE) == ["${PYTHON_IMAGE}", "${PYTHON_IMAGE}"]


def test_dockerfile_final_image_has_git_tini_and_the_package():
    stage = dockerfile_final_stage()
    runs = " ".join(arg for op, arg in stage if op == "RUN")
    assert "apt-get install" in runs and " git " in runs and " tini " in runs and "pip install" in runs


def test_dependencies_come_from_the_lock_file_in_a_layer_before_the_package():
    stage = dockerfile_final_stage()
    copies = [i for i, (op, arg) in enumerate(stage) if op == "COPY"]
    lock_copy = next(i for i in copies if "requirements.lock" in stage[i][1])
    install = next(i for i, (op, arg) in enumerate(stage) if op == "RUN" and "-r /tmp/requirements.lock" in arg)
    package = next(i for i, (op, arg) in enumerate(stage) if op == "RUN" and "/wheels/*.whl" in arg)
    assert lock_copy < install < package
    assert "--require-hashes" in stage[install][1]
    assert "--no-deps" in stage[package][1]  # nothing resolved after the source arrives
    assert all("automator" not in stage[i][1] for i in copies if i < install)


def test_tini_is_pid_1_and_the_healthcheck_asks_the_tool():
    stage = dockerfile_final_stage()
    assert [arg for op, arg in stage if op == "ENTRYPOINT"] == ['["/usr/bin/tini", "--", "automator"]']
    (health,) = [arg for op, arg in stage if op == "HEALTHCHECK"]
    assert health.endswith('CMD ["python", "-m", "automator.ci.healthcheck"]')


def test_git_trusts_only_the_work_directory():
    stage = dockerfile_final_stage()
    configs = [arg for op, arg in stage if op == "RUN" and "safe.directory" in arg]
    assert configs == ["git config --system --add safe.directory /work"]
    assert [arg for op, arg in stage if op == "WORKDIR"] == ["/work"]


def test_dockerfile_runs_as_a_numeric_non_root_user_with_automator_as_entrypoint():
    stage = dockerfile_final_stage()
    users = [arg for op, arg in stage if op == "USER"]
    assert users and users[-1].split(":")[0] not in ("0", "root")
    assert users[-1].split(":")[0].isdigit()
    ops = [op for op, _ in stage]
    assert max(i for i, op in enumerate(ops) if op == "RUN") < ops.index("USER")


def test_dockerignore_keeps_the_build_context_to_the_package():
    lines = [line for line in (ROOT / ".dockerignore").read_text().splitlines() if line and not line.startswith("#")]
    assert lines[0] == "*"
    assert {"!pyproject.toml", "!README.md", "!LICENSE", "!requirements.lock", "!automator/"} <= set(lines)


def container(relative: str) -> dict:
    (doc,) = load_all(relative)
    spec = doc["spec"]["jobTemplate"]["spec"]["template"]["spec"] if doc["kind"] == "CronJob" else doc["spec"]["template"]["spec"]
    (main,) = spec["containers"]
    return {"pod": spec, "container": main}


def test_kubernetes_cronjob_is_one_shot_and_never_overlaps():
    (doc,) = load_all("examples/kubernetes/cronjob.yaml")
    assert doc["spec"]["concurrencyPolicy"] == "Forbid"
    args = container("examples/kubernetes/cronjob.yaml")["container"]["args"]
    assert args[0] == "run" and "--every" not in args and "--repo" in args
    run_parser().parse_args(args[1:])


def test_kubernetes_deployment_loops_and_probes_the_health_file_it_writes():
    parts = container("examples/kubernetes/deployment.yaml")
    args = parts["container"]["args"]
    parsed = run_parser().parse_args(args[1:])
    assert parsed.every == 300
    probe = parts["container"]["livenessProbe"]["exec"]["command"]
    assert probe[:4] == ["python", "-m", "automator.schedule", "check"]
    assert probe[4] == str(parsed.health_file)


@pytest.mark.parametrize(
    ("relative", "grace"), [("examples/kubernetes/cronjob.yaml", 10), ("examples/kubernetes/deployment.yaml", 120)]
)
def test_kubernetes_examples_run_non_root_with_writable_tmp_and_grace_for_the_attempt(relative, grace):
    parts = container(relative)
    assert parts["pod"]["securityContext"]["runAsNonRoot"] is True
    image_user = [arg for op, arg in dockerfile_final_stage() if op == "USER"][-1].split(":")[0]
    assert str(parts["pod"]["securityContext"]["runAsUser"]) == image_user
    assert parts["pod"]["terminationGracePeriodSeconds"] >= grace  # loop: finish the attempt in flight
    assert "/tmp" in {m["mountPath"] for m in parts["container"]["volumeMounts"]}
