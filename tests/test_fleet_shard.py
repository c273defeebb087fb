"""Sharding: every worker computes the same owner for every repository; adding a repository
moves only its own work; the scheduler's index and total are read as each scheduler counts."""

from __future__ import annotations

import pytest

from automator.errors import UsageError
from automator.fleet.shard import Shard, parse_shard, shard_from_scheduler, share, split

URLS = [f"https://git.example.com/acme/env-{i}.git" for i in range(200)]


def test_every_repository_belongs_to_exactly_one_shard():
    shares = split(URLS, 4)
    assert sorted(url for part in shares for url in part) == sorted(URLS)
    assert all(30 <= len(part) <= 70 for part in shares)  # a fair spread of 200 over 4


def test_adding_a_repository_moves_only_that_repository():
    before = split(URLS, 4)
    after = split([*URLS, "https://git.example.com/acme/new.git"], 4)
    moved = [(i, url) for i in range(4) for url in after[i] if url not in before[i]]
    assert [url for _, url in moved] == ["https://git.example.com/acme/new.git"]


def test_one_shard_is_everything_in_order():
    assert share(URLS, Shard(0, 1)) == URLS


@pytest.mark.parametrize(("text", "expected"), [("0/4", Shard(0, 4)), ("3/4", Shard(3, 4)), (" 0/1 ", Shard(0, 1))])
def test_shard_option(text, expected):
    assert parse_shard(text) == expected


@pytest.mark.parametrize("text", ["4/4", "1", "-1/4", "a/b", "0/0", "1/2/3", "²/4", "0/³"])
def test_bad_shard_options_say_what_is_expected(text):
    with pytest.raises(UsageError, match="I/N|0 to N-1"):
        parse_shard(text)


def test_kubernetes_indexed_jobs_count_from_zero():
    assert shard_from_scheduler({"JOB_COMPLETION_INDEX": "2", "JOB_COMPLETIONS": "5"}) == Shard(2, 5)
    assert shard_from_scheduler({"JOB_COMPLETION_INDEX": "0"}, total=3) == Shard(0, 3)
    with pytest.raises(UsageError, match="JOB_COMPLETIONS"):
        shard_from_scheduler({"JOB_COMPLETION_INDEX": "0"})


def test_gitlab_parallel_counts_from_one_and_is_converted():
    assert shard_from_scheduler({"CI_NODE_INDEX": "1", "CI_NODE_TOTAL": "3"}) == Shard(0, 3)
    assert shard_from_scheduler({"CI_NODE_INDEX": "3", "CI_NODE_TOTAL": "3"}) == Shard(2, 3)


@pytest.mark.parametrize(
    ("index", "total"), [("4", "3"), ("0", "3"), ("²", "3"), ("1", "0"), ("1", "x")],
)
def test_a_gitlab_index_out_of_range_is_named_as_gitlab_counts_it(index, total):
    with pytest.raises(UsageError) as caught:
        shard_from_scheduler({"CI_NODE_INDEX": index, "CI_NODE_TOTAL": total})
    assert f"CI_NODE_INDEX {index!r}" in str(caught.value) and f"CI_NODE_TOTAL {total!r}" in str(caught.value)
    assert "1 to CI_NODE_TOTAL" in str(caught.value)


def test_no_scheduler_means_no_shard():
    assert shard_from_scheduler({}) is None


@pytest.mark.parametrize("environ", [{"JOB_COMPLETION_INDEX": "0", "JOB_COMPLETIONS": "1000000000"},
                                     {"CI_NODE_INDEX": "1", "CI_NODE_TOTAL": "1000000000"}], ids=["kubernetes", "gitlab"])
def test_a_number_of_shards_no_scheduler_runs_is_refused_before_any_hashing(environ):
    """Each repository's owner is the best of all N shards: a billion would never finish."""
    with pytest.raises(UsageError, match="at most 10000 shards"):
        parse_shard("0/1000000000")
    with pytest.raises(UsageError, match="at most 10000 shards"):
        shard_from_scheduler(environ)
    assert parse_shard("9999/10000") == Shard(9999, 10000)


HUGE = "9" * 5000  # more digits than Python reads as a number


@pytest.mark.parametrize(("read", "message"), [
    (lambda: parse_shard(f"0/{HUGE}"), "at most 10000 shards"),
    (lambda: parse_shard(f"{HUGE}/4"), "I must be 0 to N-1"),
    (lambda: shard_from_scheduler({"JOB_COMPLETION_INDEX": "0", "JOB_COMPLETIONS": HUGE}), "at most 10000 shards"),
    (lambda: shard_from_scheduler({"CI_NODE_INDEX": HUGE, "CI_NODE_TOTAL": "3"}), "1 to CI_NODE_TOTAL"),
    (lambda: shard_from_scheduler({"CI_NODE_INDEX": "1", "CI_NODE_TOTAL": HUGE}), "at most 10000 shards"),
], ids=["total", "index", "kubernetes", "gitlab-index", "gitlab-total"])
def test_a_number_too_long_to_read_is_a_usage_error_not_a_crash(read, message):
    with pytest.raises(UsageError, match=message):
        read()
    assert parse_shard("00003/0004") == Shard(3, 4)  # leading zeros are still read
