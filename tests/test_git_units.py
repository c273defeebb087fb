"""The pure parts of the git writer: messages, identities, push answers, backoff, credentials."""

from __future__ import annotations

import base64

import pytest

from automator.context import Context
from automator.errors import ConfigError, UsageError, scrub
from automator.git.backoff import Deadline, RetryPolicy
from automator.git.clone import supports_shallow
from automator.git.command import verb
from automator.git.config import GitConfig, canonical
from automator.git.credentials import git_environment, split_url_credentials
from automator.git.identity import DEFAULT_AUTHOR, Identity, parse_identity
from automator.git.maintenance import maintenance_due
from automator.git.message import render_message
from automator.git.push import classify_push
from automator.git.replay import commit_author
from automator.imageref import parse_image_ref
from automator.model import ImageUse, Plan, PolicySpec, Span, Update


def update(file: str, ref: str, to: str, policy: str = "semver:~1") -> Update:
    image = parse_image_ref(ref)
    use = ImageUse(file, 3, Span(0, len(ref)), "image", image, "app", PolicySpec(policy), "fluxv1")
    return Update(use, image.tag or "", to, image.with_tag(to), "newest")


PLAN = Plan(updates=(
    update("prod/app.yaml", "ghcr.io/acme/app:1.0.0", "1.2.0"),
    update("prod/api.yaml", "ghcr.io/acme/api:2.0.0", "2.1.0", "semver:^2"),
))


def test_default_message_is_a_summary_and_one_line_per_update():
    assert render_message(PLAN, path="prod") == (
        "Update 2 images in prod (app 1.2.0, api 2.1.0)\n\n"
        "- prod/app.yaml: ghcr.io/acme/app 1.0.0 -> 1.2.0 (semver:~1)\n"
        "- prod/api.yaml: ghcr.io/acme/api 2.0.0 -> 2.1.0 (semver:^2)\n"
    )


def test_long_summaries_drop_the_list_of_moves():
    many = Plan(updates=tuple(update(f"f{i}.yaml", f"ghcr.io/acme/service-{i}:1.0.0", "1.0.1") for i in range(8)))
    assert render_message(many).splitlines()[0] == "Update 8 images"


@pytest.mark.parametrize(
    ("template", "first_line"),
    [
        ("$count images -> $branch", "2 images -> production"),
        ("deps: bump $images", "deps: bump ghcr.io/acme/app, ghcr.io/acme/api"),
        ("[$path] $files", "[prod] prod/api.yaml, prod/app.yaml"),
        ("costs $$0\\n\\n$updates", "costs $0"),
    ],
)
def test_template_placeholders(template, first_line):
    assert render_message(PLAN, template, path="prod", branch="production").splitlines()[0] == first_line


@pytest.mark.parametrize("template", ["$summary $unknown", "broken $"])
def test_bad_templates_are_configuration_errors_listing_the_placeholders(template):
    with pytest.raises(ConfigError, match=r"available: \$summary, \$updates, \$count"):
        render_message(PLAN, template)


@pytest.mark.parametrize(
    ("text", "identity"),
    [
        ("Release Bot <bot@example.com>", Identity("Release Bot", "bot@example.com")),
        ("  ci  <ci@corp.example>  ", Identity("ci", "ci@corp.example")),
    ],
)
def test_identities_parse(text, identity):
    assert parse_identity(text) == identity


@pytest.mark.parametrize("text", ["bot@example.com", "Bot <>", "<a@b.c>", "Bot <not-an-email>"])
def test_bad_identities_are_usage_errors(text):
    with pytest.raises(UsageError, match="Name <email@example.com>"):
        parse_identity(text)


def test_default_author_is_a_bot():
    assert str(DEFAULT_AUTHOR) == "Deployment Automator <automator@users.noreply.github.com>"


@pytest.mark.parametrize(
    ("stdout", "stderr", "outcome"),
    [
        ("To /r.git\n!\tHEAD:refs/heads/main\t[rejected] (fetch first)\nDone\n", "", "retry"),
        ("!\tHEAD:refs/heads/main\t[rejected] (non-fast-forward)\n", "", "retry"),
        ("!\tHEAD:refs/heads/main\t[remote rejected] (failed to update ref)\n", "", "retry"),
        ("!\tHEAD:refs/heads/main\t[remote rejected] (pre-receive hook declined)\n", "remote: protected\n", "refused"),
        ("", "fatal: unable to access 'https://h/r.git/': Could not resolve host: h\n", "failed"),
        ("", "error: RPC failed; HTTP 502 curl 22 The requested URL returned error: 502\n", "transient"),
        ("", "fatal: Authentication failed for 'https://h/r.git/'\n", "failed"),
    ],
)
def test_push_answers_are_classified(stdout, stderr, outcome):
    assert classify_push(1, stdout, stderr).outcome == outcome


