"""Read customer and transaction files (CSV or Parquet) into the typed tables with pyarrow
(docs/methods.md section 12).

Customer file columns: ``customer`` (key), ``since``, ``until`` or ``churned_on`` (empty = active), ``revenue``
(per period), optional ``margin`` and ``cost_to_serve``; every other text column is a segment. Transaction file
columns: ``customer``, ``date``, ``amount``. Dates are ISO dates or timestamps; they become days since
1970-01-01. A transaction whose customer is not in the customer table is a ValueError naming examples.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from analytics.economics.tables import CustomerTable, Factor, Transactions

__all__ = ["customers_from_arrow", "read_customers", "read_table", "read_transactions", "transactions_from_arrow"]

_MONEY = ("revenue", "margin", "cost_to_serve")


def read_table(path: str | Path) -> pa.Table:
    """A CSV (.csv, .csv.gz) or Parquet (.parquet, .pq) file as an Arrow table."""
    p = Path(path)
    name = p.name.lower()
    if name.endswith((".parquet", ".pq")):
        import pyarrow.parquet as pq

        return pq.read_table(p)
    if name.endswith((".csv", ".csv.gz")):
        import pyarrow.csv as pcsv

        return pcsv.read_csv(p)
    raise ValueError(f"{p.name}: expected a .csv or .parquet file")


def _days(col: pa.ChunkedArray | pa.Array, what: str) -> NDArray[np.float64]:
    t = col.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        try:
            col = pc.cast(col, pa.timestamp("s"))
        except pa.ArrowInvalid as exc:
            raise ValueError(f"{what}: not a date ({exc})") from None
        t = col.type
    if pa.types.is_date32(t):
        v = pc.cast(col, pa.int32())
        scale = 1.0
    elif pa.types.is_date64(t):
        v, scale = pc.cast(col, pa.int64()), 86_400_000.0
    elif pa.types.is_timestamp(t):
        per_s = {"s": 1, "ms": 1e3, "us": 1e6, "ns": 1e9}[t.unit]
        v, scale = pc.cast(col, pa.int64()), 86_400.0 * per_s
    elif pa.types.is_null(t):
        return np.full(len(col), np.nan)
    else:
        raise ValueError(f"{what}: expected dates, got {t}")
    out = v.to_numpy(zero_copy_only=False)
    return np.asarray(out, dtype=np.float64) / scale


def _numbers(col: pa.ChunkedArray, what: str) -> NDArray[np.float64]:
    if not (pa.types.is_integer(col.type) or pa.types.is_floating(col.type)):
        raise ValueError(f"{what}: expected numbers, got {col.type}")
    if col.null_count:
        raise ValueError(f"{what}: {col.null_count} empty values")
    return np.asarray(col.to_numpy(zero_copy_only=False), dtype=np.float64)


def _factor(col: pa.ChunkedArray) -> Factor:
    enc = pc.dictionary_encode(col.combine_chunks())
    labels = [str(x) for x in enc.dictionary.to_pylist()]
    order = np.argsort(labels, kind="stable")
    remap = np.empty(len(labels) + 1, dtype=np.int64)
    remap[order] = np.arange(len(labels))
    remap[-1] = -1
    idx = np.asarray(pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
    return Factor(remap[idx], tuple(labels[i] for i in order))


def customers_from_arrow(t: pa.Table, segment_columns: list[str] | None = None) -> CustomerTable:
    """A CustomerTable from an Arrow table with the columns of the module docstring."""
    cols = set(t.column_names)
    need = {"customer", "since", "revenue"}
    if need - cols:
        raise ValueError(f"customer file: missing columns {sorted(need - cols)}")
    end = "until" if "until" in cols else "churned_on" if "churned_on" in cols else None
    key = t["customer"]
    if key.null_count or pc.count_distinct(key).as_py() != len(key):
        raise ValueError("customer file: the customer key must be present and unique")
    if segment_columns is None:
        skip = {"customer", "since", "until", "churned_on", *_MONEY}
        segment_columns = [c for c in t.column_names if c not in skip
                           and (pa.types.is_string(t[c].type) or pa.types.is_large_string(t[c].type))]
    missing = [c for c in segment_columns if c not in cols]
    if missing:
        raise ValueError(f"customer file: no segment columns {missing}")
    return CustomerTable(
        customer=np.asarray(key.to_numpy(zero_copy_only=False), dtype=object),
        since=_days(t["since"], "since"),
        until=_days(t[end], end) if end else np.full(t.num_rows, np.nan),
        revenue=_numbers(t["revenue"], "revenue"),
        margin=_numbers(t["margin"], "margin") if "margin" in cols else None,
        cost_to_serve=_numbers(t["cost_to_serve"], "cost_to_serve") if "cost_to_serve" in cols else None,
        segments={c: _factor(t[c]) for c in segment_columns},
        keys_arrow=key.combine_chunks(),
    )


def transactions_from_arrow(t: pa.Table, customers: CustomerTable) -> Transactions:
    """Transactions from an Arrow table (customer, date, amount), keys matched to the customer table's rows."""
    need = {"customer", "date", "amount"}
    if need - set(t.column_names):
        raise ValueError(f"transaction file: missing columns {sorted(need - set(t.column_names))}")
    keys = customers.keys_arrow if customers.keys_arrow is not None else pa.array(customers.customer)
    col = t["customer"]
    if pa.types.is_dictionary(col.type):  # look up each chunk's dictionary once, then take by its indices
        idx = pa.chunked_array([pc.take(pc.index_in(pc.cast(ch.dictionary, keys.type), value_set=keys), ch.indices)
                                for ch in col.chunks], type=pa.int32())
    else:
        if col.type != keys.type:
            col = pc.cast(col, keys.type)
        idx = pc.index_in(col, value_set=keys)
    if idx.null_count:
        unknown = pc.filter(col, pc.is_null(idx)).slice(0, 5).to_pylist()
        raise ValueError(f"transaction file: {idx.null_count} rows name customers not in the customer table, "
                         f"e.g. {unknown}")
    return Transactions(customer=np.asarray(idx.to_numpy(zero_copy_only=False), dtype=np.int64),
                        date=_days(t["date"], "date"), amount=_numbers(t["amount"], "amount"),
                        n_customers=customers.n)


def read_customers(path: str | Path, segment_columns: list[str] | None = None) -> CustomerTable:
    """`customers_from_arrow` of a CSV or Parquet file."""
    return customers_from_arrow(read_table(path), segment_columns)


def read_transactions(path: str | Path, customers: CustomerTable) -> Transactions:
    """`transactions_from_arrow` of a CSV or Parquet file."""
    return transactions_from_arrow(read_table(path), customers)
