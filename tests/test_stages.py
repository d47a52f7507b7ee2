"""Stages: each interaction's stage by the default rules, each person's milestones, the stage funnel, other models."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import Built, build_story, make_project, story_rows, write_csv

from jejak.analytics.funnels import Funnel, funnel_steps
from jejak.core.errors import SettingError
from jejak.core.vocabulary import LEAD_EVENT
from jejak.ingest.importer import import_file
from jejak.pipeline import run_build
from jejak.segments.stages import FIVE_STAGES, current_stages, stage_funnel, stage_rules_from_config
from jejak.store.project import open_project


def at(day: int, clock: str) -> str:
    return f"2026-03-{day:02d} {clock}"


def page(when: str, path: str, channel: str | None = None) -> dict[str, Any]:
    return {"at": when, "type": "page", "event": path, "page_path": path, "channel": channel}


def track(when: str, event: str, **more: Any) -> dict[str, Any]:
    return {"at": when, "type": "track", "event": event, **more}


def offline(when: str, event: str, channel: str, **more: Any) -> dict[str, Any]:
    return {"at": when, "type": "offline", "event": event, "channel": channel, **more}


STORY: dict[str, list[dict[str, Any]]] = {
    # Ana sees an Instagram ad, looks at a coffee, buys it, gets it delivered, and buys again three weeks later.
    "ana": [
        page(at(1, "09:00:00"), "/", "Paid Social"),
        track(at(1, "09:01:00"), "Product Viewed"),
        track(at(1, "09:02:00"), "Product Added"),
        track(at(1, "09:05:00"), "Order Completed", revenue=100000),
        track(at(3, "12:00:00"), "Order Delivered"),
        page(at(24, "19:00:00"), "/", "Email"),
        track(at(24, "19:03:00"), "Order Completed", revenue=80000),
    ],
    # Budi types the address, looks at a product page and leaves: the home page has no stage.
    "budi": [page(at(2, "10:00:00"), "/"), page(at(2, "10:01:00"), "/produk/gayo")],
    # Citra arrives from Google on a product page (an arrival from search is Awareness), reads another
    # product page, starts the checkout and stops.
    "citra": [
        page(at(3, "08:00:00"), "/produk", "Organic Search"),
        page(at(3, "08:02:00"), "/produk/toraja"),
        track(at(3, "08:06:00"), "Checkout Started"),
    ],
    # Dedi walks into the store, buys there two days later, and calls the call centre about his order.
    "dedi": [
        offline(at(4, "16:00:00"), "store_visit", "Offline Store"),
        offline(at(6, "16:00:00"), "Order Completed", "Offline Store", revenue=50000),
        offline(at(7, "10:00:00"), "call_centre_call", "Call Centre"),
    ],
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_story(tmp_path_factory.mktemp("stages"), STORY)


def stages_of(built: Built, user: str) -> list[str | None]:
    person = built.user(user)
    rows = sorted((row for row in built.rows("events") if row["person_id"] == person), key=lambda r: r["position"])
    return [row["stage"] for row in rows]


def test_every_interaction_gets_the_stage_of_the_first_rule_it_matches(built: Built) -> None:
    assert stages_of(built, "ana") == [
        "Awareness",  # an Instagram ad brought her
        "Consideration",
        "Decision",
        "Decision",  # her first purchase
        "Experience",  # delivery
        None,  # an e-mail visit to the home page
        "Loyalty",  # her second purchase
    ]
    assert stages_of(built, "budi") == [None, "Consideration"]
    assert stages_of(built, "citra") == ["Awareness", "Consideration", "Decision"]
    assert stages_of(built, "dedi") == ["Consideration", "Decision", "Experience"]


def test_each_person_has_milestones_and_a_current_stage(built: Built) -> None:
    milestones = {(row["person_id"], row["stage"]): row for row in built.rows("person_stages")}
    ana = built.user("ana")
    assert {stage for person, stage in milestones if person == ana} == set(FIVE_STAGES)
    assert milestones[(ana, "Decision")]["interactions"] == 2
    assert milestones[(ana, "Decision")]["revenue"] == 100000
    assert milestones[(ana, "Loyalty")]["revenue"] == 80000
    current = {row["person_id"]: row for row in built.report(lambda read: current_stages(read("person_stages")))}
    assert {user: current[built.user(user)]["current_stage"] for user in STORY} == {
        "ana": "Loyalty",
        "budi": "Consideration",
        "citra": "Decision",
        "dedi": "Experience",
    }
    assert current[ana]["latest_stage"] == "Loyalty" and current[ana]["stages_reached"] == 5


def test_stage_funnel_counts_who_reached_each_stage_and_went_on(built: Built) -> None:
    rows = built.report(lambda read: stage_funnel(read("person_stages"), FIVE_STAGES))
    assert [(row["stage"], row["people"], row["went_on"]) for row in rows] == [
        ("Awareness", 2, 2),  # Ana and Citra, both went on to consider
        ("Consideration", 4, 3),  # Budi stopped
        ("Decision", 3, 2),  # Citra stopped
        ("Experience", 2, 1),  # Dedi has not bought again
        ("Loyalty", 1, None),
    ]
    assert rows[0]["conversion_to_next"] == pytest.approx(1.0)
    # Days in Decision: Ana from the add to the delivery (2 days, 2 h 58 min), Dedi from his order to his call (18 h).
    ana_days = (2 * 86_400 + 2 * 3_600 + 58 * 60) / 86_400
    assert rows[2]["median_days_in_stage"] == pytest.approx((ana_days + 18 / 24) / 2)


def test_a_funnel_step_can_be_a_stage(built: Built) -> None:
    funnel = Funnel.of(["stage:Consideration", "stage:Decision", "stage:Loyalty"], window_seconds=30 * 86_400)
    rows = built.report(lambda read: funnel_steps(read("events"), funnel))
    assert [row["people"] for row in rows] == [4, 3, 1]


def build_with(tmp_path: Path, toml: str, settings: dict[str, Any] | None = None) -> Built:
    project = make_project(tmp_path / "p", settings)
    with (project.root / "jejak.toml").open("a", encoding="utf-8") as handle:
        handle.write("\n" + toml)
    project = open_project(project.root, env={})
    summary = import_file(project, write_csv(tmp_path / "story.csv", story_rows(STORY)))
    return Built(project, summary, run_build(project))


def test_rules_in_jejak_toml_go_first(tmp_path: Path) -> None:
    built = build_with(tmp_path, '[[stages.prepend]]\nstage = "Experience"\npages = ["/produk/gayo"]\n')
    assert stages_of(built, "budi") == [None, "Experience"]


def test_the_four_stage_model_relabels_the_five(tmp_path: Path) -> None:
    built = build_with(tmp_path, "", settings={"stage_model": "four"})
    assert stages_of(built, "ana") == ["Awareness", "Comparison", "Purchase", "Purchase", "Use", None, "Use"]


def test_bad_stage_rules_say_what_is_wrong() -> None:
    with pytest.raises(SettingError, match="names stage 'Buying'"):
        stage_rules_from_config({"stages": {"rules": [{"stage": "Buying", "events": ["x"]}]}})
    with pytest.raises(SettingError, match="matches nothing"):
        stage_rules_from_config({"stages": {"prepend": [{"stage": "Loyalty"}]}})
    with pytest.raises(SettingError, match="purchase must be"):
        stage_rules_from_config({"stages": {"prepend": [{"stage": "Loyalty", "purchase": "second"}]}})
    with pytest.raises(SettingError, match="write rules for them"):
        stage_rules_from_config({}, stages=("Tahu", "Mau", "Beli"))


def test_an_order_that_fell_through_or_came_back_is_no_first_contact(tmp_path: Path) -> None:
    # A marketplace's orders, named by their status as `jejak import --event-names` advises: each order is the one
    # event of its session, some from an Instagram ad (an arrival from social media is Awareness).
    story = {
        "eka": [track(at(5, "10:00:00"), "Order Unpaid", channel="Paid Social")],
        "fajar": [track(at(5, "11:00:00"), "Order Cancelled", channel="Organic Social")],
        "gilang": [
            track(at(6, "09:00:00"), "Order Completed", channel="Paid Social", revenue=90000),
            track(at(9, "09:00:00"), "Order Refunded", channel="Paid Social"),
        ],
    }
    built = build_story(tmp_path, story)
    assert stages_of(built, "eka") == ["Decision"]
    assert stages_of(built, "fajar") == ["Decision"]
    assert stages_of(built, "gilang") == ["Decision", "Experience"]


def test_a_lead_from_an_ad_is_weighing_a_purchase_not_a_first_contact(tmp_path: Path) -> None:
    # A lead form sent from an Instagram ad (Meta's lead export, imported as its advice says) before a purchase: the
    # arrival rule would call it Awareness, as it does a page view from that ad.
    story = {
        "joko": [
            track(at(3, "09:00:00"), LEAD_EVENT, channel="Paid Social"),
            track(at(4, "10:00:00"), "Order Completed", channel="WhatsApp", revenue=90000),
        ],
        "kiki": [page(at(3, "09:00:00"), "/", "Paid Social")],
    }
    built = build_story(tmp_path, story)
    assert stages_of(built, "joko") == ["Consideration", "Decision"]
    assert stages_of(built, "kiki") == ["Awareness"]


def test_skipping_a_stage_is_going_on(tmp_path: Path) -> None:
    # Hana clicks an Instagram ad and buys at once (no Consideration), then buys again with no delivery or support
    # event recorded between (no Experience): she went on from each stage she was in.
    story = {
        "hana": [
            page(at(10, "09:00:00"), "/", "Paid Social"),
            track(at(10, "09:06:00"), "Order Completed", revenue=90000),
            track(at(20, "09:06:00"), "Order Completed", revenue=90000),
        ],
        "ilham": [page(at(11, "09:00:00"), "/", "Paid Social")],
    }
    built = build_story(tmp_path, story)
    rows = built.report(lambda read: stage_funnel(read("person_stages"), FIVE_STAGES))
    assert [(row["stage"], row["people"], row["went_on"]) for row in rows] == [
        ("Awareness", 2, 1),  # Ilham stopped
        ("Consideration", 0, 0),
        ("Decision", 1, 1),
        ("Experience", 0, 0),
        ("Loyalty", 1, None),
    ]
    assert rows[0]["median_days_in_stage"] == pytest.approx(6 / (24 * 60))
    assert rows[2]["median_days_in_stage"] == pytest.approx(10.0)
