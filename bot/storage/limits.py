"""Column sizes of the lead table, shared by the table definition and the form's validators,
so that an answer the form accepts always fits its column (on PostgreSQL, a value longer than
its ``VARCHAR(n)`` fails the whole submission).

Usage::

    from bot.storage.limits import LEAD_COLUMN_CHARS, form_max_chars
    form_max_chars("sector")     # 128: the column's size, below the form's 200
"""

from __future__ import annotations

__all__ = ["FORM_MAX_CHARS", "LEAD_COLUMN_CHARS", "RULE_CHARS", "form_max_chars"]

# VARCHAR sizes of the ``leads`` columns a person's answers go to (product is TEXT).
LEAD_COLUMN_CHARS: dict[str, int] = {
    "company": 255, "siren": 9, "postal_code": 5, "commune": 128, "origin": 255,
    "contact_name": 255, "email": 320, "phone": 32, "sector": 128, "stage": 32,
    "timeline": 32, "department": 3, "size": 8,
}
RULE_CHARS = 255          # leads.rule
# What the form accepts for free-text answers (shorter than the column where it is smaller).
FORM_MAX_CHARS: dict[str, int] = {"product": 500, "place": 120}
FORM_DEFAULT_CHARS = 200


def form_max_chars(field: str) -> int:
    """The longest answer the form accepts for ``field``: its form limit, capped by its column."""
    limit = FORM_MAX_CHARS.get(field, FORM_DEFAULT_CHARS)
    return min(limit, LEAD_COLUMN_CHARS.get(field, limit))
