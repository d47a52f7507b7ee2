"""A survey's responses (Google Forms, Typeform) imported by following what jejak says.

Google Forms in Indonesian names its time column `Stempel waktu` and each other column by its question. Imported
as it was, the refusal named no time column to map, offered nothing for the score and the comment, and told the
user to `--set "event=Order Completed"`: followed, each answer would have been an order. And its `--map` advice
wrote a question with a comma in it unquoted, which the option then cut in two.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import cast

import click
import pyarrow.parquet as pq
import pytest
from conftest import cli_project
from hypothesis import given
from hypothesis import strategies as st

from jejak.cli.main import cli
from jejak.core.vocabulary import INPUT_COLUMNS
from jejak.ingest.importer import ImportOptions
from jejak.ingest.mapping import (
    map_option_text,
    parse_event_names_option,
    parse_map_option,
    parse_set_option,
    suggested_map,
    survey_kind,
)
from jejak.ingest.removal import options_text
from jejak.segments.feedback import feeling

NPS_QUESTION = "Seberapa besar kemungkinan Anda merekomendasikan Kopi Jejak kepada teman? (0-10)"
REASON_QUESTION = "Secara keseluruhan, apa alasan utama skor Anda?"  # a comma: quoted in the advice
GOOGLE_FORMS = [
    "Stempel waktu",
    "Alamat email",
    "Nomor WhatsApp",
    NPS_QUESTION,
    REASON_QUESTION,
    "Di mana Anda biasanya membeli?",
]
ANSWERS = [
    ("24/10/2026 10:05:33", "budi@example.com", "0812-3456-7890", "9", "Kopinya enak, pengiriman cepat", "Tokopedia"),
    ("24/10/2026 11:17:02", "sari@example.com", "", "6", "Harga agak mahal", "Toko Kemang"),
    ("26/10/2026 19:02:55", "", "0813-1111-2222", "3", "Pesanan telat 5 hari", "Shopee"),
]


def test_a_google_forms_header_is_offered_its_mapping() -> None:
    read_as = ["properties"] * len(GOOGLE_FORMS)
    assert suggested_map(GOOGLE_FORMS, read_as) == {
        "Stempel waktu": "timestamp",
        "Alamat email": "email",
        "Nomor WhatsApp": "phone",
        NPS_QUESTION: "properties.score",
        REASON_QUESTION: "properties.comment",
    }  # where they bought is a question with no score or reason: offered nothing
    assert survey_kind(GOOGLE_FORMS, read_as) == "nps"


@pytest.mark.parametrize(
    ("question", "read_as", "kind"),
    [
        ("Seberapa puas Anda dengan pesanan ini? (1-5)", "properties.score", "csat"),
        ("Seberapa puas Anda dengan layanan kami?", "properties.score", "csat"),
        ("How likely are you to recommend us to a friend?", "properties.score", "nps"),
        ("Beri nilai 0 sampai 10", "properties.score", "nps"),  # a scale alone: no question mark needed
        ("Apa yang bisa kami tingkatkan?", "properties.comment", None),
        ("Any other feedback?", "properties.comment", None),
        ("Apakah Anda akan membeli lagi?", None, None),
        ("Nilai Pesanan", "revenue", None),  # an order's value, no question: not a score
        ("Produk 10-20 pcs", None, None),  # digits that are no scale
    ],
)
def test_a_question_is_read_for_a_score_or_a_comment(question: str, read_as: str | None, kind: str | None) -> None:
    header = ["Stempel waktu", question]
    offered = suggested_map(header, ["properties", "properties"])
    assert offered.get(question) == read_as
    assert survey_kind(header, ["properties", "properties"]) == kind


names = st.text(st.characters(codec="utf-8", exclude_characters='"\x00'), min_size=1, max_size=20).filter(
    lambda name: name.strip() == name and name != ""
)


@given(st.dictionaries(names, st.sampled_from(INPUT_COLUMNS), min_size=1, max_size=4))
def test_the_map_advice_pasted_into_a_shell_is_the_mapping(mapping: dict[str, str]) -> None:
    # What a shell gives the option from the advice's text is read back as the mapping, whatever the names hold
    # (commas, '=', quotes and dollars for the shell).
    if len({name.lower() for name in mapping}) != len(mapping):
        return  # names matched without case: one column named twice is refused, rightly
    advice = map_option_text(mapping)
    option, value = shlex.split(advice)
    assert option == "--map"
    assert parse_map_option(value) == mapping


def _write(path: Path) -> Path:
    def row(values: tuple[str, ...] | list[str]) -> str:
        return ",".join(f'"{value}"' for value in values)

    path.write_text("\n".join([row(GOOGLE_FORMS), *(row(answer) for answer in ANSWERS)]) + "\n", encoding="utf-8")
    return path


def test_following_the_refusal_gives_the_journey_map_its_feelings(tmp_path: Path) -> None:
    runner, project = cli_project(tmp_path)
    path = _write(tmp_path / "Survei Kepuasan (Jawaban) - Jawaban formulir 1.csv")
    refused = runner.invoke(cli, ["import", str(path), "--project", str(project)], env={"COLUMNS": "400"})
    said = " ".join(refused.output.split())
    assert refused.exit_code == 1, said
    assert '--set "event=Survey Answered,properties.survey=nps"' in said, said
    assert "event=Order Completed" not in said
    # The user pastes the two options the refusal gives, then the time format the next import names.
    map_advice = said.split("Its names suggest: ", 1)[1].split(" (check with --check)")[0]
    typed = [*shlex.split(map_advice), "--set", "event=Survey Answered,properties.survey=nps"]
    first = runner.invoke(cli, ["import", str(path), *typed, "--project", str(project)], env={"COLUMNS": "400"})
    told = " ".join(first.output.split())
    assert first.exit_code == 0, told
    assert '--timestamp-format "%d/%m/%Y %H:%M:%S"' in told, told
    fixed = [*typed, "--timestamp-format", "%d/%m/%Y %H:%M:%S", "--replace"]
    done = runner.invoke(cli, ["import", str(path), *fixed, "--project", str(project)], env={"COLUMNS": "400"})
    assert done.exit_code == 0, done.output
    assert runner.invoke(cli, ["build", "--project", str(project)]).exit_code == 0
    feedback = pq.read_table(project / "data" / "tables" / "feedback").to_pylist()
    got = sorted((row["score"], row["feeling"], row["comment"]) for row in feedback)
    assert got == sorted((float(a[3]), feeling(float(a[3]), "nps"), a[4]) for a in ANSWERS)


@given(
    st.dictionaries(names, st.sampled_from(INPUT_COLUMNS), max_size=3),
    st.dictionaries(names, names, max_size=3),
    st.none() | names,
    st.lists(names, max_size=2, unique=True),
)
def test_what_a_file_was_read_with_pasted_into_a_shell_is_those_options(
    mapping: dict[str, str], statuses: dict[str, str], sheet: str | None, formats: list[str]
) -> None:
    # "read as its last import read it (…)", a re-import's refusal and `jejak imports profiles` say a file's options
    # as options_text writes them; pasted, the command line reads them back as they were.
    if len({name.lower() for name in mapping}) != len(mapping) or len({s.lower() for s in statuses}) != len(statuses):
        return  # matched without case: named twice, refused rightly
    options = ImportOptions(
        column_map=mapping,
        constants={"channel": "Toko, Kemang", "campaign": "Promo 11.11"},
        sheet=sheet,
        timestamp_formats=tuple(formats),
        event_names=statuses,
    )
    context = cast(click.Command, cli.commands["import"]).make_context(
        "import", [*shlex.split(options_text(options)), "pesanan.csv"]
    )
    params = context.params
    assert parse_map_option(params["column_map"]) == mapping
    assert parse_set_option(params["constants"]) == options.constants
    assert parse_event_names_option(params["event_names"]) == statuses
    assert (params["sheet"], params["timestamp_formats"]) == (sheet, tuple(formats))
