"""Runs htmldate over a labelled page set, for comparison with `dossier inspect`.

Reads `labels.tsv` (file, date, url) beside `pages/`, calls
htmldate.find_date(bytes, url=url, original_date=True, extensive_search=MODE) on each
page, and prints one JSON line per page: {"file", "date", "seconds"}. Only used by the
benchmark suite; dossier itself never depends on Python.
"""
import csv
import json
import sys
import time

from htmldate import find_date


def main() -> None:
    root, mode = sys.argv[1], sys.argv[2]
    extensive = mode == "extensive"
    with open(f"{root}/labels.tsv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    for row in rows:
        with open(f"{root}/pages/{row['file']}", "rb") as page:
            data = page.read()
        started = time.perf_counter()
        try:
            got = find_date(data, url=row["url"], original_date=True, extensive_search=extensive)
        except Exception:  # a crash on one page counts as no date, like a miss
            got = None
        took = time.perf_counter() - started
        print(json.dumps({"file": row["file"], "date": got, "seconds": took}))


if __name__ == "__main__":
    main()
