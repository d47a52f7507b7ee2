"""Erasing a person: every event of theirs leaves the lake, the quarantine and the builds; nobody else's does."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from conftest import cli_project, lake_events, make_project, quarantined, write_csv

from jejak.core.errors import SettingError
from jejak.ingest.importer import import_file
from jejak.ingest.quarantine import dismiss_quarantined, list_quarantined, retry_quarantined
from jejak.pipeline import run_build
from jejak.service.data import imports_log
from jejak.service.erasure import erase_people, lift_erasure, plan_erasure
from jejak.store.appstate import open_state
from jejak.store.derived import table_path
from jejak.store.lake import event_files
from jejak.store.project import Project, open_project

SHOP_PHONE = "+62215550100"  # typed at the till for three customers: over-shared at 2 people an identifier


def _story(tmp_path: Path) -> list[Path]:
    web = write_csv(
        tmp_path / "web.csv",
        [
            # Ana browses on her phone before she logs in; her login joins the device to her user id and e-mail.
            {"event_id": "w1", "timestamp": "2026-03-01 09:00", "type": "page", "anonymous_id": "dev-ana"},
            {"event_id": "w2", "timestamp": "2026-03-01 09:05", "type": "identify", "anonymous_id": "dev-ana",
             "user_id": "ana", "email": "Ana@Example.com"},
            {"event_id": "w3", "timestamp": "2026-03-01 09:10", "type": "track", "event": "Order Completed",
             "user_id": "ana", "revenue": "150000"},
            {"event_id": "w4", "timestamp": "2026-03-02 10:00", "type": "page", "user_id": "budi"},
            {"event_id": "w5", "timestamp": "2026-03-02 10:05", "type": "track", "event": "Order Completed",
             "user_id": "budi", "revenue": "90000"},
            # Anak is no Ana: an id that holds hers must not be taken for it.
            {"event_id": "w6", "timestamp": "2026-03-03 11:00", "type": "page", "user_id": "anak"},
            {"event_id": "w7", "timestamp": "not a time", "type": "page", "user_id": "ana"},
            {"event_id": "w8", "timestamp": "not a time", "type": "page", "user_id": "anak"},
            {"event_id": "w9", "timestamp": "not a time either", "type": "page", "anonymous_id": "dev-ana"},
        ],
    )  # fmt: skip
    till = write_csv(
        tmp_path / "till.csv",
        [
            # A store visit Ana's phone number names, on the day her web order came in.
            {"event_id": "t1", "timestamp": "2026-03-01 15:00", "type": "offline", "event": "Store Visit",
             "user_id": "ana", "phone": "0812-3456-7890"},
            {"event_id": "t2", "timestamp": "2026-03-04 12:00", "type": "offline", "event": "Store Visit",
             "phone": "081234567890"},
            {"event_id": "t3", "timestamp": "2026-03-04 13:00", "type": "offline", "event": "Store Visit",
             "user_id": "budi", "phone": SHOP_PHONE},
            {"event_id": "t4", "timestamp": "2026-03-04 14:00", "type": "offline", "event": "Store Visit",
             "user_id": "anak", "phone": SHOP_PHONE},
            {"event_id": "t5", "timestamp": "2026-03-04 15:00", "type": "offline", "event": "Store Visit",
             "user_id": "citra", "phone": SHOP_PHONE},
        ],
    )  # fmt: skip
    return [web, till]


@pytest.fixture
def project(tmp_path: Path) -> Project:
    project = make_project(tmp_path / "p", {"identity_max_people_per_identifier": 2, "precompute_views": False})
    for path in _story(tmp_path):
        import_file(project, path)
    run_build(project)
    run_build(project)  # a second build: the previous one is kept for readers, and holds Ana too
    return project


ANA_EVENTS = {"w1", "w2", "w3", "t1", "t2"}


def _texts_naming_ana(folder: Path) -> set[str]:
    """Every text value of every Parquet file under `folder` (the lake, the quarantine, the builds and what they keep
    beside them) that has Ana's user id or device in it as a word: `u:ana`, `1u:ana`, `dev-ana`, not `anak`."""
    ana = re.compile(r"\bana\b")
    texts: set[str] = set()
    for path in folder.rglob("*.parquet"):
        for column in pq.read_table(path).columns:
            texts.update(value for value in column.to_pylist() if isinstance(value, str) and ana.search(value))
    return texts