def test_hook_refusal_reason_carries_the_remote_message():
    result = classify_push(1, "!\tHEAD:refs/heads/main\t[remote rejected] (pre-receive hook declined)\n", "remote: main is protected\n")
    assert "pre-receive hook declined" in result.reason and "main is protected" in result.reason


def test_backoff_grows_with_the_round_time_and_stays_capped():
    policy = RetryPolicy(base_delay=0.05, max_delay=4.0)
    assert policy.delay(1, slot=0.3, rand=lambda: 1.0) == pytest.approx(0.6)
    assert policy.delay(3, slot=0.3, rand=lambda: 1.0) == pytest.approx(2.4)
    assert policy.delay(20, slot=0.3, rand=lambda: 1.0) == 4.0
    assert policy.delay(2, slot=0.0, rand=lambda: 0.5) == pytest.approx(0.1)


def test_deadline_stops_after_attempts_or_time_whichever_first():
    now = [0.0]
    by_count = Deadline(RetryPolicy(max_attempts=3, max_seconds=100), clock=lambda: now[0])
    assert [by_count.next_attempt() for _ in range(4)] == [True, True, True, False]
    by_time = Deadline(RetryPolicy(max_attempts=100, max_seconds=10), clock=lambda: now[0])
    assert by_time.next_attempt()
    now[0] = 11.0
    assert not by_time.next_attempt()


def test_token_becomes_a_scoped_extra_header_in_the_environment_only():
    env = git_environment(Context({"GIT_TOKEN": "tok-secret-123"}), url="https://git.example.com/acme/env.git")
    assert env["GIT_CONFIG_COUNT"] == "1"
    assert env["GIT_CONFIG_KEY_0"] == "http.https://git.example.com/.extraHeader"
    header = env["GIT_CONFIG_VALUE_0"]
    assert base64.b64decode(header.removeprefix("Authorization: Basic ")) == b"x-access-token:tok-secret-123"
    assert "tok-secret-123" not in scrub(header) and header.split()[-1] not in scrub(header)


@pytest.mark.parametrize(("url", "sent"), [
    ("https://github.com/acme/env.git", b"x-access-token:ghs-github"),
    ("https://gitlab.com/acme/env.git", b"x-access-token:glpat-gitlab"),
    ("https://gitlab.example.com/acme/env.git", b"x-access-token:glpat-gitlab"),
    ("https://git.example.com/acme/env.git", b"x-access-token:ghs-github"),  # a host of neither: the first token set
])
def test_each_forge_gets_its_own_token_in_a_fleet_of_both(url, sent):
    both = Context({"GITHUB_TOKEN": "ghs-github", "GITLAB_TOKEN": "glpat-gitlab"})
    header = git_environment(both, url=url)["GIT_CONFIG_VALUE_0"]
    assert base64.b64decode(header.removeprefix("Authorization: Basic ")) == sent


def test_a_github_token_is_never_sent_to_gitlab_nor_git_token_withheld():
    assert "GIT_CONFIG_COUNT" not in git_environment(Context({"GITHUB_TOKEN": "ghs-github"}), url="https://gitlab.com/acme/env.git")
    header = git_environment(Context({"GIT_TOKEN": "tok-all", "GITLAB_TOKEN": "glpat"}), url="https://gitlab.com/a/b.git")["GIT_CONFIG_VALUE_0"]
    assert base64.b64decode(header.split()[-1]) == b"x-access-token:tok-all"


def test_existing_git_config_env_entries_are_kept():
    env = git_environment(Context({"CI_JOB_TOKEN": "job-token-456", "GIT_CONFIG_COUNT": "2"}))
    assert env["GIT_CONFIG_COUNT"] == "3" and env["GIT_CONFIG_KEY_2"] == "http.extraHeader"
    assert base64.b64decode(env["GIT_CONFIG_VALUE_2"].split()[-1]).startswith(b"gitlab-ci-token:")


@pytest.mark.parametrize("url", ["git@github.com:acme/env.git", "ssh://git@github.com/acme/env.git", "/srv/git/env.git"])
def test_a_remote_not_over_https_gets_no_token_header_for_other_hosts_to_see(url):
    """An unscoped header would go to every HTTP host git talks to (submodules, LFS)."""
    env = git_environment(Context({"GITHUB_TOKEN": "ghs-secret-789"}), url=url)
    assert env == {"GIT_TERMINAL_PROMPT": "0", "GCM_INTERACTIVE": "never"}


def test_no_token_no_header_and_never_a_prompt():
    assert git_environment(Context({})) == {"GIT_TERMINAL_PROMPT": "0", "GCM_INTERACTIVE": "never"}


def test_credentials_in_a_url_are_percent_decoded_as_git_decodes_them():
    """A password with a reserved character is written percent-encoded in a URL (p%40ss is
    p@ss); sent still encoded, it would not authenticate. Both spellings stay secret."""
    from automator.errors import scrub

    clean, user, password = split_url_credentials("https://bot%2Bci:p%40ss-S3CRET@git.example.com/env.git")
    assert (clean, user, password) == ("https://git.example.com/env.git", "bot+ci", "p@ss-S3CRET")
    assert "S3CRET" not in scrub("failed: p@ss-S3CRET and p%40ss-S3CRET")


