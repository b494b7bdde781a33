"""The range of the integer primary keys, so an id from a URL can be refused before it reaches SQL.

Why: the ``id`` columns are 32-bit integers on PostgreSQL; a larger number in a query is not "no such row" there
but a driver error (a 500). An id outside 1..2^31-1 cannot name a row on either store, so it is answered like
an unknown id.
"""

from __future__ import annotations

MAX_ID = 2**31 - 1


def storable_id(value: int) -> bool:
    """Whether ``value`` can be the id of a stored row (positive and within int32)."""
    return 0 < value <= MAX_ID
