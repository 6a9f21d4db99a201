"""Counts the feed outlines of a folder of OPML files and what `dossier feeds import-opml`
accounts for, file by file.

A feed outline is an `<outline` start tag (any case, outside comments) whose text, up to
the next outline tag or `</outline>` / `</body>`, has an `xmlUrl=` attribute (any case).
That count is made here with plain text matching, apart from dossier's reader. Each file
is then imported into an empty config of its own in a temporary folder, and the three
numbers of the summary line (added, already there, invalid) are added up.

    python3 scripts/opml_corpus.py target/release/dossier ../shared/bench/feeds/opml

Prints a Markdown table and the files where the two counts differ; exits 1 if any do.
The files are read in place; nothing is copied.
"""
import os
import re
import subprocess
import sys
import tempfile

COMMENT = re.compile(rb"<!--.*?(-->|\Z)", re.S)
CDATA = re.compile(rb"<!\[CDATA\[.*?(\]\]>|\Z)", re.S)
OUTLINE = re.compile(rb"<outline(?=[\s/>]|\Z)", re.I)
STOP = re.compile(rb"<outline(?=[\s/>]|\Z)|</outline|</body|</opml", re.I)
XMLURL = re.compile(rb"\sxmlurl\s*=", re.I)
SUMMARY = re.compile(r"added (\d+) feeds .*?skipped (\d+) already there, (\d+) invalid")


def feed_outlines(data: bytes) -> int:
    data = CDATA.sub(b"", COMMENT.sub(b"", data))
    count = 0
    for m in OUTLINE.finditer(data):
        stop = STOP.search(data, m.end())
        chunk = data[m.end() : stop.start() if stop else len(data)]
        if XMLURL.search(b" " + chunk):
            count += 1
    return count


def imported(dossier: str, path: str) -> tuple[int, int, int, int]:
    """(added, already there, invalid, outlines read leniently) as the import reports them."""
    with tempfile.TemporaryDirectory() as tmp:
        config = os.path.join(tmp, "dossier.toml")
        with open(config, "w", encoding="utf-8") as f:
            f.write('[store]\npath = "store.sqlite"\n')
        out = subprocess.run(
            [dossier, "--config", config, "feeds", "import-opml", path],
            capture_output=True,
            text=True,
            check=False,
        )
    m = SUMMARY.search(out.stdout)
    notes = sum(1 for line in out.stderr.splitlines() if ": read although " in line)
    if not m:
        # No summary: a file without feed outlines (exit 2), or a failure.
        return (0, 0, 0, notes)
    added, there, invalid = (int(g) for g in m.groups())
    return (added, there, invalid, notes)


def main() -> None:
    dossier, folder = sys.argv[1], sys.argv[2]
    files = sorted(f for f in os.listdir(folder) if not f.endswith(".tsv"))
    totals = [0] * 6
    with_feeds = 0
    differ = []
    for name in files:
        path = os.path.join(folder, name)
        with open(path, "rb") as f:
            expected = feed_outlines(f.read())
        added, there, invalid, notes = imported(dossier, path)
        accounted = added + there + invalid
        with_feeds += expected > 0
        for i, v in enumerate((expected, accounted, added, there, invalid, notes)):
            totals[i] += v
        if accounted != expected:
            differ.append((name, expected, accounted))
    print(f"{len(files)} OPML files, {with_feeds} of them with feed outlines\n")
    print("| feed outlines (text count) | accounted for | added | already there | invalid | read leniently |")
    print("|---|---|---|---|---|---|")
    print("| " + " | ".join(str(t) for t in totals) + " |")
    for name, expected, accounted in differ:
        print(f"\n{name}: {expected} feed outlines, {accounted} accounted for")
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
