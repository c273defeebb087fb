"""How the registry client behaves: one small frozen value, built once at the command edge."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import field

from automator.errors import ConfigError
from automator.registry.formats import split_platform
from automator.values import value_type

DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_TAGS = 100_000
DEFAULT_PLATFORM = "linux/amd64"
DEFAULT_CONCURRENCY = 8
DEFAULT_MAX_METADATA = 200
MAX_TIMEOUT = 86_400.0  # one day: far past any registry, far below what a thread can wait for


@value_type
class RegistrySettings:
    """``timeout``: total deadline of one HTTP exchange (connect, headers, whole body), seconds;
    the retries of one request stop at 3 x it. ``max_tags``: a repository with more tags is an
    error. ``concurrency``: requests in flight per registry host. ``platform``: the image read
    in multi-platform indexes. ``insecure_registries``: hosts reached over plain HTTP."""

    timeout: float = DEFAULT_TIMEOUT
    max_tags: int = DEFAULT_MAX_TAGS
    concurrency: int = DEFAULT_CONCURRENCY
    platform: str = DEFAULT_PLATFORM
    insecure_registries: tuple[str, ...] = field(default=())
    max_metadata: int = DEFAULT_MAX_METADATA  # tags whose metadata one run may read per registry

    def __post_init__(self) -> None:
        if isinstance(self.timeout, bool) or not isinstance(self.timeout, (int, float)) \
                or not math.isfinite(self.timeout) or not 0 < self.timeout <= MAX_TIMEOUT:
            raise ConfigError(f"--registry-timeout must be a positive number of seconds up to {MAX_TIMEOUT:g} "
                              f"(one day), not {self.timeout!r}", hint="e.g. --registry-timeout 30")
        if isinstance(self.max_tags, bool) or not isinstance(self.max_tags, int) or self.max_tags < 1:
            raise ConfigError(f"--max-tags must be a whole number of at least 1, not {self.max_tags!r}")
        if isinstance(self.max_metadata, bool) or not isinstance(self.max_metadata, int) or self.max_metadata < 1:
            raise ConfigError(f"--max-metadata must be a whole number of at least 1, not {self.max_metadata!r}")
        if isinstance(self.concurrency, bool) or not isinstance(self.concurrency, int) or self.concurrency < 1:
            raise ConfigError(f"--concurrency must be at least 1, not {self.concurrency!r}")
        try:
            split_platform(self.platform)
        except ValueError as error:
            raise ConfigError(str(error), hint="e.g. --platform linux/arm64") from None
        object.__setattr__(self, "platform", self.platform.strip().lower())
        object.__setattr__(self, "insecure_registries", _hosts(self.insecure_registries))


def _hosts(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v.strip().lower() for v in values if v and v.strip()))


def positive_seconds(text: str) -> float | None:
    """A positive number of seconds up to ``MAX_TIMEOUT`` (one day) written as text
    (``--registry-timeout``); None when it is not one (a larger one would overflow the waits
    of the threads that keep the deadline)."""
    try:
        seconds = float(text)
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and 0 < seconds <= MAX_TIMEOUT else None
