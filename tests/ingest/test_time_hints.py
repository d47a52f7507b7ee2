"""The timestamp_formats hint: the format it offers reads the times as they were written, in DuckDB too."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jejak.ingest.time_hints import suggest_time_format, times_of_messages

# How exports write a time, each with the strptime format that wrote it.
WRITTEN = [
    "%d/%m/%Y %H:%M",
    "%d-%m-%Y %H:%M:%S",
    "%m/%d/%Y %I:%M %p",
    "%d.%m.%Y",
    "%d %b %Y %H:%M",
    "%b %d, %Y",
    "%Y/%m/%d %H:%M",
    "%d/%m/%Y, %H:%M",
    # The Indonesian locale's times (Excel, Google Sheets) and WhatsApp's chat export's dates.
    "%d/%m/%Y %H.%M",
    "%d-%m-%Y %H.%M.%S",
    "%d/%m/%y %H.%M",
    "%Y-%m-%d %H.%M",
]


@settings(max_examples=200, deadline=None)
@given(
    written=st.sampled_from(WRITTEN),
    moments=st.lists(
        st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2030, 12, 31)), min_size=1, max_size=6
    ),
)
def test_the_offered_format_reads_every_time_as_it_was_meant(written: str, moments: list[dt.datetime]) -> None:
    moments = [moment.replace(second=0 if "%S" not in written else moment.second, microsecond=0) for moment in moments]
    if "%H" not in written and "%I" not in written:
        moments = [moment.replace(hour=0, minute=0, second=0) for moment in moments]
    texts = [moment.strftime(written) for moment in moments]
    hint = suggest_time_format(texts)
    assert hint is not None, texts
    order_known = any(m.day > 12 for m in moments) or written.startswith(("%Y", "%d %b", "%b"))
    if order_known or not hint.day_first_assumed:
        # Read as the file meant, by Python and by DuckDB (the importer's strptime).
        for text, moment in zip(texts, moments, strict=True):
            assert dt.datetime.strptime(text, hint.time_format) == moment
            [(read,)] = duckdb.execute("SELECT try_strptime($1, $2)", [text, hint.time_format]).fetchall()
            assert read == moment, (text, hint.time_format)
    else:  # every day and month 12 or less: day first is assumed and said
        assert hint.day_first_assumed and hint.time_format.index("%d") < hint.time_format.index("%m")


@pytest.mark.parametrize(
    "texts",
    [
        ["13/01/2026", "01/13/2026"],  # day first and month first in one file: no one format
        ["01/03/2026 09:00", "2026/03/01 09:00"],  # two shapes
        ["2026-03-01 9h00"],  # a time jejak knows no format for
        ["01/03/2026 09.00", "01/03/2026 09:00"],  # two ways of writing the time
        ["kemarin"],
    ],
)
def test_no_format_is_offered_when_none_reads_more_than_half_of_them(texts: list[str]) -> None:
    assert suggest_time_format(texts) is None


@pytest.mark.parametrize(
    ("texts", "offered", "assumed", "unread"),
    [
        # A mistyped day and a stray word among a day-first file's times: its format, naming both once.
        (
            [
                "24/11/2026 13:05",
                "31/02/2026 09:00",
                "kemarin",
                "01/12/2026 09:00",
                "31/02/2026 09:00",
                "02/12/2026 10:00",
                "03/12/2026 11:00",
            ],
            "%d/%m/%Y %H:%M",
            False,
            ("31/02/2026 09:00", "kemarin"),
        ),
        # Month first, as most of them say; the one that reads only day first is the odd one out.
        (["11/24/2026", "12/25/2026", "10/31/2026", "25/12/2026"], "%m/%d/%Y", False, ("25/12/2026",)),
        # Both ways read the same two: day first, assumed and said; the date that is none is named.
        (["01/02/2026", "03/04/2026", "31/02/2026"], "%d/%m/%Y", True, ("31/02/2026",)),
        # Two shapes: the one most times are in.
        (["2026/03/01 09:00", "01/03/2026 09:00", "2026/03/02 10:00"], "%Y/%m/%d %H:%M", False, ("01/03/2026 09:00",)),
    ],
)
def test_a_few_times_no_format_reads_do_not_hide_the_format_of_the_rest(
    texts: list[str], offered: str, assumed: bool, unread: tuple[str, ...]
) -> None:
    hint = suggest_time_format(texts)
    assert hint is not None
    assert (hint.time_format, hint.day_first_assumed, hint.unread, hint.times_looked_at) == (
        offered,
        assumed,
        unread,
        len(texts),
    )
    assert hint.example == next(text for text in texts if text not in unread)
    for text in texts:  # what it reads and what it names as unread are the times, split
        assert (text in unread) != (
            duckdb.execute("SELECT try_strptime($1, $2)", [text, offered]).fetchone() != (None,)
        )


def test_the_times_are_those_the_quarantine_messages_quote() -> None:
    messages = [
        'timestamp "01/03/2026 09:00" is not an ISO-8601 date-time (e.g. …)',
        "timestamp is missing and is not an ISO-8601 date-time",
        'timestamp "2926-03-01" is more than a day after this import: …',
        'timestamp "0001-01-01 00:00" is before 1990: a stand-in for a missing time …',  # read, but no event's
    ]
    assert times_of_messages(messages) == ["01/03/2026 09:00"]


@pytest.mark.parametrize(
    "text",
    [
        "25 Agustus 2026 09:15",
        "1 Mei 2026",
        "3 Okt 2026",
        "31 Des 2026",
        "9 Pebruari 2026",
        "7 juli 2026",
        "2 Agt 2026",
    ],
)
def test_indonesian_month_names_are_read_alike_by_python_and_duckdb(text: str) -> None:
    from jejak.ingest.validate import english_months, english_months_sql

    hint = suggest_time_format([text])
    assert hint is not None, text
    [(in_sql,)] = duckdb.execute(f"SELECT {english_months_sql('$1')}", [text]).fetchall()
    assert in_sql == english_months(text)
    [(read,)] = duckdb.execute("SELECT try_strptime($1, $2)", [in_sql, hint.time_format]).fetchall()
    assert read == dt.datetime.strptime(english_months(text), hint.time_format)
    assert (
        read.month
        == {"Agustus": 8, "Mei": 5, "Okt": 10, "Des": 12, "Pebruari": 2, "juli": 7, "Agt": 8}[text.split()[1]]
    )