def test_erasing_a_person_by_e_mail_takes_every_event_of_theirs_and_nothing_else(project: Project) -> None:
    # A bad row of her device, dismissed from the quarantine, is kept aside: it goes too.
    (device_row,) = [row.row_id for row in list_quarantined(project).rows if "either" in row.raw]
    assert dismiss_quarantined(project, row_ids=[device_row]) == 1
    plan = plan_erasure(project, ["ana@example.com "])
    assert plan.people == ("u:ana",)
    assert plan.matched == (("ana@example.com", "u:ana", "e-mail"),)
    # Her user id, her device, her e-mail and her phone.
    assert (plan.identifiers, plan.events, plan.quarantined, plan.dismissed) == (4, len(ANA_EVENTS), 1, 1)
    assert len(lake_events(project)) == 11  # the plan changed nothing
    assert {"ana", "dev-ana", "u:ana", "1u:ana"} <= _texts_naming_ana(project.data_dir)
    files_before = set(event_files(project))

    done = erase_people(project, ["ana@example.com"])

    assert done.plan.people == ("u:ana",)
    left = lake_events(project)
    assert {row["event_id"] for row in left} == {"w4", "w5", "w6", "t3", "t4", "t5"}
    assert _texts_naming_ana(project.data_dir) == set()
    # The files that held her are gone; a file that held no event of hers was left as it was.
    assert files_before - set(event_files(project))
    assert set(event_files(project)) & files_before
    assert [row["raw"] for row in quarantined(project) if "anak" in row["raw"]]  # Anak's bad row stays
    assert len(quarantined(project)) == 1
    assert list_quarantined(project, dismissed=True).rows == []
    # One build, made without her; the two that held her are deleted.
    assert done.build is not None and done.builds_deleted == 2
    assert [path.name for path in project.builds_dir.iterdir()] == [done.build.build_dir.name]
    people = pq.read_table(table_path(project, "people")).column("person_id").to_pylist()
    assert sorted(people) == ["u:anak", "u:budi", "u:citra"]
    log = imports_log(project)
    assert sum(row["rows_stored"] for row in log) == len(left)
    assert sum(row["rows_quarantined"] for row in log) == len(quarantined(project))
    assert all(row["reconciles"] for row in log)
    assert {row["format"] for row in log if row["rows_read"] < 0} == {"dismissed", "erased"}


def test_a_person_is_found_by_any_identifier_the_lake_joins_to_them(project: Project) -> None:
    by_device = plan_erasure(project, ["dev-ana"])
    by_phone = plan_erasure(project, ["0812 3456 7890"])
    by_person = plan_erasure(project, ["u:ana"])
    assert by_device.people == by_phone.people == by_person.people == ("u:ana",)
    assert by_device.events == by_phone.events == by_person.events == len(ANA_EVENTS)
    assert by_phone.matched == (("0812 3456 7890", "u:ana", "phone"),)
    both = plan_erasure(project, ["ana", "budi"])
    assert both.people == ("u:ana", "u:budi")


def test_a_shared_identifier_or_an_unknown_one_erases_nobody(project: Project) -> None:
    before = lake_events(project)
    shared = plan_erasure(project, [SHOP_PHONE])
    assert shared.people == () and shared.shared == ((SHOP_PHONE, 3),)
    with pytest.raises(SettingError, match=r"shared by 3 user ids .* Nothing was erased"):
        erase_people(project, [SHOP_PHONE])
    with pytest.raises(SettingError, match=r"nobody@example\.com names nobody"):
        erase_people(project, ["nobody@example.com"])
    with pytest.raises(SettingError, match="Name whom to erase"):
        erase_people(project, ["  "])
    assert lake_events(project) == before
    assert len(list(project.builds_dir.iterdir())) == 2


def test_erasing_everyone_leaves_no_build_behind(project: Project) -> None:
    done = erase_people(project, ["ana", "budi", "anak", "citra"])
    assert lake_events(project) == [] and done.build is None
    assert "empty" in done.build_error and done.builds_deleted == 2
    assert not project.tables_dir.exists() and list(project.builds_dir.iterdir()) == []


def _run(runner: Any, root: Path, *args: str, given: str | None = None) -> Any:
    from jejak.cli.main import cli

    return runner.invoke(cli, [*args, "--project", str(root)], input=given)


