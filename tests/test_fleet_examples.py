"""The fleet examples work when copied: the Kubernetes CronJob of an Indexed Job with its Redis,
the GitHub workflow with a matrix over shards, the GitLab job with ``parallel:``.

Each is held against what its platform documents (field names, how the shard index reaches the
tool) and against the tool itself (the arguments parse, the shard variables give 0..N-1).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from automator.ci.inputs import check_inputs, input_variable
from automator.cli import build_parser
from automator.fleet.shard import Shard, parse_shard, shard_from_scheduler

ROOT = Path(__file__).resolve().parent.parent
K8S = "examples/kubernetes/fleet-indexed-job.yaml"
GITHUB = "examples/github/fleet.yml"
GITLAB = "examples/gitlab/fleet.gitlab-ci.yml"
FLEET_FILE = "examples/fleet/fleet.yaml"
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())


def load_all(relative: str) -> list:
    return [doc for doc in yaml.safe_load_all((ROOT / relative).read_text()) if doc is not None]


def fleet_parser():
    parser = build_parser(["fleet"])
    return parser._subparsers._group_actions[0].choices["fleet"]


def dockerfile(instruction: str) -> str:
    """The last ``instruction`` of the Dockerfile (the final stage's)."""
    found = re.findall(rf"^{instruction}\s+(.+)$", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    return found[-1].strip()


@pytest.mark.parametrize("relative", [K8S, GITHUB, GITLAB, FLEET_FILE])
def test_every_fleet_example_parses_as_yaml(relative):
    assert load_all(relative)


def test_the_example_fleet_file_loads():
    from automator.fleet.spec import load_fleet

    assert len(load_fleet(ROOT / FLEET_FILE).repositories) == 3


# --- Kubernetes -------------------------------------------------------------------------------

# the fields of the API reference (batch/v1 CronJobSpec, JobSpec; core/v1 PodSpec, Container)
CRONJOB_SPEC = {"schedule", "timeZone", "startingDeadlineSeconds", "concurrencyPolicy", "suspend", "jobTemplate",
                "successfulJobsHistoryLimit", "failedJobsHistoryLimit"}
JOB_SPEC = {"template", "parallelism", "completions", "completionMode", "backoffLimit", "backoffLimitPerIndex",
            "maxFailedIndexes", "activeDeadlineSeconds", "ttlSecondsAfterFinished", "suspend", "selector",
            "manualSelector", "podFailurePolicy", "successPolicy", "podReplacementPolicy", "managedBy"}
POD_SPEC = {"containers", "initContainers", "restartPolicy", "terminationGracePeriodSeconds", "securityContext",
            "volumes", "serviceAccountName", "automountServiceAccountToken", "nodeSelector", "affinity",
            "tolerations", "imagePullSecrets", "activeDeadlineSeconds", "priorityClassName"}
CONTAINER = {"name", "image", "command", "args", "env", "envFrom", "ports", "resources", "volumeMounts",
             "securityContext", "readinessProbe", "livenessProbe", "startupProbe", "imagePullPolicy", "workingDir"}


def k8s() -> dict[str, dict]:
    return {doc["kind"]: doc for doc in load_all(K8S)}


def job_spec() -> dict:
    return k8s()["CronJob"]["spec"]["jobTemplate"]["spec"]


def fleet_pod() -> dict:
    return job_spec()["template"]["spec"]


def fleet_container() -> dict:
    (container,) = fleet_pod()["containers"]
    return container


def redis_container() -> dict:
    (container,) = k8s()["Deployment"]["spec"]["template"]["spec"]["containers"]
    return container


def env(container: dict) -> dict[str, dict]:
    return {item["name"]: item for item in container.get("env", [])}


def test_the_kubernetes_example_is_a_cronjob_a_deployment_and_a_service_with_documented_fields():
    docs = k8s()
    assert {kind: doc["apiVersion"] for kind, doc in docs.items()} == {
        "CronJob": "batch/v1", "Deployment": "apps/v1", "Service": "v1"}
    assert set(docs["CronJob"]["spec"]) <= CRONJOB_SPEC
    assert set(job_spec()) <= JOB_SPEC
    assert set(fleet_pod()) <= POD_SPEC
    assert set(docs["Deployment"]["spec"]["template"]["spec"]) <= POD_SPEC
    for container in (fleet_container(), redis_container()):
        assert set(container) <= CONTAINER


def test_the_cronjob_runs_an_indexed_job_whose_size_is_the_shard_total_and_never_overlaps():
    cronjob, spec = k8s()["CronJob"], job_spec()
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    assert spec["completionMode"] == "Indexed"
    assert spec["parallelism"] == spec["completions"]
    variables = env(fleet_container())
    assert "JOB_COMPLETION_INDEX" not in variables  # the Job controller sets it
    assert variables["JOB_COMPLETIONS"]["value"] == str(spec["completions"])
    # every index the Job runs is a distinct shard of the same total
    args = fleet_parser().parse_args(fleet_container()["args"][1:])
    assert fleet_container()["args"][0] == "fleet" and args.shard is None
    shards = {shard_from_scheduler({"JOB_COMPLETION_INDEX": str(i), "JOB_COMPLETIONS": variables["JOB_COMPLETIONS"]["value"]})
              for i in range(spec["completions"])}
    assert shards == {Shard(i, spec["completions"]) for i in range(spec["completions"])}


def test_a_failed_shard_is_not_restarted_in_place():
    spec, pod = job_spec(), fleet_pod()
    assert pod["restartPolicy"] in ("Never", "OnFailure")
    assert "backoffLimit" in spec or "backoffLimitPerIndex" in spec
    if "backoffLimitPerIndex" in spec:  # documented: Indexed Jobs with restartPolicy Never only
        assert pod["restartPolicy"] == "Never" and spec["completionMode"] == "Indexed"


def test_the_fleet_pod_runs_as_the_image_user_with_a_read_only_root_and_writable_tmp_and_home():
    pod, container = fleet_pod(), fleet_container()
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert str(pod["securityContext"]["runAsUser"]) == dockerfile("USER").split(":")[0]
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: volumes[m["name"]] for m in container["volumeMounts"]}
    tmp = env(container).get("TMPDIR", {}).get("value", "/tmp")  # where the clones go
    home = re.search(r"HOME=(\S+)", (ROOT / "Dockerfile").read_text()).group(1)
    for path in (tmp, home):
        assert "emptyDir" in mounts[path], path


def test_the_cache_url_reaches_the_redis_service():
    args = fleet_parser().parse_args(fleet_container()["args"][1:])
    url = urlsplit(args.cache_url)
    docs = k8s()
    service, deployment = docs["Service"], docs["Deployment"]
    assert url.hostname == service["metadata"]["name"]
    (port,) = [p for p in service["spec"]["ports"] if p["port"] == url.port]
    assert service["spec"]["selector"].items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
    assert deployment["spec"]["selector"]["matchLabels"].items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
    named = {p["name"]: p["containerPort"] for p in redis_container()["ports"]}
    assert named.get(port["targetPort"], port["targetPort"]) == 6379  # redis-server's default port


def test_every_credential_comes_from_a_secret():
    for container in (fleet_container(), redis_container()):
        for name, item in env(container).items():
            if re.search(r"TOKEN|PASSWORD|AUTH|SECRET", name):
                assert "value" not in item and "secretKeyRef" in item["valueFrom"], name


def test_the_shared_cache_needs_the_password_the_fleet_is_given():
    """The cache decides which tags get written to every environment repository: Redis must not
    take writes from any pod that reaches it (the official image turns protected mode off), so it
    requires a password, and the fleet gets the same password from the same Secret."""
    redis, fleet = redis_container(), fleet_container()
    args = redis.get("args", [])
    assert "--requirepass" in args, "the Redis of the example takes anyone's writes"
    reference = re.fullmatch(r"\$\((\w+)\)", args[args.index("--requirepass") + 1])
    assert reference, "the password comes from the container's env ($(VAR)), not inline"
    server_secret = env(redis)[reference.group(1)]["valueFrom"]["secretKeyRef"]
    assert env(fleet)["REDIS_PASSWORD"]["valueFrom"]["secretKeyRef"] == server_secret
    # the readiness probe's redis-cli must authenticate too (REDISCLI_AUTH)
    assert env(redis)["REDISCLI_AUTH"]["valueFrom"]["secretKeyRef"] == server_secret


# --- GitHub Actions ---------------------------------------------------------------------------


def github() -> dict:
    (workflow,) = load_all(GITHUB)
    return workflow


def action_step() -> dict:
    (job,) = github()["jobs"].values()
    (step,) = [s for s in job["steps"] if str(s.get("uses", "")).startswith("acme/deployment-automator@")]
    return step


def test_the_matrix_gives_the_action_every_shard_of_one_total(tmp_path):
    (job,) = github()["jobs"].values()
    step = action_step()
    assert set(step["with"]) <= set(ACTION["inputs"])
    match = re.fullmatch(r"\$\{\{\s*matrix\.(\w+)\s*\}\}/(\d+)", step["with"]["shard"])
    assert match, step["with"]["shard"]
    total = int(match.group(2))
    assert job["strategy"]["matrix"][match.group(1)] == list(range(total))
    assert job["strategy"]["fail-fast"] is False  # one shard's failure does not cancel the others
    (tmp_path / "fleet.yaml").write_text("version: 1\nrepositories: []\n")
    for index in range(total):
        environ = {input_variable("fleet"): "fleet.yaml", input_variable("shard"): f"{index}/{total}"}
        assert check_inputs(environ, tmp_path) == []
        assert parse_shard(f"{index}/{total}") == Shard(index, total)


def test_a_fleet_run_sets_outputs_the_action_declares():
    from automator.fleet.report import fleet_outputs
    from automator.fleet.runner import FleetResult

    names = set(fleet_outputs(FleetResult(repositories=(), shard="0/1")))
    assert names and names <= set(ACTION["outputs"])
    for name in names:
        assert ACTION["outputs"][name]["value"] == f"${{{{ steps.run.outputs.{name} }}}}"


def test_the_fleet_workflow_grants_only_reading_the_platform_repository_and_does_not_overlap():
    workflow = github()
    (job,) = workflow["jobs"].values()
    assert workflow["permissions"] == {}
    assert job["permissions"] == {"contents": "read"}  # the environment repositories take FLEET_TOKEN
    assert workflow["concurrency"]["cancel-in-progress"] is False
    assert "run" not in action_step()  # nothing of it is echoed


def test_every_variable_the_workflow_asks_for_is_used():
    """A secret or variable the comments tell the user to set must reach the run."""
    text = (ROOT / GITHUB).read_text()
    comments = "\n".join(line for line in text.splitlines() if line.lstrip().startswith("#"))
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    asked = set(re.findall(r"\b([A-Z][A-Z0-9]*_[A-Z0-9_]+)\b", comments))
    unused = {name for name in asked if not re.search(rf"(secrets|vars|env)\.{name}\b|^\s*{name}:", body, re.MULTILINE)}
    assert unused == set(), f"the comments ask for {sorted(unused)}, which nothing in the workflow passes on"


# --- GitLab CI --------------------------------------------------------------------------------


def gitlab_job() -> dict:
    (document,) = load_all(GITLAB)
    (job,) = document.values()
    return job


def test_the_gitlab_job_runs_the_tool_with_the_shell_gitlab_needs():
    """GitLab starts the job's image with its ENTRYPOINT and feeds the script to a shell: an
    image whose entrypoint is the tool needs ``entrypoint: [""]`` (as templates/automator.yml has)."""
    image = gitlab_job()["image"]
    entrypoint = dockerfile("ENTRYPOINT")
    if not re.search(r'"(/bin/)?(ba)?sh"', entrypoint):
        assert isinstance(image, dict) and image.get("entrypoint") == [""], f"the image's entrypoint is {entrypoint}"


def test_parallel_gives_every_shard_once_from_ci_node_index():
    job = gitlab_job()
    total = job["parallel"]
    assert isinstance(total, int) and 2 <= total <= 200  # GitLab: parallel: 1 to 200
    (command,) = [line for line in job["script"] if line.startswith("automator fleet")]
    words = shlex.split(command.split(">")[0])
    args = fleet_parser().parse_args(words[2:])
    assert args.shard is None  # read from CI_NODE_INDEX/CI_NODE_TOTAL
    shards = [shard_from_scheduler({"CI_NODE_INDEX": str(i), "CI_NODE_TOTAL": str(total)}) for i in range(1, total + 1)]
    assert shards == [Shard(i, total) for i in range(total)]


def test_each_example_gives_every_forge_of_the_example_fleet_its_own_token():
    """A fleet of GitHub and GitLab repositories: one token cannot serve both, and the pull
    request API reads GITHUB_TOKEN (or GITLAB_TOKEN) only."""
    from automator.fleet.spec import load_fleet

    hosts = {r.url.split("/")[2] for r in load_fleet(ROOT / FLEET_FILE).repositories}
    assert hosts == {"github.com", "gitlab.example.com"}
    kubernetes = set(env(fleet_container()))
    gitlab = set(yaml.safe_load((ROOT / GITLAB).read_text())["fleet"]["variables"])
    github = set(action_step()["env"]) | {"GITHUB_TOKEN"}  # the Action's token: input becomes GITHUB_TOKEN
    for given in (kubernetes, gitlab, github):
        assert {"GITHUB_TOKEN", "GITLAB_TOKEN"} <= given and "GIT_TOKEN" not in given, given
