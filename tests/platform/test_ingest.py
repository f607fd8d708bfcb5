"""Node ingest: all rows or none, no personal data, no values in messages, idempotent."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from samenbeeld.platform import ingest_files
from samenbeeld.platform.errors import InvalidInputError
from samenbeeld.platform.ingest import IngestError, RowProblem, ingest_file
from samenbeeld.platform.models.node import (
    District,
    Event,
    IngestBatch,
    SentimentDaily,
    WeeklyCount,
)

HEADER = (
    "kind,code,population,week_start,district_code,category,online_driven,source_type,count,"
    "event_date,event_type,visitors,incidents,day,topic,score,volume"
).split(",")
MODELS = (District, WeeklyCount, Event, SentimentDaily, IngestBatch)

DISTRICT = {"kind": "district", "code": "WK075801", "population": "12000"}
DISTRICT_2 = {"kind": "district", "code": "WK075802", "population": "8000"}
WEEKLY = {
    "kind": "weekly_count",
    "week_start": "2024-01-15",
    "district_code": "WK075801",
    "category": "youth_safety",
    "online_driven": "true",
    "source_type": "police",
    "count": "12",
}
EVENT = {
    "kind": "event",
    "event_date": "2024-04-27",
    "district_code": "WK075802",
    "event_type": "kings_day",
    "visitors": "15000",
    "incidents": "4",
}
SENTIMENT = {
    "kind": "sentiment",
    "day": "2024-01-16",
    "topic": "public_order",
    "score": "-0.25",
    "volume": "340",
}


def csv_text(*rows: dict[str, str], header: list[str] = HEADER) -> str:
    """A CSV file of rows under header; absent columns are empty cells."""
    lines = [",".join(header)] + [",".join(row.get(name, "") for name in header) for row in rows]
    return "\n".join(lines) + "\n"


def with_base(row: dict[str, str]) -> str:
    """Good district (line 2) and weekly (line 3) rows, then row on line 4."""
    return csv_text(DISTRICT, WEEKLY, row)


def json_records(*records: object) -> str:
    """A JSON file {"records": [...]}."""
    return json.dumps({"records": list(records)})


def counts(session) -> dict[str, int]:
    """Rows per node table."""
    return {m.__tablename__: session.scalar(select(func.count()).select_from(m)) for m in MODELS}


EMPTY = dict.fromkeys([m.__tablename__ for m in MODELS], 0)


def write(tmp_path, name: str, content: str | bytes):
    """Write content to tmp_path/name and return the path."""
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def weekly(**changes: str) -> dict[str, str]:
    """WEEKLY with changes."""
    return {**WEEKLY, **changes}


BAD_INPUTS = [
    # (id, file name, content, where, field-and-reason fragment)
    (
        "not-monday",
        "a.csv",
        with_base(weekly(week_start="2024-01-16")),
        "line 4",
        "week_start: must be a Monday",
    ),
    (
        "bad-date",
        "a.csv",
        with_base(weekly(week_start="2024-13-01")),
        "line 4",
        "week_start: Not a valid date",
    ),
    (
        "date-before-2000",
        "a.csv",
        with_base(weekly(week_start="1999-01-04")),
        "line 4",
        "week_start: must be between 2000-01-01",
    ),
    (
        "date-far-future",
        "a.csv",
        with_base(weekly(week_start="2099-01-05")),
        "line 4",
        "week_start: must be between",
    ),
    (
        "unknown-category",
        "a.csv",
        with_base(weekly(category="arson")),
        "line 4",
        "category: Must be one of",
    ),
    (
        "unknown-source",
        "a.csv",
        with_base(weekly(source_type="tv")),
        "line 4",
        "source_type: Must be one of",
    ),
    (
        "bad-boolean",
        "a.csv",
        with_base(weekly(online_driven="maybe")),
        "line 4",
        "online_driven: Not a valid boolean",
    ),
    (
        "negative-count",
        "a.csv",
        with_base(weekly(count="-1")),
        "line 4",
        "count: must be between 0 and 100000",
    ),
    (
        "count-too-large",
        "a.csv",
        with_base(weekly(count="100001")),
        "line 4",
        "count: must be between",
    ),
    (
        "fractional-count",
        "a.csv",
        with_base(weekly(count="1.5")),
        "line 4",
        "count: Not a valid integer",
    ),
    ("missing-count", "a.csv", with_base(weekly(count="")), "line 4", "count: Missing data"),
    (
        "malformed-district",
        "a.csv",
        with_base(weekly(district_code="WK75801")),
        "line 4",
        "district_code: must be WK followed by 6 digits",
    ),
    (
        "unknown-district",
        "a.csv",
        with_base(weekly(district_code="WK075899")),
        "line 4",
        "district_code: unknown district",
    ),
    (
        "other-municipality",
        "a.csv",
        csv_text(DISTRICT, WEEKLY, {**DISTRICT, "code": "WK036301"}),
        "line 4",
        "code: district of another municipality",
    ),
    ("missing-kind", "a.csv", with_base(weekly(kind="")), "line 4", "kind: missing"),
    ("unknown-kind", "a.csv", with_base(weekly(kind="burglary")), "line 4", "kind: must be one of"),
    (
        "field-of-other-kind",
        "a.csv",
        with_base(weekly(visitors="10")),
        "line 4",
        "visitors: unknown field for kind weekly_count",
    ),
    (
        "unknown-column",
        "a.csv",
        csv_text(DISTRICT, WEEKLY, header=[*HEADER, "note"]),
        "line 1",
        "note: unknown field",
    ),
    (
        "duplicate-column",
        "a.csv",
        csv_text(DISTRICT, header=[*HEADER, "count"]),
        "line 1",
        "count: duplicate column",
    ),
    (
        "too-many-cells",
        "a.csv",
        with_base(DISTRICT_2).rstrip("\n") + ",extra\n",
        "line 4",
        "has 18 values but the header has 17",
    ),
    (
        "visitors-too-large",
        "a.csv",
        csv_text(DISTRICT, DISTRICT_2, {**EVENT, "visitors": "2000001"}),
        "line 4",
        "visitors: must be between",
    ),
    (
        "unknown-event-type",
        "a.csv",
        csv_text(DISTRICT, DISTRICT_2, {**EVENT, "event_type": "rave"}),
        "line 4",
        "event_type: Must be one of",
    ),
    (
        "score-out-of-range",
        "a.csv",
        with_base({**SENTIMENT, "score": "1.5"}),
        "line 4",
        "score: must be between -1 and 1",
    ),
    (
        "score-nan",
        "a.csv",
        with_base({**SENTIMENT, "score": "nan"}),
        "line 4",
        "score: Special numeric values",
    ),
    (
        "unknown-topic",
        "a.csv",
        with_base({**SENTIMENT, "topic": "weather"}),
        "line 4",
        "topic: Must be one of",
    ),
    (
        "negative-population",
        "a.csv",
        with_base({**DISTRICT_2, "population": "-5"}),
        "line 4",
        "population: must be between",
    ),
    (
        "duplicate-key",
        "a.csv",
        with_base(weekly(count="13")),
        "line 4",
        "week_start/district_code/category/online_driven/source_type: duplicate of line 3",
    ),
    (
        "email-in-unknown-column",
        "a.csv",
        csv_text(
            DISTRICT,
            WEEKLY,
            weekly(week_start="2024-01-22", note="jan@example.nl"),
            header=[*HEADER, "note"],
        ),
        "line 4",
        "note: looks like an e-mail address",
    ),
    (
        "phone-in-district",
        "a.csv",
        with_base(weekly(district_code="06-12345678")),
        "line 4",
        "district_code: looks like a phone number",
    ),
    (
        "name-in-category",
        "a.csv",
        with_base(weekly(category="dhr. Jansen")),
        "line 4",
        "category: looks like a person's name",
    ),
    (
        "bsn-in-kind",
        "a.csv",
        with_base(weekly(kind="111222333")),
        "line 4",
        "kind: looks like a citizen service number",
    ),
    (
        "plate-in-source",
        "a.csv",
        with_base(weekly(source_type="AB-12-CD")),
        "line 4",
        "source_type: looks like a licence plate",
    ),
    ("empty-file", "a.csv", "", "file", "the file is empty"),
    ("header-only", "a.csv", csv_text(), "file", "the file has no data rows"),
    (
        "not-utf8",
        "a.csv",
        csv_text(DISTRICT, WEEKLY).encode() + b"district,WK07580\xff,1\n",
        "line 4",
        "not valid UTF-8",
    ),
    (
        "unterminated-quote",
        "a.csv",
        with_base(DISTRICT_2) + '"district,WK075803\n',
        "line 5",
        "malformed CSV",
    ),
    ("unsupported-extension", "a.xlsx", csv_text(DISTRICT), "file", "unsupported file type"),
    ("malformed-json", "a.json", '[\n{"kind": "district",\n', "line 3", "malformed JSON"),
    (
        "json-not-a-list",
        "a.json",
        json.dumps({"rows": []}),
        "file",
        "JSON must be a list of objects",
    ),
    ("json-empty-list", "a.json", "[]", "file", "the file has no data rows"),
    (
        "json-record-not-object",
        "a.json",
        json.dumps([DISTRICT, "district"]),
        "record 2",
        "must be an object",
    ),
    (
        "json-bool-count",
        "a.json",
        json_records(DISTRICT, {**WEEKLY, "count": True}),
        "record 2",
        "count: Not a valid integer",
    ),
    (
        "json-float-count",
        "a.json",
        json_records(DISTRICT, {**WEEKLY, "count": 2.5}),
        "record 2",
        "count: Not a valid integer",
    ),
    (
        "json-null-field",
        "a.json",
        json_records(DISTRICT, {**WEEKLY, "category": None}),
        "record 2",
        "category: Field may not be null",
    ),
    (
        "json-nested-phone",
        "a.json",
        json_records(DISTRICT, {**WEEKLY, "note": {"x": "06-12345678"}}),
        "record 2",
        "note: looks like a phone number",
    ),
    (
        "json-iban",
        "a.json",
        json_records({**DISTRICT, "account": "NL91ABNA0417164300"}),
        "record 1",
        "account: looks like a bank account number",
    ),
    (
        "json-handle-as-field-name",
        "a.json",
        json_records({**DISTRICT, "@jansen": 1}),
        "record 1",
        "(name withheld): field name looks like a social-media handle",
    ),
]
PERSONAL_VALUES = (
    "jan@example.nl",
    "06-12345678",
    "dhr. Jansen",
    "111222333",
    "AB-12-CD",
    "NL91ABNA0417164300",
    "@jansen",
)


@pytest.mark.parametrize(
    ("name", "content", "where", "fragment"),
    [case[1:] for case in BAD_INPUTS],
    ids=[case[0] for case in BAD_INPUTS],
)
def test_bad_input_loads_nothing_and_names_line_and_reason(
    node_session, tmp_path, name, content, where, fragment
):
    path = write(tmp_path, name, content)
    with pytest.raises(IngestError) as caught:
        ingest_file(node_session, path)
    message = str(caught.value)
    assert isinstance(caught.value, InvalidInputError)
    assert f"{where}, field {fragment}" in message or f"{where}: {fragment}" in message
    assert counts(node_session) == EMPTY
    assert not any(value in message for value in PERSONAL_VALUES)


def test_bad_input_cases_are_many_and_distinct():
    assert len({case[0] for case in BAD_INPUTS}) == len(BAD_INPUTS) >= 30


def test_file_over_50_mb_is_refused_without_reading_it(node_session, tmp_path):
    path = tmp_path / "big.csv"
    with path.open("wb") as handle:
        handle.truncate(ingest_files.MAX_FILE_BYTES + 1)
    with pytest.raises(IngestError, match="larger than 50 MB"):
        ingest_file(node_session, path)
    assert counts(node_session) == EMPTY


def test_every_bad_row_is_reported(node_session, tmp_path):
    content = csv_text(DISTRICT, weekly(count="x"), WEEKLY, {**SENTIMENT, "topic": "x"}, weekly())
    with pytest.raises(IngestError) as caught:
        ingest_file(node_session, write(tmp_path, "a.csv", content))
    assert caught.value.problems == [
        RowProblem(3, "count", "Not a valid integer."),
        RowProblem(5, "topic", caught.value.problems[1].reason),
        RowProblem(
            6,
            "week_start/district_code/category/online_driven/source_type",
            "duplicate of line 4 (same weekly_count key)",
        ),
    ]
    assert str(caught.value).count("\n") == 3
    assert counts(node_session) == EMPTY


def test_csv_loads_every_kind(node_session, tmp_path):
    content = csv_text(DISTRICT, DISTRICT_2, WEEKLY, weekly(online_driven="0"), EVENT, SENTIMENT)
    report = ingest_file(node_session, write(tmp_path, "a.csv", content))
    assert report.inserted == {"district": 2, "weekly_count": 2, "event": 1, "sentiment": 1}
    assert not report.already_loaded
    assert report.summary().startswith("loaded 6 rows (district 2, weekly_count 2, event 1")
    assert counts(node_session) == {**dict.fromkeys(EMPTY, 1), "district": 2, "weekly_count": 2}
    stored = node_session.scalars(select(WeeklyCount).order_by(WeeklyCount.online_driven)).all()
    assert [(w.online_driven, w.count) for w in stored] == [(False, 12), (True, 12)]
    assert node_session.scalar(select(SentimentDaily.score)) == pytest.approx(-0.25)


@pytest.mark.parametrize("wrap", [list, lambda records: {"records": records}])
def test_json_loads_records(node_session, tmp_path, wrap):
    records = [
        {"kind": "district", "code": "WK075801", "population": 12000},
        {**WEEKLY, "online_driven": False, "count": 7},
        {**SENTIMENT, "score": 0.5, "volume": 10},
    ]
    report = ingest_file(node_session, write(tmp_path, "a.json", json.dumps(wrap(records))))
    assert report.inserted == {"district": 1, "weekly_count": 1, "sentiment": 1}
    assert node_session.scalar(select(WeeklyCount.count)) == 7
    batch = node_session.scalars(select(IngestBatch)).one()
    assert (batch.kind, batch.rows, len(batch.sha256)) == ("mixed", 3, 64)


def test_loading_the_same_file_twice_changes_nothing(node_session, tmp_path):
    path = write(tmp_path, "a.csv", csv_text(DISTRICT, WEEKLY))
    ingest_file(node_session, path)
    before = counts(node_session)
    report = ingest_file(node_session, path)
    assert report.already_loaded
    assert report.total_inserted == 0
    assert "already loaded; 0 rows inserted" in report.summary()
    assert counts(node_session) == before


def test_rows_identical_to_stored_ones_are_skipped(node_session, tmp_path):
    ingest_file(node_session, write(tmp_path, "a.csv", csv_text(DISTRICT, WEEKLY)))
    report = ingest_file(
        node_session, write(tmp_path, "b.csv", csv_text(DISTRICT, WEEKLY, SENTIMENT))
    )
    assert report.inserted == {"sentiment": 1}
    assert report.unchanged == {"district": 1, "weekly_count": 1}
    assert "2 rows identical to stored rows skipped" in report.summary()
    assert counts(node_session)["weekly_count"] == 1


def test_a_district_stored_earlier_may_be_referenced(node_session, tmp_path):
    ingest_file(node_session, write(tmp_path, "a.csv", csv_text(DISTRICT)))
    report = ingest_file(node_session, write(tmp_path, "b.csv", csv_text(WEEKLY)))
    assert report.inserted == {"weekly_count": 1}


def test_a_conflicting_correction_is_refused(node_session, tmp_path):
    ingest_file(node_session, write(tmp_path, "a.csv", csv_text(DISTRICT, WEEKLY)))
    before = counts(node_session)
    with pytest.raises(IngestError) as caught:
        ingest_file(node_session, write(tmp_path, "b.csv", csv_text(SENTIMENT, weekly(count="99"))))
    assert "line 3, field week_start/district_code" in str(caught.value)
    assert "corrections are not silently overwritten" in str(caught.value)
    assert "99" not in str(caught.value)
    assert counts(node_session) == before
    assert node_session.scalar(select(WeeklyCount.count)) == 12


def test_districts_of_another_municipality_than_stored_are_refused(node_session, tmp_path):
    ingest_file(node_session, write(tmp_path, "a.csv", csv_text(DISTRICT)))
    with pytest.raises(IngestError, match="line 2, field code: district of another"):
        ingest_file(
            node_session, write(tmp_path, "b.csv", csv_text({**DISTRICT, "code": "WK036301"}))
        )


def test_ingest_flushes_but_leaves_the_transaction_to_the_caller(node_session, tmp_path):
    ingest_file(node_session, write(tmp_path, "a.csv", csv_text(DISTRICT, WEEKLY)))
    node_session.rollback()
    assert counts(node_session) == EMPTY


def test_byte_order_mark_and_blank_lines_are_accepted(node_session, tmp_path):
    content = "\ufeff" + csv_text(DISTRICT).replace("\n", "\n\n", 1)
    report = ingest_file(node_session, write(tmp_path, "a.csv", content))
    assert report.inserted == {"district": 1}


def test_dates_may_lie_up_to_a_year_after_today(node_session, tmp_path):
    today = dt.date(2024, 1, 1)
    fine = csv_text(DISTRICT, weekly(week_start="2024-12-30"))
    assert ingest_file(node_session, write(tmp_path, "a.csv", fine), today=today).inserted
    late = csv_text(weekly(week_start="2025-01-06"))
    with pytest.raises(IngestError, match="line 2, field week_start: must be between 2000-01-01"):
        ingest_file(node_session, write(tmp_path, "b.csv", late), today=today)


def test_districts_of_another_municipality_than_the_node_are_refused(node_session, tmp_path):
    path = write(tmp_path, "breda.csv", csv_text(DISTRICT, WEEKLY))
    with pytest.raises(IngestError, match="line 2, field code: district of another"):
        ingest_file(node_session, path, municipality="GM0363")
    assert counts(node_session) == EMPTY
    assert ingest_file(node_session, path, municipality="GM0758").inserted["weekly_count"] == 1
