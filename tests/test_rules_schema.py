"""The JSON Schema of rule files (for editors) and the loader agree on what a rules file means."""

import json
from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML

from automator.errors import ConfigError
from automator.rules import parse_rules

SCHEMA = json.loads((Path(__file__).resolve().parent.parent / "policies" / "rules.schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def window(start: str, end: str = "Mon 08:00", zone: str = "UTC") -> str:
    return f"rules:\n  - freeze: [{{from: '{start}', to: '{end}', timezone: '{zone}'}}]\n"


def rule(setting: str) -> str:
    return f"rules:\n  - {setting}\n"


def schema_accepts(text: str) -> bool:
    return VALIDATOR.is_valid(YAML(typ="safe").load(text))


def loader_accepts(text: str) -> bool:
    try:
        parse_rules(text, "r.yaml")
    except ConfigError:
        return False
    return True


ACCEPTED = [
    window("Fri 16:00 "), window("Sun 24:00", "Mon 00:00"), window("Fri 16:00", "Mon 8:00"), window("fRi\t16:00"),
    window("Fri 16:00", zone="Etc/GMT+5"), window("Fri 16:00", zone="EST"),
    window("Fri 16:00", zone="America/Argentina/Buenos_Aires"),
    rule("soak: ' 24h'"), rule("min-age: 1d12h"), rule("soak: 0s"),
    rule("platform: linux/arm64/v8"), rule("platform: Linux/ARM64"), rule("platform: ' windows/amd64'"),
    rule("policy: alphabetical"), rule("policy: 'alphabetical: desc'"), rule("policy: 'semver :^1'"),
    rule("policy: 'glob:main-*'"), rule("policy: 'regexp:^v[0-9]+$'"), rule("policy: numerical:asc"),
    rule("match: {images: nginx}"), rule("match: {images: 'GHCR.io/acme/app'}"), rule("match: {images: 'ghcr.io/acme/**'}"),
    rule("match: {paths: production/}"), rule("match: {}"),
    rule("follow: 'staging/{name}'"), rule("follow: {path: '{dir}/../staging/{file}', container: app}"),
    rule("follow: 'staging/{{literal}}/{name}'"),
]

REFUSED = [
    window("Fri 24:30"), window("Fri 25:00"), window("Fri 16:00", zone="utc"),
    window("Fri 16:00", zone="/etc/localtime"), window("Fri 16:00", zone="Europe/../Europe/Berlin"),
    window("Fri 16:00", zone="localtime"), window("Fri 16:00", zone=""),
    rule("soak: ' 24 h'"), rule("min-age: 1D"), rule("soak: ''"),
    rule("platform: arm64"), rule("platform: linux/arm64/v8/extra"), rule("platform: 'linux/arm 64'"),
    rule("policy: foo"), rule("policy: 'Semver:^1'"), rule("policy: 'glob: '"), rule("policy: alphabetical:bogus"),
    rule("match: {images: Nginx}"), rule("match: {images: 'ghcr.io/Acme/*'}"),
    rule("match:\n    hold: true"),
    rule("follow: {path: 'x', container: null}"), rule("follow: {path: 'x', container: ''}"),
    rule("follow: 'staging/{filename}'"), rule("follow: 'staging/{}'"), rule("follow: 'staging/{name'"),
]


# beyond a JSON Schema, so `automator validate` reports them: the time-zone database, a window
# that starts where it ends, and a policy's own argument
LOADER_ONLY = [window("Fri 16:00", zone="Mars/Base"), window("Fri 16:00", "Fri 16:00"), rule("policy: 'semver:bogus['")]

TABLE = ([(text, (True, True)) for text in ACCEPTED] + [(text, (False, False)) for text in REFUSED]
         + [(text, (True, False)) for text in LOADER_ONLY])


VERDICTS = {(True, True): "both take", (False, False): "both refuse", (True, False): "only the loader refuses"}


def case_id(value) -> str:
    return value.partition("- ")[2].strip() if isinstance(value, str) else VERDICTS[value]


@pytest.mark.parametrize(("text", "accepted"), TABLE, ids=case_id)
def test_the_schema_and_the_loader_agree_on_what_a_rules_file_may_say(text, accepted):
    """(schema, loader): both take it, both refuse it, or only the loader can tell."""
    assert (schema_accepts(text), loader_accepts(text)) == accepted
