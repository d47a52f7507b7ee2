"""What the CLI and the dashboard say in more than one language: the dashboard's Indonesian (`?lang=id`) and
English, the CLI's.

A sentence jejak writes about an answer (an attribution run's notes, `service.attribution`) takes a `lang`: the
dashboard passes the page's language, the CLI none (English). Numbers in such a sentence are written as the language
writes them (`number_text`). The dashboard's own words, headings and values are in `web.i18n`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from zoneinfo import ZoneInfo

from jejak.core.numbers import number_text as number_text
from jejak.core.numbers import whole_text

LANGUAGES = ("en", "id")


def percent_text(share: float, lang: str = "en") -> str:
    """A share (0–1) as a percent with one decimal, as every table writes it: `71.5 %` (`71,5 %`)."""
    return number_text(f"{share * 100:.1f}", lang) + " %"


# A duration's units, largest first, as each language abbreviates them.
DURATION_UNITS = {
    "en": (("d", 86_400), ("h", 3_600), ("min", 60)),
    "id": (("hari", 86_400), ("jam", 3_600), ("mnt", 60)),
}
SECOND_UNIT = {"en": "s", "id": "dtk"}


def duration_text(seconds: float, lang: str = "en") -> str:
    """A duration the way people say it: 42 s, 3.5 min, 2.1 h, 4.0 d (`3,5 mnt` in Indonesian).

    Example:
        >>> duration_text(44.0), duration_text(121.0), duration_text(121.0, "id"), duration_text(90_000)
        ('44 s', '2.0 min', '2,0 mnt', '1.0 d')
    """
    for unit, size in DURATION_UNITS.get(lang, DURATION_UNITS["en"]):
        if seconds >= size:
            return f"{number_text(f'{seconds / size:.1f}', lang)} {unit}"
    return f"{seconds:.0f} {in_language(SECOND_UNIT, lang)}"


def in_language(texts: Mapping[str, str], lang: str) -> str:
    """The text in `lang` of `texts` ({"en": …, "id": …}); English when it has none in `lang`."""
    return texts.get(lang) or texts["en"]


def moment_text(moment: str | dt.datetime | None, zone: str) -> str | None:
    """An instant (ISO text from the SQLite logs, or an aware datetime) on the business's clock, to the second, with
    the zone's abbreviation: `2026-11-27 01:22:47 WIB`. Text that is no ISO time is given back as it is.

    Example:
        >>> moment_text("2026-11-26T18:22:47.309029+00:00", "Asia/Jakarta")
        '2026-11-27 01:22:47 WIB'
    """
    if moment is None:
        return None
    try:
        instant = dt.datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    except ValueError:
        return str(moment)
    if instant.tzinfo is None:  # the logs write UTC; an older line may have no offset
        instant = instant.replace(tzinfo=dt.UTC)
    return instant.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S %Z")


# A top-N table's last row as the engine writes it (`analytics.topn.other_label`): "Other (2935 rows, 34.5 % of total)".
_OTHER_ROW = re.compile(r"Other \((?P<rows>\d+) rows?, (?P<share>[\d.]+) % of (?P<of>total|entrances|people)\)")
_OTHER_OF_ID = {"total": "total", "entrances": "kunjungan masuk", "people": "semua orang"}


def other_row_text(value: str, lang: str = "en") -> str | None:
    """A top-N table's Other row as `lang` writes it, its count of rows with thousands separated (the engine writes
    it bare); None for any other text.

    Example:
        >>> written = "Other (2935 rows, 71.4 % of total)"
        >>> other_row_text(written), other_row_text(written, "id"), other_row_text("Other Coffee")
        ('Other (2,935 rows, 71.4 % of total)', 'Lainnya (2.935 baris, 71,4 % dari total)', None)
    """
    other = _OTHER_ROW.fullmatch(value)
    if other is None:
        return None
    rows = int(other["rows"])
    count, share = whole_text(rows, lang), number_text(other["share"], lang)
    if lang == "id":
        return f"Lainnya ({count} baris, {share} % dari {_OTHER_OF_ID[other['of']]})"
    return f"Other ({count} row{'' if rows == 1 else 's'}, {share} % of {other['of']})"
