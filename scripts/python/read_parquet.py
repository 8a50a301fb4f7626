"""Reads Parquet files with pyarrow (no dnnbench code) and prints what it found as JSON.

For the interoperability test and the writer benchmark: an independent reader checks the types
and values our writer produced.

usage: read_parquet.py [--summary] FILE...
prints one JSON object {FILE: {"num_rows", "schema": {column: arrow type}, "rows" | "summary"}}
  rows:    every row (int64 as exact integers, timestamps as ISO 8601, NaN as null)
  summary: per column: non-null count, sum of numbers, number of distinct strings
"""
import datetime
import json
import math
import sys

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq


def plain(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, (datetime.datetime, datetime.date)):
        return v.isoformat()
    if isinstance(v, list):
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    return v


def summarize(table):
    out = {}
    for name in table.column_names:
        col = table.column(name)
        t = col.type
        s = {"non_null": len(col) - col.null_count}
        if pa.types.is_dictionary(t):
            col = col.cast(t.value_type)
            t = t.value_type
        if pa.types.is_integer(t) or pa.types.is_floating(t):
            total = pc.sum(col).as_py()
            s["sum"] = total
        elif pa.types.is_string(t) or pa.types.is_large_string(t):
            s["distinct"] = pc.count_distinct(col).as_py()
        out[name] = s
    return out


def main():
    args = sys.argv[1:]
    summary = "--summary" in args
    files = [a for a in args if a != "--summary"]
    result = {}
    for f in files:
        table = pq.read_table(f)
        entry = {"num_rows": table.num_rows, "schema": {field.name: str(field.type) for field in table.schema}}
        if summary:
            entry["summary"] = summarize(table)
        else:
            entry["rows"] = [{k: plain(v) for k, v in row.items()} for row in table.to_pylist()]
        result[f] = entry
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
