#!/usr/bin/env python3
"""Compares `dossier parse` with Python feedparser on feedparser's own test corpus.

Usage:
    python3 scripts/conformance.py [SDIST_DIR] [--dossier PATH] [--examples N]

SDIST_DIR is the unpacked feedparser 6.0.11 sdist (the folder holding `tests/`). Without
it, the sdist is fetched with `pip download --no-deps --no-binary :all: feedparser==6.0.11`
into a temporary folder and unpacked there. The installed `feedparser` package does the
reference parse (it is pip-installed, same version, when `import feedparser` fails).
`--dossier` defaults to target/release/dossier. This is a measuring tool for the
developers only: dossier itself never depends on Python.

Corpus: every *.xml under tests/wellformed, tests/illformed, tests/encoding and
tests/entities (one feed per file, a header comment saying what feedparser must find).
Left out: tests/http (status codes and redirects that need feedparser's test server) and
tests/compression (gzip/deflate bodies that are only feeds after HTTP Content-Encoding).
The 6.0.11 corpus has no JSON Feed tests (feedparser 6.0.11 does not read JSON Feed).
Both parsers get the same bytes from disk, with no HTTP headers and no base URL.

Per file, `dossier parse FILE` must exit 0 (JSON Lines on stdout) or 1 (not a feed, with
a message on stderr); exit 101 is a panic, anything else (or a 60 s timeout) is an error.

Entries are paired by position, only when both sides yield the same number of entries;
the rest count as "entry count differs". First, feedparser's entries that have no title,
no text (summary or content, tags stripped) and no absolute link are left out: dossier
drops those by design (README, identity rules), and most corpus files test one lone field
in an otherwise empty entry (see `fp_left_out`). Fields compared per pair:

- title: feedparser `title` vs dossier `title`, white space collapsed. A feedparser title
  whose title_detail type is HTML/XHTML has its tags stripped and entities unescaped
  (it is markup); a text/plain one is taken as it is (it is already text). Entries
  without a feedparser title are counted apart: dossier shows their text (else link)
  by design, which is checked against feedparser's summary text (else link).
- link: feedparser `link` vs dossier `original_url` (`url` drops tracking parameters).
- id: feedparser `id` vs dossier `guid` (an empty id counts as no id: null).
- date: feedparser published_parsed, else updated_parsed (UTC struct_time), as a UTC
  instant to the second, vs dossier `published_at`; both missing agree.

Because both-missing agrees, each row also gives the agreement among entries where at
least one side has a value.

Probe pass: where dossier dropped every entry of a file because each held only an id, a
date, an author… and no title element (so nothing about link, id or date could be
compared), the file is parsed again by both with `<title>probe</title>` added to each
unprefixed <item>/<entry>, and link, id and date are compared on that copy, in a table
of their own.

Date strings: the `date_tests` table of tests/runtests.py (feedparser's date-parser unit
tests, read with ast, not run) is put through both parsers, each string in an RSS
<pubDate> and in an Atom <updated>, and compared with each other and with the test's
expected value. The corpus files hold few dates of their own.

Prints Markdown: the tables, the files dossier rejected or panicked on, and up to N
example disagreements per field. How both sides are normalised, and how the parsers are
run, is in feedcompare.py, shared with realworld.py.
"""
import argparse
import ast
import glob
import os
import re
import subprocess
import sys
import tarfile
import tempfile
from collections import Counter
from xml.sax.saxutils import escape

from feedcompare import (dossier_fields, dossier_instant, fp_fallback_title, fp_fields,
                         fp_instant, fp_left_out, pct, run_dossier_all, run_feedparser,
                         section, show_instant, utc_seconds)

FEEDPARSER_VERSION = "6.0.11"
CORPUS_DIRS = ("wellformed", "illformed", "encoding", "entities")
FIELDS = ("title", "link", "id", "date")


# ---------- setup ----------

def ensure_feedparser():
    try:
        import feedparser  # noqa: F401
    except ImportError:
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", f"feedparser=={FEEDPARSER_VERSION}"],
            check=True,
        )
    import feedparser

    if feedparser.__version__ != FEEDPARSER_VERSION:
        print(f"note: feedparser {feedparser.__version__} installed, corpus is "
              f"{FEEDPARSER_VERSION}", file=sys.stderr)
    return feedparser


