"""Flux v2 image policy markers: ``# {"$imagepolicy": "<namespace>:<name>[:tag|:name|:digest]"}``.

Flux (kyaml setters) strips the leading ``#`` characters of a line comment and reads the rest
as a JSON object of strings; the marker is the value of its ``$imagepolicy`` key. So any JSON
whitespace is accepted (``#{"$imagepolicy":"ns:app"}``, ``# { "$imagepolicy" : "ns:app" }``),
other string keys may sit beside it, and anything that is not such an object is no marker.
"""

from __future__ import annotations

import json

from automator.model import FieldKind
from automator.values import value_type

MARKER_KEY = "$imagepolicy"
SUFFIXES: dict[str, FieldKind] = {"tag": "tag", "name": "name", "digest": "digest"}


@value_type
class Marker:
    """A parsed marker: the policy it names (``namespace:name``) and the field kind it sets."""

    policy: str
    field: FieldKind
    raw: str

    @property
    def valid(self) -> bool:
        """False when the reference cannot name any ImagePolicy (not ``ns:name[:suffix]``)."""
        namespace, _, name = self.policy.partition(":")
        return bool(namespace and name) and ":" not in name


def marker_value(comment: str) -> str | None:
    """The ``$imagepolicy`` value of a line comment (``# ...``), or None when it is no marker."""
    if MARKER_KEY not in comment:
        return None
    try:
        data = json.loads(comment.lstrip("#"))
    except ValueError:
        return None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        return None
    value = data.get(MARKER_KEY)
    return value or None


def parse_marker(comment: str) -> Marker | None:
    """Parse a line comment; ``ns:name`` sets a whole image, ``:tag``/``:name``/``:digest`` a part."""
    value = marker_value(comment)
    if value is None:
        return None
    head, sep, suffix = value.rpartition(":")
    if sep and suffix in SUFFIXES and head.count(":") == 1:
        return Marker(policy=head, field=SUFFIXES[suffix], raw=value)
    return Marker(policy=value, field="image", raw=value)
