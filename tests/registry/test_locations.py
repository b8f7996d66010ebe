"""One table of location-coverage cases, and every caller checked against it.

The question "does this declared location cover this file / table.column?" has
one home (:mod:`rgpd.registry.locations`); reconcile, the findings filter, the
reports' index and the requests call it. Each case below is asked of every one
of them, so a caller that grows its own matcher again fails here.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rgpd.registry.locations import (
    LocationIndex,
    Place,
    covering,
    path_covered,
    root_covers,
    table_covered,
)
from rgpd.registry.model import Activity, DataLocation
from rgpd.requests.discovery import location_activities, location_covers
from rgpd.requests.discovery.database import declared_tables
from rgpd.scan.findings import path_matches as findings_filter
from rgpd.scan.reconcile import FoundItem, location_matches

# (pattern, path, root, covered)
FILE_CASES: list[tuple[str, str, str | None, bool]] = [
    # the case: ``*`` is one folder, so 2024/ is one folder too many
    ("partage/*/paie.xlsx", "/srv/partage/rh/2024/paie.xlsx", "/srv/partage", False),
    ("partage/*/paie.xlsx", "/srv/partage/rh/paie.xlsx", "/srv/partage", True),
    ("partage/**/paie.xlsx", "/srv/partage/rh/2024/paie.xlsx", "/srv/partage", True),
    ("partage/**/paie.xlsx", "/srv/partage/paie.xlsx", "/srv/partage", True),  # ** = 0 folders
    ("**/paie.xlsx", "/srv/partage/rh/2024/paie.xlsx", "/srv/partage", True),
    ("**", "/srv/partage/x.pdf", "/srv/partage", True),
    ("rh/*", "/srv/partage/rh/x.pdf", "/srv/partage", True),  # relative to the root
    ("rh/*", "/srv/partage/rh/sub/x.pdf", "/srv/partage", False),
    ("rh/**", "/srv/partage/rh/sub/x.pdf", "/srv/partage", True),
    ("rh/**", "/srv/partage/rh-old/x.pdf", "/srv/partage", False),
    ("rh/**", "/srv/partage/rh", "/srv/partage", False),  # below the folder, not itself
    ("rh", "/srv/partage/rh", "/srv/partage", True),  # a plain folder: itself and below
    ("rh", "/srv/partage/rh/a/b.pdf", "/srv/partage", True),
    ("rh", "/srv/partage/rhx/b.pdf", "/srv/partage", False),
    ("rh/**", "/mnt/autre/rh/x.pdf", "/srv/partage", False),  # outside the root
    ("rh/**", "/srv/partage/rh/x.pdf", None, False),  # relative, no root known
    ("partage/rh/**", "/srv/partage/rh/x.pdf", "/srv", True),  # root = the share's parent
    # absolute patterns
    ("/srv/partage/rh/**", "/srv/partage/rh/x.pdf", None, True),
    ("/srv/partage/rh/**", "/mnt/srv/partage/rh/x.pdf", "/mnt", False),
    ("/srv/partage/rh/*.pdf", "/srv/partage/rh/a/x.pdf", None, False),
    ("/srv/partage/rh/paie-202?.xlsx", "/srv/partage/rh/paie-2024.xlsx", None, True),
    ("/srv/partage/rh/[!p]*.xlsx", "/srv/partage/rh/paie.xlsx", None, False),
    ("/srv/partage/rh/[!x]*.xlsx", "/srv/partage/rh/paie.xlsx", None, True),
    # trailing slashes, ./ and repeated separators
    ("rh/", "/srv/partage/rh/x.pdf", "/srv/partage/", True),
    ("./rh//", "/srv/partage/rh/x.pdf", "/srv/partage", True),
    ("/srv/partage/rh/", "/srv/partage//rh/x.pdf", None, True),
    # archive members are covered by what covers the archive
    ("rh/*.zip", "/srv/partage/rh/a.zip!inner/b.csv", "/srv/partage", True),
    ("rh/**", "/srv/partage/rh/a.zip!inner/b.csv", "/srv/partage", True),
    # case: exact on POSIX, ignored for Windows-style paths
    ("RH/**", "/srv/partage/rh/x.pdf", "/srv/partage", False),
    ("C:\\Partage\\RH\\**", "c:/partage/rh/x.pdf", None, True),
    ("C:/Partage/RH/*", "C:\\PARTAGE\\rh\\x.pdf", None, True),
    ("C:/Partage/RH/*", "C:\\Partage\\RH\\a\\x.pdf", None, False),
    ("rh\\**", "\\\\srv\\Partage\\RH\\x.pdf", "\\\\srv\\partage", True),
    ("partage/rh/**", "\\\\srv\\partage\\rh\\x.pdf", "\\\\srv\\partage", True),
    ("//srv/partage/rh", "\\\\srv\\partage\\rh\\x.pdf", None, True),
    ("/srv/partage/rh", "\\\\srv\\partage\\rh\\x.pdf", None, False),  # UNC is not /srv
    # a folder whose name looks like a glob is written as a character class
    ("/srv/[[]2019]/**", "/srv/[2019]/x.pdf", None, True),
    ("/", "/srv/x.pdf", None, True),
]


def _act(ref: str, path: str) -> Activity:
    return Activity(ref=ref, name=ref, data_locations=[DataLocation(kind="files", path=path)])


@pytest.mark.parametrize(("pattern", "path", "root", "covered"), FILE_CASES)
def test_files_table(pattern: str, path: str, root: str | None, covered: bool) -> None:
    assert path_covered(pattern, path, root) is covered


@pytest.mark.parametrize(("pattern", "path", "root", "covered"), FILE_CASES)
def test_every_caller_agrees_on_files(
    pattern: str, path: str, root: str | None, covered: bool
) -> None:
    loc = DataLocation(kind="files", path=pattern)
    # reconcile (undeclared data, NIR, special categories, retention)
    item = FoundItem(
        kind="member" if "!" in path else "file",
        uri=path,
        entity_type="PERSON",
        root=root,
        path=path.split("!", 1)[0],
    )
    assert location_matches(loc, item) is covered
    # ``findings list --path`` reads the pattern with the same rules
    assert findings_filter(path, pattern, root) is covered
    # the reports' index (one location: found or not)
    assert (LocationIndex([_act("a", pattern)]).match(path, root) is not None) is covered
    assert bool(covering([_act("a", pattern)], Place.file(path, root))) is covered
    # the requests wing: discovery, rescan and the erasure plan ask location_covers
    assert location_covers(pattern, path, root) is covered
    assert (location_activities([_act("a", pattern)], path, root) == ["a"]) is covered


# (location, source uri, connection/root, source kind, covered)
DB_CASES: list[tuple[DataLocation, str, str, str, bool]] = [
    (
        DataLocation(kind="database", connection="rh"),
        "pg://h/db#public.agents.nir",
        "rh",
        "column",
        True,
    ),
    (
        DataLocation(kind="database", connection="rh"),
        "pg://h/db#public.agents.nir",
        "paie",
        "column",
        False,
    ),
    (
        DataLocation(kind="database", connection="rh", table="agents"),
        "pg://h/db#public.agents.nir",
        "rh",
        "column",
        True,
    ),
    (
        DataLocation(kind="database", connection="rh", table="public.AGENTS"),
        "pg://h/db#public.agents.nir",
        "rh",
        "column",
        True,
    ),
    (
        DataLocation(kind="database", connection="rh", table="other.agents"),
        "pg://h/db#public.agents.nir",
        "rh",
        "column",
        False,
    ),
    (
        DataLocation(kind="database", connection="rh", table="agents"),
        "sqlite:///x.db#agents.nir",  # no schema
        "rh",
        "column",
        True,
    ),
    (
        DataLocation(kind="database", connection="rh", table="agent*"),
        "pg://h/db#public.agents_2024.nir",
        "rh",
        "column",
        True,
    ),
    (
        DataLocation(kind="database", connection="rh", table="*"),
        "pg://h/db#public.agents.nir",
        "rh",
        "column",
        True,  # "*" against the bare table name; it does not cross the "."
    ),
    (
        DataLocation(kind="database", connection="rh", table="agents", columns=["NIR"]),
        "pg://h/db#public.agents.nir",
        "rh",
        "column",
        True,
    ),
    (
        DataLocation(kind="database", connection="rh", table="agents", columns=["email"]),
        "pg://h/db#public.agents.nir",
        "rh",
        "column",
        False,
    ),
    (
        DataLocation(kind="database", connection="rh", table="agents", columns=["email"]),
        "pg://h/db#public.agents",
        "rh",
        "table",
        True,  # the table itself holds the declared column
    ),
    (DataLocation(kind="files", path="**"), "pg://h/db#public.agents.nir", "rh", "column", False),
]


@pytest.mark.parametrize(("loc", "uri", "conn", "kind", "covered"), DB_CASES)
def test_database_table_and_callers(
    loc: DataLocation, uri: str, conn: str, kind: str, covered: bool
) -> None:
    place = Place.from_source(uri, conn, kind)
    item = FoundItem(
        kind=kind,
        uri=uri,
        entity_type="FR_NIR",
        root=conn,
        schema=place.schema,
        table=place.table,
        column=place.column,
    )
    assert location_matches(loc, item) is covered
    act = Activity(ref="a", name="a", data_locations=[loc])
    assert (LocationIndex([act]).match(uri, conn, kind) is not None) is covered
    # discovery searches the declared tables of the connection (whole tables: the
    # declared columns narrow which columns count, not which tables are searched)
    if not loc.columns and place.table:
        searched = (
            loc.kind == "database"
            and loc.connection == conn
            and declared_tables(loc.table, [place.table.lower()], place.schema) != []
        )
        assert searched is covered


def test_table_globs_stay_in_one_name() -> None:
    assert table_covered("public.*", "public", "agents")
    assert not table_covered("p*", "public", "agents")  # only "public.agents" starts with p
    assert table_covered("**", "public", "agents")
    assert table_covered(None, None, None)


@pytest.mark.parametrize(
    ("pattern", "root", "covered"),
    [
        ("partage/enfance/**", "/mnt/partage", True),
        ("archives/enfance/**", "/mnt/partage", False),
        ("**/*.ods", "/mnt/partage", True),
        ("/mnt/partage/rh/**", "/mnt/partage", True),
        ("/mnt/partage/**", "/mnt/partage/rh", True),
        ("/mnt/autre/**", "/mnt/partage", False),
        ("C:/Partage/**", "c:\\partage", True),
    ],
)
def test_root_covers(pattern: str, root: str, covered: bool) -> None:
    assert root_covers(pattern, root) is covered


def test_index_first_declared_wins_and_agrees_with_covering() -> None:
    acts = [_act("a", "rh/**/*.pdf"), _act("b", "rh/**"), _act("c", "/srv/partage/rh/*")]
    index = LocationIndex(acts)
    for path, want in [
        ("/srv/partage/rh/x.pdf", "a"),
        ("/srv/partage/rh/x.odt", "b"),
        ("/srv/partage/rh/sub/x.odt", "b"),
        ("/srv/partage/x.odt", None),
    ]:
        m = index.match(path, "/srv/partage")
        assert (m.activity.ref if m else None) == want
        first = covering(acts, Place.file(path, "/srv/partage"))
        assert (first[0].activity.ref if first else None) == want


_NAME = st.from_regex(r"[A-Za-z0-9_é. -]{1,6}", fullmatch=True).filter(lambda s: s not in ".")
_PATTERN_PART = st.one_of(_NAME, st.sampled_from(["*", "**", "?*", "[a-m]*"]))


@given(
    parts=st.lists(_PATTERN_PART, min_size=1, max_size=4),
    path=st.lists(_NAME, min_size=1, max_size=5),
    absolute=st.booleans(),
)
def test_index_agrees_with_path_covered(parts: list[str], path: list[str], absolute: bool) -> None:
    root = "/srv/partage"
    pattern = ("/srv/partage/" if absolute else "") + "/".join(parts)
    full = root + "/" + "/".join(path)
    found = LocationIndex([_act("a", pattern)]).match(full, root) is not None
    assert found is path_covered(pattern, full, root)
