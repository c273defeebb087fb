"""How the YAML readers our users' tools use resolve a plain scalar (pure, no parser imports).

A tag written unquoted must read back as the same string everywhere the manifest goes. The
readers differ:

========================  ====================================================================
``yaml-1.2``              YAML 1.2 core schema as ruamel.yaml reads it (also what kyaml sees)
``yaml-1.1``              YAML 1.1 as PyYAML's ``safe_load`` reads it (Ansible, many scripts)
``go-yaml-v2``            gopkg.in/yaml.v2 (Helm, sigs.k8s.io/yaml, so Kubernetes and Flux v1)
``go-yaml-v3``            gopkg.in/yaml.v3 (kustomize/kyaml, Flux v2, Argo CD)
========================  ====================================================================

So ``0089`` is a string to PyYAML, an integer to ruamel and a float to yaml.v2; ``yes`` is a
boolean to PyYAML and yaml.v2 only; ``2024-01-01`` a timestamp to all of them. :func:`needs_quotes`
says whether any of them reads a plain text as something other than a string (or fails on it).

The YAML readers are tables of (first characters, regular expression, type), copied from the
libraries' resolvers; the Go readers follow ``resolve.go`` of yaml.v2/v3 (a lookup table, then
the timestamp, ``strconv.ParseInt/ParseUint/ParseFloat`` tries).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

STRING = "str"

_DIGITS = "0123456789"
_SIGNED = "-+" + _DIGITS

_YAML_TIMESTAMP = re.compile(
    r"""(?x)^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
    |[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?
     (?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?
     (?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$"""
)
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_MERGE = re.compile(r"^(?:<<)$")
_VALUE = re.compile(r"^(?:=)$")

Rule = tuple[str, re.Pattern[str], str]  # (first characters, pattern, type)

# YAML 1.1 as PyYAML's SafeLoader resolves it (yaml/resolver.py)
YAML_11: tuple[Rule, ...] = (
    ("yYnNtTfFoO", re.compile(r"^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$"), "bool"),
    (
        _SIGNED + ".",
        re.compile(
            r"""(?x)^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?
            |\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
            |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
            |[-+]?\.(?:inf|Inf|INF)
            |\.(?:nan|NaN|NAN))$"""
        ),
        "float",
    ),
    (
        _SIGNED,
        re.compile(
            r"""(?x)^(?:[-+]?0b[0-1_]+
            |[-+]?0[0-7_]+
            |[-+]?(?:0|[1-9][0-9_]*)
            |[-+]?0x[0-9a-fA-F_]+
            |[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$"""
        ),
        "int",
    ),
    ("<", _MERGE, "merge"),
    ("~nN", _NULL, "null"),
    (_DIGITS, _YAML_TIMESTAMP, "timestamp"),
    ("=", _VALUE, "value"),
)

# YAML 1.2 core as ruamel.yaml resolves it (ruamel/yaml/resolver.py, version 1.2)
YAML_12: tuple[Rule, ...] = (
    ("tTfF", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), "bool"),
    (
        _SIGNED + ".",
        re.compile(
            r"""(?x)^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
            |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
            |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
            |[-+]?\.(?:inf|Inf|INF)
            |\.(?:nan|NaN|NAN))$"""
        ),
        "float",
    ),
    (
        _SIGNED,
        re.compile(
            r"""(?x)^(?:[-+]?0b[0-1_]+
            |[-+]?0o?[0-7_]+
            |[-+]?[0-9_]+
            |[-+]?0x[0-9a-fA-F_]+)$"""
        ),
        "int",
    ),
    ("<", _MERGE, "merge"),
    ("~nN", _NULL, "null"),
    (_DIGITS, _YAML_TIMESTAMP, "timestamp"),
    ("=", _VALUE, "value"),
)


def _by_table(table: tuple[Rule, ...], text: str) -> str:
    first = text[:1]
    for chars, pattern, kind in table:
        if (first in chars if first else pattern is _NULL) and pattern.match(text):
            return kind
    return STRING


# --- Go: gopkg.in/yaml.v2 and yaml.v3 (resolve.go) ---------------------------------------

_GO_COMMON = {
    **dict.fromkeys(("true", "True", "TRUE", "false", "False", "FALSE"), "bool"),
    **dict.fromkeys(("", "~", "null", "Null", "NULL"), "null"),
    **dict.fromkeys((".nan", ".NaN", ".NAN"), "float"),
    **dict.fromkeys((f"{s}.{i}" for s in ("", "+", "-") for i in ("inf", "Inf", "INF")), "float"),
    "<<": "merge",
}
_GO_V2_MAP = {**_GO_COMMON, **dict.fromkeys("y Y yes Yes YES n N no No NO on On ON off Off OFF".split(), "bool")}
_GO_V3_MAP = _GO_COMMON
_GO_STYLE_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_GO_FLOAT = re.compile(  # what strconv.ParseFloat accepts (decimal; hex floats need a 'p' exponent)
    r"""(?xi)^[-+]?(?:
      (?:[0-9](?:_?[0-9])*)?\.?(?:[0-9](?:_?[0-9])*)?(?:e[-+]?[0-9](?:_?[0-9])*)?
    | 0x[0-9a-f_]*\.?[0-9a-f_]*p[-+]?[0-9_]+
    | inf | infinity | nan)$"""
)
_GO_INT = {  # strconv.ParseInt(s, 0, 64) and ParseUint after underscores were removed
    "x": re.compile(r"^[0-9a-fA-F]+$"),
    "o": re.compile(r"^[0-7]+$"),
    "b": re.compile(r"^[01]+$"),
}
_GO_TIME = re.compile(
    r"""(?x)^(?P<y>[0-9]{4})-(?P<m>[0-9]{1,2})-(?P<d>[0-9]{1,2})
    (?:(?:[Tt][0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(?:\.[0-9]+)?(?:Z|[-+][0-9]{2}:[0-9]{2}))
      |(?:[ ][0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(?:\.[0-9]+)?))?$"""
)


def _go_parse_int(text: str) -> bool:
    body = text[1:] if text[:1] in "+-" else text
    if not body:
        return False
    if len(body) > 1 and body[0] == "0" and body[1] in "xXoObB":
        return bool(_GO_INT[body[1].lower()].match(body[2:]))
    if body[0] == "0":
        return bool(_GO_INT["o"].match(body))
    return body.isascii() and body.isdigit()


def _go_timestamp(text: str) -> bool:
    found = _GO_TIME.match(text)
    if found is None:
        return False
    try:
        date(int(found["y"]), int(found["m"]), int(found["d"]))
    except ValueError:
        return False
    return True


def _go(text: str, table: dict[str, str]) -> str:
    if text in table:
        return table[text]
    first = text[:1]
    if first == ".":
        return "float" if _GO_FLOAT.match(text) else STRING
    if first and first in _SIGNED:
        if _go_timestamp(text):
            return "timestamp"
        plain = text.replace("_", "")
        if _go_parse_int(plain):  # a number too large for 64 bits is still a float below
            return "int"
        if _GO_STYLE_FLOAT.match(plain):
            return "float"
    return STRING


RESOLVERS: dict[str, Callable[[str], str]] = {
    "yaml-1.2": lambda text: _by_table(YAML_12, text),
    "yaml-1.1": lambda text: _by_table(YAML_11, text),
    "go-yaml-v2": lambda text: _go(text, _GO_V2_MAP),
    "go-yaml-v3": lambda text: _go(text, _GO_V3_MAP),
}


def resolutions(text: str) -> dict[str, str]:
    """The type each reader gives a plain scalar: ``str``, ``int``, ``float``, ``bool``, ..."""
    return {name: resolve(text) for name, resolve in RESOLVERS.items()}


def needs_quotes(text: str) -> bool:
    """True when some reader would not read the plain text as that same string."""
    return any(resolve(text) != STRING for resolve in RESOLVERS.values())


def non_string_readers(text: str) -> dict[str, str]:
    """The readers (and types) that would not read the plain text as a string."""
    return {name: kind for name, kind in resolutions(text).items() if kind != STRING}