def test_credentials_in_a_url_are_split_off():
    assert split_url_credentials("https://bot:s3cret-9@git.example.com/env.git") == ("https://git.example.com/env.git", "bot", "s3cret-9")
    assert split_url_credentials("git@github.com:acme/env.git") == ("git@github.com:acme/env.git", None, None)


@pytest.mark.parametrize(
    ("url", "shallow"),
    [("https://github.com/acme/env.git", True), ("file:///srv/env.git", True), ("git@github.com:acme/env.git", True), ("/srv/env.git", False)],
)
def test_shallow_clone_where_git_supports_it(url, shallow):
    assert supports_shallow(url) is shallow


# --- the configuration snapshot, deferred maintenance, replayed authors -------------------------


LISTING = (
    "user.name\nPlatform Team\0core.bare\nfalse\0branch.Release/1.x.remote\norigin\0"
    "branch.Release/1.x.merge\nrefs/heads/release/1.x\0commit.gpgsign\0"
    "http.https://git.example.com/.extraheader\nAuthorization: Basic abc\0"
    "remote.origin.url\nhttps://a.example/env.git\0remote.origin.url\nhttps://b.example/env.git\0gc.auto\n2k\0"
)


def test_the_configuration_answers_as_git_config_get_would():
    config = GitConfig.parse(LISTING)
    assert config.get("user.name") == "Platform Team" and config.get("USER.Name") == "Platform Team"
    assert config.get("branch.Release/1.x.Remote") == "origin"  # subsection case kept, name case folded
    assert config.get("branch.release/1.x.remote") is None
    assert config.get("remote.origin.url") == "https://b.example/env.git"  # the last value, as --get
    assert config.get_all("remote.origin.url") == ("https://a.example/env.git", "https://b.example/env.git")
    assert config.get_bool("commit.gpgsign") is True  # a key without `=` is true
    assert config.get_bool("core.bare") is False and config.get_bool("user.name") is None
    assert config.get_int("gc.auto", 6700) == 2048 and config.get_int("gc.autopacklimit", 50) == 50
    assert config.matching(r"^http\..*extraheader$") == [("http.https://git.example.com/.extraheader", "Authorization: Basic abc")]
    assert not config.has("user.email")
    assert canonical("Remote.My.Fork.URL") == "remote.My.Fork.url" and canonical("Core.Bare") == "core.bare"


def objects_with(tmp_path, loose: int = 0, packs: int = 0, kept: int = 0):
    git_dir = tmp_path / ".git"
    (git_dir / "objects" / "17").mkdir(parents=True)
    (git_dir / "objects" / "pack").mkdir()
    for index in range(loose):
        (git_dir / "objects" / "17" / f"{index:038x}").write_text("")
    for index in range(packs):
        (git_dir / "objects" / "pack" / f"pack-{index}.pack").write_text("")
        if index < kept:
            (git_dir / "objects" / "pack" / f"pack-{index}.keep").write_text("")
    return git_dir


@pytest.mark.parametrize(
    ("listing", "loose", "packs", "kept", "due"),
    [
        ("", 0, 1, 0, False),  # a tidy repository: git would do nothing
        ("", 28, 0, 0, True),  # more than 6700 / 256 in objects/17: gc --auto would repack
        ("", 27, 0, 0, False),
        ("gc.autopacklimit\n2\0", 0, 3, 0, True),
        ("gc.autopacklimit\n2\0", 0, 3, 1, False),  # a kept pack does not count
        ("gc.auto\n0\0", 99, 99, 0, False),  # gc.auto=0 turns automatic gc off
        ("maintenance.auto\nfalse\0", 99, 99, 0, False),
        ("maintenance.strategy\nincremental\0", 0, 0, 0, True),  # the owner's tasks: git judges them
    ],
)
def test_maintenance_is_due_where_git_would_act(tmp_path, listing, loose, packs, kept, due):
    git_dir = objects_with(tmp_path, loose, packs, kept)
    assert maintenance_due(git_dir, GitConfig.parse(listing)) is due


def test_a_replayed_commit_keeps_its_author_and_date():
    headers = "tree 4b825dc\nparent 1a2b3c\nauthor Image Bot <bot@acme.example> 1717171717 +0200\ncommitter X <x@y> 1 +0000"
    assert commit_author(headers) == ("Image Bot", "bot@acme.example", "1717171717 +0200")


def test_the_verb_of_a_git_command_is_found_past_global_options():
    assert verb(["-c", "maintenance.auto=false", "-C", "/repo", "--no-pager", "commit", "-m", "x"]) == "commit"
    assert verb(["--version"]) == ""
