"""Secrets never reach output: every message passes through scrub()."""

from automator.errors import ConfigError, ExitCode, RegistryError, register_secret, scrub


def test_registered_secret_is_removed_everywhere():
    register_secret("s3cr3t-value")
    assert "s3cr3t-value" not in scrub("token s3cr3t-value failed, again s3cr3t-value")
    assert "s3cr3t-value" not in str(RegistryError("login with s3cr3t-value refused"))


def test_url_userinfo_and_auth_headers_are_removed():
    text = scrub("push https://x-access-token:abcd1234@github.com/o/r.git; Authorization: Bearer eyJabc.def")
    assert "abcd1234" not in text and "eyJabc" not in text
    assert "github.com/o/r.git" in text


def test_well_known_token_shapes_are_removed_even_unregistered():
    assert "ghp_" not in scrub("ghp_" + "a" * 36)
    assert "glpat-" not in scrub("glpat-" + "b" * 20)


def test_every_gitlab_token_prefix_is_removed_even_unregistered():
    """GitLab prefixes each token kind: deploy, runner, job, trigger, OAuth secret, feed."""
    for prefix in ("gldt-", "glrt-", "glcbt-", "glptt-", "gloas-", "glft-"):
        token = prefix + "c1_" + "d" * 20
        assert scrub(f"clone with {token} refused") == "clone with *** refused", prefix


def test_config_error_names_file_and_line_and_is_a_usage_exit():
    error = ConfigError("unknown key 'foo'", source="rules.yaml", line=7)
    assert str(error).startswith("rules.yaml:7: unknown key")
    assert error.exit_code == ExitCode.USAGE


def test_url_password_with_an_unencoded_at_sign_is_removed_whole():
    """Git and requests split credentials from the host at the last ``@``, so must scrub."""
    assert scrub("cannot reach https://deploy:p@ss@registry.example/v2/") == "cannot reach https://***@registry.example/v2/"
    assert scrub("https://u:p@ss@a.example/x and mail to ops@b.example") == "https://***@a.example/x and mail to ops@b.example"


def test_an_unexpected_error_is_reported_as_a_bug_without_its_secrets():
    from automator.cli import crash_report

    register_secret("hunter2-registry-password")
    try:
        raise ValueError("GET https://bot:hunter2-registry-password@registry.example/v2/ failed")
    except ValueError as error:
        report = crash_report("scan", error)
    assert "hunter2-registry-password" not in report
    assert "Traceback (most recent call last)" in report
    assert "automator scan: internal error: ValueError" in report
    assert "bug" in report and "registry.example/v2/" in report


def test_internal_errors_have_their_own_exit_code():
    assert ExitCode.INTERNAL == 70 and ExitCode.INTERNAL not in (ExitCode.OK, ExitCode.PARTIAL, ExitCode.USAGE)


def test_credentials_in_a_urls_query_string_are_removed_and_the_rest_of_the_url_kept():
    """A token given as ?access_token=, a signed blob URL a registry redirects to (S3, Azure)."""
    assert scrub("could not clone https://h.example/x.git?access_token=s3cr3tvalue: fatal") == \
        "could not clone https://h.example/x.git?access_token=***: fatal"
    signed = scrub("GET https://b.s3.amazonaws.com/o?X-Amz-Algorithm=AWS4&X-Amz-Credential=AKIA1%2F2024&X-Amz-Signature=0a1b2c failed")
    assert signed == "GET https://b.s3.amazonaws.com/o?X-Amz-Algorithm=AWS4&X-Amz-Credential=***&X-Amz-Signature=*** failed"
    assert scrub("(https://a.blob.core.windows.net/c/b?sv=2020&sig=abc%2Bdef&se=2024)") == "(https://a.blob.core.windows.net/c/b?sv=2020&sig=***&se=2024)"
    assert scrub("https://registry.example/v2/app/tags/list?n=100&last=1.2.3") == "https://registry.example/v2/app/tags/list?n=100&last=1.2.3"
