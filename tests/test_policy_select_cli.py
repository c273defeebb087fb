"""The `automator select` contract, run as users run it (a real `python -m automator`
process): the chosen tag alone on stdout and exit 0; exit 1 and a message on stderr when no
tag qualifies; exit 2 and a message on stderr for an invalid policy or arguments."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def select(*args, stdin=None):
    return subprocess.run(
        [sys.executable, "-m", "automator", "select", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("args", "stdout"),
    [
        (["semver:>=1.2.0 <2.0.0", "1.1.0", "v1.4.2", "1.10", "2.0.0", "latest"], "1.10\n"),
        (["semver:^1", "1.10", "1.10.0"], "1.10.0\n"),
        (["alphabetical:desc", "b", "a", "c"], "a\n"),
        (["numerical", "1", "2", "latest"], "2\n"),
        (["glob:main-*", "main-1", "main-2", "dev-3"], "main-2\n"),
        # options may sit between the policy and the tags, and after them
        (["semver:>=1.0.0-0", "--filter", r"^(?P<v>[0-9.]+)-rc(?P<n>[0-9]+)$", "--extract", "$v-rc.$n", "1.0.0-rc9", "1.0.0-rc10"], "1.0.0-rc10\n"),
        (["semver:^1", "1.3.9", "1.4.0", "--current", "1.5.0"], "1.5.0\n"),
        # -- ends the options, so tags may start with a dash
        (["alphabetical", "--", "-a", "-b"], "-b\n"),
    ],
)
def test_prints_the_chosen_tag_alone(args, stdout):
    result = select(*args)
    assert (result.returncode, result.stdout, result.stderr) == (0, stdout, "")


def test_reads_tags_from_stdin_one_per_line_skipping_blank_lines():
    result = select("semver:~1", stdin="1.0.0\n\n  v1.9.0  \r\n2.0.0\n\n")
    assert (result.returncode, result.stdout) == (0, "v1.9.0\n")


def test_stdin_lines_may_carry_build_times_for_glob_and_regex():
    stdin = "main-a 2024-05-02T00:00:00Z\nmain-b 2024-05-01T00:00:00+00:00\nmain-c\n"
    result = select("regex:^main-", stdin=stdin)
    assert (result.returncode, result.stdout) == (0, "main-a\n")


@pytest.mark.parametrize(
    ("newer", "older"),
    [
        ("2024-05-02T00:00:00.123456789Z", "2024-05-01T00:00:00Z"),  # registries: nanoseconds
        ("2024-05-02T00:00:00.5Z", "2024-05-01T23:59:59.25Z"),  # Go trims trailing zeros
        ("2024-05-02t00:00:00z", "2024-05-01T00:00:00.1+02:00"),
    ],
)
def test_build_times_are_read_as_registries_write_them_on_every_python(newer, older):
    result = select("glob:main-*", stdin=f"main-a {newer}\nmain-b {older}\n")
    assert (result.returncode, result.stdout, result.stderr) == (0, "main-a\n", "")


def test_explain_puts_the_reason_on_stderr_and_keeps_stdout_the_tag():
    result = select("semver:^1", "--explain", "1.0.0", "2.0.0", "latest")
    assert (result.returncode, result.stdout) == (0, "1.0.0\n")
    assert "semver '^1': chose 1.0.0" in result.stderr
    assert "excluded latest: not a version" in result.stderr
    assert "excluded 2.0.0: outside the range" in result.stderr


def test_no_qualifying_tag_exits_1_with_the_reason_on_stderr():
    result = select("semver:>=3", "1.0.0", "latest")
    assert (result.returncode, result.stdout) == (1, "")
    assert "no tag qualifies" in result.stderr
    assert "1 outside the range, 1 not a version" in result.stderr


def test_empty_stdin_qualifies_nothing():
    result = select("semver:>=1", stdin="")
    assert (result.returncode, result.stdout) == (1, "")
    assert "0 tags considered" in result.stderr


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["semver:>=1.2<2", "1.0.0"], None, "policy 'semver:>=1.2<2': invalid semver constraint"),
        (["bogus", "1.0.0"], None, "unknown policy kind 'bogus'"),
        (["numerical", "--extract", "$1", "1"], None, "needs a filter"),
        (["regex:(", "a"], None, "invalid regular expression"),
        (["glob:*"], "a 2024-05-01 extra\n", "stdin line 1: expected 'TAG' or 'TAG BUILD-TIME'"),
        (["glob:*"], "a yesterday\n", "'yesterday' is not an ISO 8601 build time"),
        ([], None, "required: POLICY"),
        (["semver:^1", "--no-such-option", "1.0.0"], None, "unrecognized arguments: --no-such-option"),
    ],
)
def test_invalid_policy_or_arguments_exit_2_with_a_message(args, stdin, message):
    result = select(*args, stdin=stdin)
    assert (result.returncode, result.stdout) == (2, "")
    assert message in result.stderr


def test_help_shows_every_policy_kind_with_examples():
    result = select("--help")
    assert result.returncode == 0
    for text in ["semver:", "alphabetical", "numerical", "glob:", "regex:", "--filter", "--extract",
                 "always rank above tags", "exit codes", "examples:"]:
        assert text in result.stdout


def _one_line_help_examples():
    import re
    import shlex

    from automator.commands.select import EPILOG

    for line in EPILOG.splitlines():
        found = re.match(r"^\s+automator select (?P<args>.*?)\s+# -> (?P<tag>\S+)", line)
        if found and "..." not in found["tag"]:
            yield shlex.split(found["args"]), found["tag"]


@pytest.mark.parametrize(("args", "tag"), list(_one_line_help_examples()))
def test_policy_select_help_examples_print_what_they_promise(args, tag):
    assert select(*args).stdout == tag + "\n"


def _modules_after(*args: str) -> set[str]:
    """The modules loaded by one `automator` run in a fresh interpreter."""
    probe = (
        "import runpy, sys\n"
        f"sys.argv = ['automator', *{list(args)!r}]\n"
        "try:\n    runpy.run_module('automator', run_name='__main__')\nexcept SystemExit:\n    pass\n"
        "sys.stderr.write('\\nMODULES ' + ' '.join(sorted(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=60)
    return set(done.stderr.rpartition("MODULES ")[2].split())


def test_the_pattern_engine_is_loaded_only_when_a_pattern_is_compiled():
    assert "re2" not in _modules_after("--version")
    assert "re2" not in _modules_after("select", "semver:^1", "1.0.0")
    assert "re2" not in _modules_after("select", "glob:1.*", "1.0.0")
    assert "re2" in _modules_after("select", "regex:^1", "1.0.0")
    assert "re2" in _modules_after("select", "semver:^1", "--filter", "^v", "v1.0.0")


def test_help_says_patterns_are_gos_regexp():
    result = select("--help")
    assert "Go's regexp syntax (RE2" in result.stdout and "lookarounds and backreferences do not exist" in result.stdout
