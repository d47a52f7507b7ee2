"""Numbers as a language writes them: English `1,234.5`, Indonesian `1.234,5`.

In core, so that every room that writes a sentence with numbers in it (the journey map's pain points, the service's
notes, the dashboard's cells) writes them alike.
"""

from __future__ import annotations

_ID_SEPARATORS = str.maketrans({",": ".", ".": ","})


def number_text(text: str, lang: str = "en") -> str:
    """A number written the English way (`1,234.5`) as `lang` writes it: Indonesian swaps the separators
    (`1.234,5`).

    Example:
        >>> number_text("1,234.5", "id"), number_text("1,234.5")
        ('1.234,5', '1,234.5')
    """
    return text.translate(_ID_SEPARATORS) if lang == "id" else text


def whole_text(number: float, lang: str = "en") -> str:
    """A count or an amount as a whole number, its thousands separated as `lang` separates them.

    Example:
        >>> whole_text(1193, "id"), whole_text(459_857_000.0), whole_text(2.5)
        ('1.193', '459,857,000', '2')
    """
    written = f"{number:,}" if isinstance(number, int) else f"{number:,.0f}"
    return number_text(written, lang)