def fetch_sdist():
    """Downloads and unpacks the feedparser sdist into a temporary folder."""
    tmp = tempfile.mkdtemp(prefix="feedparser-sdist-")
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
         f"feedparser=={FEEDPARSER_VERSION}", "-d", tmp],
        check=True,
    )
    archive = glob.glob(os.path.join(tmp, "feedparser-*.tar.gz"))[0]
    with tarfile.open(archive) as tar:
        if hasattr(tarfile, "data_filter"):  # Python 3.12+, 3.11.4+
            tar.extractall(tmp, filter="data")
        else:
            tar.extractall(tmp)
    print(f"feedparser sdist unpacked in {tmp}", file=sys.stderr)
    return os.path.join(tmp, f"feedparser-{FEEDPARSER_VERSION}")


def corpus_files(sdist):
    tests = os.path.join(sdist, "tests")
    files = []
    for d in CORPUS_DIRS:
        files += glob.glob(os.path.join(tests, d, "**", "*.xml"), recursive=True)
    return tests, sorted(os.path.relpath(f, tests) for f in files)


# ---------- tallying ----------

class Tally:
    """Agreement per field, with examples of disagreements."""

    def __init__(self, fields, max_examples):
        self.fields = fields
        self.max_examples = max_examples
        self.stats = {f: Counter() for f in fields}
        self.examples = {f: [] for f in fields}

    def compare(self, rel, pairs):
        for field in self.fields:
            st = self.stats[field]
            counted = False
            for i, (a, b) in enumerate(pairs):
                if field == "title" and a["title"] is None:
                    continue  # untitled entries are tallied apart
                counted = True
                st["entries"] += 1
                valued = a[field] is not None or b[field] is not None
                st["valued"] += valued
                if a[field] == b[field]:
                    st["agree"] += 1
                    st["valued_agree"] += valued
                else:
                    st["disagree"] += 1
                    if len(self.examples[field]) < self.max_examples:
                        fa, fb = a[field], b[field]
                        if field == "date":
                            fa, fb = show_instant(fa), show_instant(fb)
                        self.examples[field].append((rel, i, repr(fa), repr(fb)))
            st["files"] += counted

    def table(self):
        rows = ["| field | files compared | entries compared | agreements | agreement % "
                "| entries with a value on either side | agreements among those |",
                "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for field in self.fields:
            st = self.stats[field]
            pct = 100.0 * st["agree"] / st["entries"] if st["entries"] else 0.0
            vpct = 100.0 * st["valued_agree"] / st["valued"] if st["valued"] else 0.0
            rows.append(f"| {field} | {st['files']} | {st['entries']} | {st['agree']} "
                        f"| {pct:.1f} | {st['valued']} | {st['valued_agree']} ({vpct:.1f}%) |")
        return rows


# ---------- probe: give title-less entries a title ----------

ENTRY_OPEN = re.compile(rb"(<(?:item|entry)(?:\s[^<>]*)?(?<!/)>)")


def with_probe_titles(data):
    """The document with <title>probe</title> after each unprefixed <item>/<entry> open
    tag, or None for documents an ASCII insertion would break (UTF-16/32, EBCDIC)."""
    head = data.lstrip(b"\xef\xbb\xbf").lstrip()
    if not head.startswith(b"<") or b"\x00" in data[:64]:
        return None
    probed, n = ENTRY_OPEN.subn(rb"\1<title>probe</title>", data)
    return probed if n else None


# ---------- date strings of feedparser's unit tests ----------

DATE_WRAPPERS = {
    "rss pubDate": '<rss version="2.0"><channel><title>t</title><item><title>d</title>'
                   '<link>http://example.com/d</link><pubDate>{}</pubDate></item></channel></rss>',
    "atom updated": '<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><entry>'
                    '<title>d</title><link href="http://example.com/d"/><id>urn:d</id>'
                    '<updated>{}</updated></entry></feed>',
}


def date_strings(tests):
    """(parser name, date string, expected UTC instant or None) from the `date_tests`
    table of tests/runtests.py, read with ast (runtests.py is not run)."""
    with open(os.path.join(tests, "runtests.py"), encoding="utf-8") as f:
        tree = ast.parse(f.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "date_tests":
            for key, value in zip(node.value.keys, node.value.values):
                for text, expected in ast.literal_eval(value):
                    yield key.id, text, utc_seconds(expected) if expected else None


def compare_date_strings(feedparser, binary, tests, tmp):
    """Each date string in an RSS <pubDate> and in an Atom <updated>, parsed by both."""
    cases = []
    for n, (func, text, expected) in enumerate(date_strings(tests)):
        for container, template in DATE_WRAPPERS.items():
            rel = f"date-{n:03d}-{container.split()[0]}.xml"
            with open(os.path.join(tmp, rel), "w", encoding="utf-8") as f:
                f.write(template.format(escape(text)))
            cases.append((rel, func, text, container, expected))
    runs = run_dossier_all(binary, tmp, [c[0] for c in cases])
    rows = []
    for rel, func, text, container, expected in cases:
        entries = run_feedparser(feedparser, os.path.join(tmp, rel)).get("entries", [])
        fp = fp_instant(entries[0]) if entries else None
        d = runs[rel]
        got = dossier_instant(d["items"][0]) if d["rc"] == 0 and d["items"] else None
        if d["rc"] == 101:
            got = "panic"
        rows.append((func, text, container, expected, fp, got))
    return rows


# ---------- main ----------

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sdist", nargs="?", help="unpacked feedparser sdist (holds tests/)")
    ap.add_argument("--dossier", default="target/release/dossier")
    ap.add_argument("--examples", type=int, default=15, help="disagreements shown per field")
    args = ap.parse_args()

    binary = os.path.abspath(args.dossier)
    feedparser = ensure_feedparser()
    sdist = args.sdist or fetch_sdist()
    tests, files = corpus_files(sdist)
    dossier_runs = run_dossier_all(binary, tests, files)

    main_tally = Tally(FIELDS, args.examples)
    untitled = Counter()
    untitled_examples = []
    rejected, rejected_with_entries, panics, errors, count_differs = [], [], [], [], []
    fp_crashes, probe_candidates = [], []
    files_paired = 0
    left_out_files, left_out_why = 0, Counter()

    for rel in files:
        d = dossier_runs[rel]
        try:
            fp = run_feedparser(feedparser, os.path.join(tests, rel))
        except Exception as e:  # feedparser should not raise; record it when it does
            fp_crashes.append((rel, repr(e)))
            continue
        all_fp_entries = fp.get("entries", [])
        why = [fp_left_out(e) for e in all_fp_entries]
        fp_entries = [e for e, w in zip(all_fp_entries, why) if w is None]
        if d["rc"] == 101:
            panics.append((rel, " ".join(d["stderr"].strip().splitlines()[:2])))
            continue
        if d["rc"] == 1:
            rejected.append(rel)
            if all_fp_entries:
                rejected_with_entries.append((rel, len(all_fp_entries), d["stderr"].strip()))
            continue
        if d["rc"] != 0:
            errors.append((rel, d["rc"], d["stderr"].strip()))
            continue
        if len(fp_entries) != len(d["items"]):
            count_differs.append((rel, len(fp_entries), len(d["items"])))
            continue
        if len(fp_entries) < len(all_fp_entries):
            left_out_files += 1
            left_out_why.update(w for w in why if w)
            if not fp_entries and not any("title" in e for e in all_fp_entries):
                probe_candidates.append(rel)  # a title element would be doubled
        if not fp_entries:
            continue
        files_paired += 1
        pairs = [(fp_fields(e), dossier_fields(item)) for e, item in zip(fp_entries, d["items"])]
        main_tally.compare(rel, pairs)
        for i, ((a, b), e) in enumerate(zip(pairs, fp_entries)):
            if a["title"] is None:
                want = fp_fallback_title(e)
                untitled["entries"] += 1
                if want == b["title"]:
                    untitled["agree"] += 1
                elif len(untitled_examples) < args.examples:
                    untitled_examples.append((rel, i, repr(want), repr(b["title"])))

    # the probe pass, on copies in a temporary folder
    probe_tally = Tally(("link", "id", "date"), args.examples)
    probe = Counter()
    probe_count_differs = []
    with tempfile.TemporaryDirectory(prefix="dossier-conformance-") as tmp:
        probed = []
        for rel in probe_candidates:
            with open(os.path.join(tests, rel), "rb") as f:
                data = with_probe_titles(f.read())
            if data is None:
                probe["skipped"] += 1
                continue
            os.makedirs(os.path.dirname(os.path.join(tmp, rel)), exist_ok=True)
            with open(os.path.join(tmp, rel), "wb") as f:
                f.write(data)
            probed.append(rel)
        probe_runs = run_dossier_all(binary, tmp, probed)
        for rel in probed:
            d = probe_runs[rel]
            fp_entries = run_feedparser(feedparser, os.path.join(tmp, rel)).get("entries", [])
            if d["rc"] == 101:
                panics.append((f"{rel} (probe copy)", d["stderr"].strip().splitlines()[:1]))
            elif d["rc"] != 0:
                probe["dossier failed"] += 1
            elif len(fp_entries) != len(d["items"]):
                probe["entry count differs"] += 1
                probe_count_differs.append((rel, len(fp_entries), len(d["items"])))
            else:
                probe["files"] += 1
                probe_tally.compare(rel, [(fp_fields(e), dossier_fields(item))
                                          for e, item in zip(fp_entries, d["items"])])
        dates = compare_date_strings(feedparser, binary, tests, tmp)

    try:
        import chardet  # noqa: F401  (feedparser guesses undeclared charsets with it)
        have_chardet = "with chardet"
    except ImportError:
        have_chardet = "without chardet"
    out = [f"# dossier vs feedparser {feedparser.__version__} ({have_chardet}): "
           f"{len(files)} corpus files", ""]
    out += main_tally.table()
    out += ["", f"Entries without a feedparser title (left out of the title row): "
            f"{untitled['entries']}; dossier's fallback title equals feedparser's text "
            f"(else link) for {untitled['agree']} ({pct(untitled['agree'], untitled['entries'])}).",
            "", "| outcome | files |", "| --- | ---: |",
            f"| corpus files | {len(files)} |",
            f"| compared entry by entry (same entry count, at least one entry) | {files_paired} |",
            f"| dossier failed (exit 1) | {len(rejected)} |",
            f"| … of which feedparser found entries | {len(rejected_with_entries)} |",
            f"| dossier panicked (exit 101) | {len(panics)} |",
            f"| dossier other exit / timeout | {len(errors)} |",
            f"| entry count differs | {len(count_differs)} |",
            f"| same count once feedparser's entries that dossier drops by design are left out "
            f"({sum(left_out_why.values())} entries) | {left_out_files} |"]
    out += [f"| … entries left out: {w} | {n} |" for w, n in sorted(left_out_why.items())]
    out += [f"| feedparser raised | {len(fp_crashes)} |", ""]
    out += [f"## Probe: files whose every entry dossier dropped, with a title added to each "
            f"entry ({len(probe_candidates)} files: {probe['files']} compared, "
            f"{probe['entry count differs']} entry count differs, {probe['dossier failed']} "
            f"dossier failed, {probe['skipped']} not ASCII-compatible)", ""]
    out += probe_tally.table()
    out += ["", f"## Date strings of runtests.py's date_tests ({len(dates) // len(DATE_WRAPPERS)} "
            f"strings, each in an RSS <pubDate> and an Atom <updated>)", "",
            "| container | cases | dossier = feedparser | dossier = test's expected value "
            "| feedparser = expected | dossier panics |", "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for container in DATE_WRAPPERS:
        rows = [r for r in dates if r[2] == container]
        n = len(rows)
        same_fp = sum(r[5] == r[4] for r in rows)
        same_exp = sum(r[5] == r[3] for r in rows)
        fp_exp = sum(r[4] == r[3] for r in rows)
        panic = sum(r[5] == "panic" for r in rows)
        out.append(f"| {container} | {n} | {same_fp} ({pct(same_fp, n)}) | {same_exp} "
                   f"({pct(same_exp, n)}) | {fp_exp} ({pct(fp_exp, n)}) | {panic} |")
    print("\n".join(out))

    reasons = Counter()
    for rel in rejected:
        msg = dossier_runs[rel]["stderr"].strip().splitlines()[-1]
        reasons[re.sub(r" at position \d+", "", msg.replace(f"{rel}: ", ""))] += 1
    section("dossier exit 1, by message (files, message)",
            [(n, m) for m, n in reasons.most_common()])
    section("Panics (exit 101)", panics)
    section("Other exits", errors)
    section("dossier failed where feedparser found entries (file, feedparser entries, stderr)",
            rejected_with_entries)
    section("Entry count differs (file, feedparser, dossier)", count_differs)
    section("Probe: entry count differs (file, feedparser, dossier)", probe_count_differs)
    section("feedparser raised", fp_crashes)
    section(f"Untitled entries: feedparser text or link vs dossier's title "
            f"({untitled['entries'] - untitled['agree']}; file, entry, feedparser, dossier)",
            untitled_examples)
    section("Date strings where dossier differs from feedparser or the expected value "
            "(parser, string, container, expected, feedparser, dossier)",
            [(f, repr(t), c, show_instant(e), show_instant(fp), show_instant(g)
              if g != "panic" else g) for f, t, c, e, fp, g in dates if g != fp or g != e])
    for tally, label in ((main_tally, ""), (probe_tally, " (probe)")):
        for field in tally.fields:
            section(f"Disagreements{label}: {field} ({tally.stats[field]['disagree']}; "
                    f"file, entry, feedparser, dossier)", tally.examples[field])


if __name__ == "__main__":
    main()
