"""Finding one person's data everywhere the register says it may be.

A verified request carries the person's identifiers (sealed); discovery turns
them into searches and stores where the person's data live, so the access
package, the erasure plan, rectification and restriction all work on the same,
reviewed list. Why it is shaped this way:

* **Databases, by the register.** Only the tables the register declares for the
  activities concerned are searched, with *parameterised* equality queries
  (``col IN (:v1, :v2)``, the spellings a value is commonly stored under) on the
  columns the register names (``person_identifiers[].column``,
  ``data_locations[].columns``), the columns the database scans identified
  (``findings``) and columns whose name says what they hold. Equality on the
  stored spellings lets the database use an index on the column; every hit is
  then checked in Python against :func:`rgpd.masking.normalise`, the same
  normalisation the scanner's blind index uses.
* **Dependent rows** are followed through the foreign keys SQLAlchemy reflects
  (a child's canteen rows through the family), transitively, so an erasure can
  keep the schema's integrity and an access package misses nothing. A row of
  the *same* table (a family naming the person as its "responsable") is
  another person's row: it is not followed, and erasure keeps the person's row
  pseudonymised so that link holds.
* **Files, through the blind index**: the HMAC tokens the scans stored
  (``finding_values``) are looked up, no file is re-read. Names are indexed only
  where the detector saw them, so an optional *targeted rescan* re-reads the
  files the scans know under the declared locations and looks for the name.
* **Confidence.** A strong identifier (e-mail, NIR, IBAN, an internal number) or
  name and date of birth on the same row is ``confirmed``; a name alone, or a
  name and a date in the same file, is ``to_confirm`` and never acted on until
  the DPO confirms it (:func:`decide`).
* **Nothing in clear at rest.** The result is sealed (AES-GCM) with the request;
  only counts are stored readable. Nothing here logs a value.

The package, room by room: :mod:`~rgpd.requests.person` (the person and the
spellings of their identifiers, shared with redaction and erasure),
:mod:`.values` (values in SQL), :mod:`.database` (database search and foreign
keys), :mod:`.files` (blind index and targeted rescan), :mod:`.result` (what
was found) and :mod:`.run` (discover, store, load, decide).
"""

from rgpd.requests.discovery.database import (
    MAX_DEPTH,
    MAX_ROWS_PER_PROBE,
    UNKEYED,
    open_engine,
    referencing_rows,
    reflect,
    reverse_fks,
    row_id,
    scan_columns,
    search_database,
    tables_by_name,
)
from rgpd.requests.discovery.files import (
    MAX_RESCAN_FILES,
    file_probes,
    location_activities,
    location_covers,
    rescan_names,
    search_files,
)
from rgpd.requests.discovery.result import (
    DiscoveryResult,
    FileMatch,
    Group,
    MatchStatus,
    RowMatch,
)
from rgpd.requests.discovery.run import concerned_activities, decide, discover, load
from rgpd.requests.discovery.values import (
    CHUNK,
    as_date,
    bindable,
    chunks,
    is_date,
    is_integer,
    is_text,
    jsonable,
    key_clause,
    match_id,
    same_value,
    variants,
)
from rgpd.requests.person import (
    CONF_NAME_DOB_FILE,
    CONF_NAME_DOB_ROW,
    CONF_NAME_ONLY,
    CONF_PHONE,
    CONF_STRONG,
    KEY_ENTITIES,
    NAME_KEYS,
    STRONG_ENTITIES,
    Person,
    Probe,
    name_pattern,
    national_phone,
    person_from_submission,
    text_variants,
)

__all__ = [
    "CHUNK",
    "CONF_NAME_DOB_FILE",
    "CONF_NAME_DOB_ROW",
    "CONF_NAME_ONLY",
    "CONF_PHONE",
    "CONF_STRONG",
    "KEY_ENTITIES",
    "MAX_DEPTH",
    "MAX_RESCAN_FILES",
    "MAX_ROWS_PER_PROBE",
    "NAME_KEYS",
    "STRONG_ENTITIES",
    "UNKEYED",
    "DiscoveryResult",
    "FileMatch",
    "Group",
    "MatchStatus",
    "Person",
    "Probe",
    "RowMatch",
    "as_date",
    "bindable",
    "chunks",
    "concerned_activities",
    "decide",
    "discover",
    "file_probes",
    "is_date",
    "is_integer",
    "is_text",
    "jsonable",
    "key_clause",
    "load",
    "location_activities",
    "location_covers",
    "match_id",
    "name_pattern",
    "national_phone",
    "open_engine",
    "person_from_submission",
    "referencing_rows",
    "reflect",
    "rescan_names",
    "reverse_fks",
    "row_id",
    "same_value",
    "scan_columns",
    "search_database",
    "search_files",
    "tables_by_name",
    "text_variants",
    "variants",
]
