"""Blocking by key rarity on real PostgreSQL: the key counts it weighs keys by stay
true as profiles come and change, and a rare shared key beats many common ones."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from matching import build_profile, query_keys, search_keys
from service.db import set_context
from service.indexing import search
from service.indexing.service import index_subject
from tests.conftest import AgencyUsers, Servers
from tests.principals import principal_of


@pytest.fixture
def conn(servers: Servers, agency: AgencyUsers) -> Iterator[psycopg.Connection[Any]]:
    """A service-role connection acting as the agency's caseworker, rolled back after."""
    me = principal_of(servers.app_url, agency.caseworker)
    with (
        psycopg.connect(servers.app_url) as connection,
        connection.transaction(force_rollback=True),
    ):
        set_context(connection, me)
        yield connection


def _store(conn: psycopg.Connection[Any], agency: AgencyUsers, person: dict[str, Any]) -> uuid.UUID:
    subject = uuid.uuid4()
    index_subject(
        conn,
        subject_id=subject,
        subject_kind="case",
        agency_id=agency.id,
        ref=str(subject),
        person=person,
    )
    return subject


def _counts(conn: psycopg.Connection[Any], agency: AgencyUsers) -> dict[str, int]:
    rows = conn.execute(
        "SELECT key, df FROM match_key_stats WHERE agency_id = %s AND df > 0", (agency.id,)
    ).fetchall()
    return {key: df for key, df in rows}


def _true_counts(conn: psycopg.Connection[Any], agency: AgencyUsers) -> dict[str, int]:
    rows = conn.execute(
        "SELECT key, count(*) FROM match_keys WHERE agency_id = %s GROUP BY key", (agency.id,)
    ).fetchall()
    profiles = conn.execute(
        "SELECT count(*) FROM match_profiles WHERE agency_id = %s", (agency.id,)
    ).fetchone()
    assert profiles is not None
    return {**{key: n for key, n in rows}, "*": profiles[0]}


def test_key_counts_follow_profiles_as_they_are_added_and_changed(
    conn: psycopg.Connection[Any], agency: AgencyUsers
) -> None:
    before = _counts(conn, agency)
    first = _store(conn, agency, {"names": ["Ahmed Mansour"], "birth_date": "1985-03-11"})
    _store(conn, agency, {"names": ["Ahmed Karimi"], "birth_date": "1985"})
    after = _counts(conn, agency)
    assert after["*"] == before.get("*", 0) + 2
    assert after["tr:ahmed"] == before.get("tr:ahmed", 0) + 2
    assert after == _true_counts(conn, agency)

    # the first person's name is corrected: its old keys are counted down, not left behind
    index_subject(
        conn,
        subject_id=first,
        subject_kind="case",
        agency_id=agency.id,
        ref=str(first),
        person={"names": ["Ahmad Mansouri"], "birth_date": "1986-03-11"},
    )
    changed = _counts(conn, agency)
    assert changed["*"] == after["*"]
    assert changed["tr:ahmed"] == after["tr:ahmed"] - 1
    assert changed.get("by:1985", 0) == after["by:1985"] - 1
    assert changed == _true_counts(conn, agency)
    # its postings are its new keys, none of the old ones left behind
    assert _postings(conn, first) == _stored_keys(conn, first)
    assert "tr:ahmed" not in _postings(conn, first)


def _postings(conn: psycopg.Connection[Any], subject: uuid.UUID) -> set[str]:
    rows = conn.execute("SELECT key FROM match_keys WHERE subject_id = %s", (subject,)).fetchall()
    return {key for (key,) in rows}


def _stored_keys(conn: psycopg.Connection[Any], subject: uuid.UUID) -> set[str]:
    row = conn.execute(
        "SELECT keys FROM match_profiles WHERE subject_id = %s", (subject,)
    ).fetchone()
    return set(row[0]) if row is not None else set()


def test_a_deleted_profile_takes_its_postings_with_it(
    conn: psycopg.Connection[Any], agency: AgencyUsers
) -> None:
    # postings have no foreign key (migration 0023): a trigger removes them instead
    gone = _store(conn, agency, {"names": ["Ahmed Mansour"], "birth_date": "1985-03-11"})
    kept = _store(conn, agency, {"names": ["Ahmed Mansour"], "birth_date": "1985-03-11"})
    assert _postings(conn, gone) == _stored_keys(conn, gone) != set()
    conn.execute("DELETE FROM match_profiles WHERE subject_id = %s", (gone,))
    assert _postings(conn, gone) == set()
    assert _postings(conn, kept) == _stored_keys(conn, kept) != set()


def test_a_rare_shared_name_part_outranks_many_common_shared_keys(
    conn: psycopg.Connection[Any], agency: AgencyUsers
) -> None:
    # forty people share the common parts and birth year of the query; one shares the
    # rare family name but was recorded a year off
    crowd = [
        _store(conn, agency, {"names": [f"Mohammed Ali {suffix}"], "birth_date": "1990-01-01"})
        for suffix in ("Hassan", "Omar", "Yusuf", "Khalid", "Tariq") * 8
    ]
    target = _store(conn, agency, {"names": ["Mohammed Zarqawiyan"], "birth_date": "1991-06-30"})
    query = build_profile({"names": ["Mohammed Ali Zarqawiyan"], "birth_date": "1990-06-30"})
    found = search.block_candidates(conn, query, exclude=None)
    assert found[0] == target
    assert set(crowd) <= set(found)


def test_keys_too_common_to_fetch_are_left_out_unless_nothing_else_is_shared() -> None:
    counts = {"*": 1_000_000, "sk:mhmd": 90_000, "sk:l": 40_000, "sk:zrqn": 3, "by:1990": 17_000}
    weights = search.key_weights(counts, ["sk:mhmd", "sk:l", "sk:zrqn", "by:1990", "tr:x"])
    assert set(weights) == {"sk:zrqn"}
    only_common = search.key_weights(counts, ["sk:mhmd", "sk:l", "by:1990"])
    assert list(only_common) == ["by:1990", "sk:l", "sk:mhmd"]
    assert only_common["by:1990"] > only_common["sk:l"] > only_common["sk:mhmd"]


def test_a_query_tries_each_name_skeleton_with_the_neighbouring_birth_years() -> None:
    stored = search_keys(build_profile({"names": ["Zarqawiyan"], "birth_date": "1991-06-30"}))
    (skeleton,) = [k[3:] for k in stored if k.startswith("sk:")]
    assert {k for k in stored if k.startswith("sb:")} == {f"sb:{skeleton}:1991"}
    query = query_keys(build_profile({"names": ["Zarqawiyan"], "birth_date": "1990"}))
    assert {k for k in query if k.startswith("sb:")} == {
        f"sb:{skeleton}:{year}" for year in (1989, 1990, 1991)
    }