def test_the_command_asks_first_and_a_dry_run_changes_nothing(tmp_path: Path) -> None:
    runner, root = cli_project(tmp_path)
    for path in _story(tmp_path):
        assert _run(runner, root, "import", str(path)).exit_code == 0
    assert _run(runner, root, "build").exit_code == 0
    project = open_project(root, env={})
    events = len(lake_events(project))
    dry = _run(runner, root, "erase", "ana@example.com", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "ana@example.com → u:ana (by e-mail)" in dry.output
    assert f"{len(ANA_EVENTS)} events" in dry.output and "Nothing was erased" in dry.output
    refused = _run(runner, root, "erase", "ana@example.com", given="n\n")
    assert refused.exit_code == 1 and len(lake_events(project)) == events
    nobody = _run(runner, root, "erase", "nobody@example.com", "--yes")
    assert nobody.exit_code == 1 and "names nobody" in nobody.output
    done = _run(runner, root, "erase", "ana@example.com", given="y\n")
    assert done.exit_code == 0, done.output
    assert f"Erased 1 person: {len(ANA_EVENTS)} events" in done.output and "Built again without them" in done.output
    assert len(lake_events(project)) == events - len(ANA_EVENTS)


def test_a_line_that_could_not_be_read_goes_when_it_has_their_id_as_a_word(project: Project, tmp_path: Path) -> None:
    broken = tmp_path / "app.jsonl"
    broken.write_text(
        '{"type": "track", "event": "Order Completed", "userId": "ana", "timestamp": \n'
        '{"type": "track", "event": "Order Completed", "userId": "anak", "timestamp": \n',
        encoding="utf-8",
    )
    import_file(project, broken)
    assert len(quarantined(project)) == 5
    assert plan_erasure(project, ["ana"]).quarantined_by_file == {str(tmp_path / "web.csv"): 2, str(broken): 1}
    erase_people(project, ["ana"])
    assert sorted(row["source_line"] for row in quarantined(project) if row["source_file"] == str(broken)) == [2]


def test_an_erased_person_is_not_stored_again_by_a_later_import(project: Project, tmp_path: Path) -> None:
    erase_people(project, ["ana"])
    web, till = _story(tmp_path)  # the same exports, imported again (a sheet read again at its next sync)
    again = import_file(project, web)
    # Her three valid rows and her two bad ones (her user id, her device) are skipped; Budi's and Anak's are
    # duplicates, and Anak's bad row is quarantined again.
    assert (again.rows_read, again.rows_stored, again.rows_erased, again.duplicates_skipped) == (9, 0, 5, 3)
    assert again.rows_quarantined == 1 and again.reconciles
    assert (import_file(project, till).rows_erased, import_file(project, till).rows_stored) == (2, 0)
    later = import_file(
        project,
        write_csv(
            tmp_path / "survey.csv",
            [
                {"event_id": "s1", "timestamp": "2026-03-05 09:00", "event": "Survey Answered", "email": "ANA@example.com"},
                {"event_id": "s2", "timestamp": "2026-03-05 09:00", "event": "Survey Answered", "user_id": "budi"},
            ],
        ),
    )  # fmt: skip
    assert (later.rows_stored, later.rows_erased) == (1, 1)
    assert [row["event_id"] for row in lake_events(project) if row["event_id"].startswith("s")] == ["s2"]
    assert not [row for row in quarantined(project) if re.search(r"\bana\b", row["raw"])]
    assert all(row["reconciles"] for row in imports_log(project))
    # The list keeps no identifier in clear: a keyed SHA-256 of each of her four.
    with open_state(project.sqlite_path) as db:
        keys = [key for (key,) in db.execute("SELECT key_sha256 FROM erased_identifiers")]
    assert len(keys) == 4 and all(re.fullmatch(r"[0-9a-f]{64}", key) for key in keys)


def test_the_quarantined_rows_left_of_a_file_keep_its_source_name(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    web, _ = _story(tmp_path)
    import_file(project, web, source_name="toko-online")
    erase_people(project, ["ana"])  # two of the file's quarantined rows go, and the log says so under its name
    (anak,) = list_quarantined(project).rows
    done = retry_quarantined(project, fixed={anak.row_id: anak.raw.replace("not a time", "2026-03-03 12:00")})
    assert done.rows_stored == 1
    assert [row["source_name"] for row in lake_events(project) if row["event_id"] == "w8"] == ["toko-online"]


def test_a_line_of_a_file_imported_with_an_id_prefix_goes_by_the_id_as_the_file_wrote_it(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    orders = tmp_path / "shopee.csv"
    # The lake has `shopee:budi88`; a line the CSV reader could not split keeps the file's `budi88`.
    orders.write_text(
        "event_id,timestamp,type,user_id\n"
        "o1,2026-03-01 09:00,page,budi88\n"
        "o2,2026-03-01 10:00,page,budi888\n"
        "o3,2026-03-02 09:00,page,budi88,too,many\n"
        "o4,2026-03-02 10:00,page,budi888,too,many\n",
        encoding="utf-8",
    )
    import_file(project, orders, id_prefix="shopee")
    assert len(quarantined(project)) == 2
    plan = plan_erasure(project, ["shopee:budi88"])
    assert plan.quarantined_by_file == {str(orders): 1}
    erase_people(project, ["shopee:budi88"])
    assert [row["source_line"] for row in quarantined(project)] == [5]  # budi888's line stays
    # Imported again, his line is not quarantined again: it is his, with the prefix the import puts.
    again = import_file(project, orders, id_prefix="shopee")
    assert (again.rows_erased, again.rows_quarantined, again.duplicates_skipped) == (2, 1, 1)
    assert again.reconciles


def test_the_plan_asked_about_is_carried_out_while_the_lake_is_as_it_was(project: Project) -> None:
    plan = plan_erasure(project, ["ana@example.com"])
    done = erase_people(project, ["ana@example.com"], agreed=plan)
    assert done.plan is plan  # not planned again
    assert {row["event_id"] for row in lake_events(project)} == {"w4", "w5", "w6", "t3", "t4", "t5"}
    assert [row["raw"] for row in quarantined(project) if "ana" in row["raw"]] == [
        row["raw"] for row in quarantined(project) if "anak" in row["raw"]
    ]
    assert all(row["reconciles"] for row in imports_log(project))


def test_an_import_after_the_question_makes_the_erasure_plan_again(project: Project, tmp_path: Path) -> None:
    plan = plan_erasure(project, ["ana@example.com"])
    later = write_csv(
        tmp_path / "later.csv",
        [{"event_id": "l1", "timestamp": "2026-03-06 09:00", "type": "page", "anonymous_id": "dev-ana"}],
    )
    import_file(project, later)
    done = erase_people(project, ["ana@example.com"], agreed=plan)
    assert done.plan is not plan and done.plan.events == plan.events + 1
    assert "l1" not in {row["event_id"] for row in lake_events(project)}


def _survey(tmp_path: Path, event_id: str) -> Path:
    row = {
        "event_id": event_id,
        "timestamp": "2026-03-07 09:00",
        "event": "Survey Answered",
        "email": "ana@example.com",
    }
    return write_csv(tmp_path / f"{event_id}.csv", [row])


def test_an_erased_person_who_comes_back_is_lifted_off_the_list_by_what_they_name(
    project: Project, tmp_path: Path
) -> None:
    erase_people(project, ["ana"])
    erase_people(project, ["budi"])  # another erasure: his identifiers are not hers
    assert import_file(project, _survey(tmp_path, "s1")).rows_erased == 1
    lifted = lift_erasure(project, ["Ana@Example.com"])
    assert lifted.lifted == (("Ana@Example.com", "e-mail"),)
    assert lifted.still_listed == 3  # her user id, device and phone stay until named
    assert import_file(project, _survey(tmp_path, "s2")).rows_stored == 1
    web, till = _story(tmp_path)
    assert import_file(project, web).rows_erased == 5 + 2  # her user id and device are still on the list; Budi's
    both = lift_erasure(project, ["ana", "dev-ana", "anak"])
    assert (both.lifted, both.not_listed) == ((("ana", "user id"), ("dev-ana", "anonymous id")), ("anak",))
    assert both.still_listed == 1  # her phone
    again = import_file(project, web)
    # Her valid rows (the identify row carries her e-mail too, which is lifted) are stored again; her bad rows are
    # quarantined again; Budi's two are still skipped, and in the till file her phone's two and Budi's.
    assert (again.rows_stored, again.rows_erased) == (3, 2)
    assert import_file(project, till).rows_erased == 3
    with pytest.raises(SettingError, match="Not on the list of erased identifiers: anak"):
        lift_erasure(project, ["anak"])


def test_the_unerase_command_says_what_it_lifted(tmp_path: Path) -> None:
    runner, root = cli_project(tmp_path)
    for path in _story(tmp_path):
        assert _run(runner, root, "import", str(path)).exit_code == 0
    assert _run(runner, root, "erase", "ana", "--yes").exit_code == 0
    done = _run(runner, root, "unerase", "ana@example.com", "nobody@example.com")
    assert done.exit_code == 0, done.output
    assert "ana@example.com: off the list (by e-mail)" in done.output
    assert "nobody@example.com: not on the list" in done.output and "3 other identifiers" in done.output
    again = _run(runner, root, "unerase", "ana@example.com")
    assert again.exit_code == 1 and "Not on the list" in again.output
