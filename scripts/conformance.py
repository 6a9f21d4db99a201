#!/usr/bin/env python3
"""Compares `dossier parse` with Python feedparser on feedparser's own test corpus.

Usage:
    python3 scripts/conformance.py [SDIST_DIR] [--dossier PATH] [--examples N]

SDIST_DIR is the unpacked feedparser 6.0.11 sdist (the folder holding `tests/`). Without
it, the sdist is fetched with `pip download --no-deps --no-binary :all: feedparser==6.0.11`
into a temporary folder and unpacked there. The installed `feedparser` package does the
reference parse (it is pip-installed, same version, when `import feedparser` fails).
`--dossier` defaults to target/release/dossier.

Corpus: every *.xml under tests/wellformed, tests/illformed, tests/encoding and
tests/entities (one feed per file, a header comment saying what feedparser must find).
Left out: tests/http (status codes and redirects that need feedparser's test server) and
tests/compression (gzip/deflate bodies that are only feeds after HTTP Content-Encoding).
The 6.0.11 corpus has no JSON Feed tests (feedparser 6.0.11 does not read JSON Feed).
Both parsers get the same bytes from disk, with no HTTP headers and no base URL.

Per file, `dossier parse FILE` must exit 0 (JSON Lines on stdout) or 1 (not a feed, with
a message on stderr); exit 101 is a panic, anything else (or a 60 s timeout) is an error.
Entries are paired by position, only when both sides yield the same number of entries;
the rest are counted as "entry count differs". Feedparser's entries that have no title,
no text (summary or content, tags stripped) and no absolute link are left out first:
dossier drops those by design (README, identity rules), and many corpus files test one
such lone field (see fp_is_empty). Fields compared per pair:

- title: feedparser `title` vs dossier `title`, white space collapsed. A feedparser title
  whose title_detail type is HTML/XHTML has its tags stripped and entities unescaped
  (it is markup); a text/plain one is taken as it is (it is already text). Entries
  without a feedparser title are counted apart ("untitled"): dossier then shows the
  entry's text or link, by design, and they are left out of the agreement figure.
- link: feedparser `link` vs dossier `original_url` (`url` drops tracking parameters).
- id: feedparser `id` vs dossier `guid` (an empty id counts as no id: null).
- date: feedparser published_parsed, else updated_parsed (UTC struct_time), as a UTC
  instant to the second, vs dossier `published_at`; both missing agree.

Prints a Markdown table of agreement per field, the files dossier rejected or panicked
on, and up to N example disagreements per field. This is a measuring tool for the
developers only: dossier itself never depends on Python.
"""
import argparse
import calendar
import concurrent.futures
import glob
import html
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import urllib.parse
import warnings
from datetime import datetime, timezone

FEEDPARSER_VERSION = "6.0.11"
CORPUS_DIRS = ("wellformed", "illformed", "encoding", "entities")
FIELDS = ("title", "link", "id", "date")


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
    return os.path.join(tmp, f"feedparser-{FEEDPARSER_VERSION}")


def corpus_files(sdist):
    tests = os.path.join(sdist, "tests")
    files = []
    for d in CORPUS_DIRS:
        files += glob.glob(os.path.join(tests, d, "**", "*.xml"), recursive=True)
    return tests, sorted(os.path.relpath(f, tests) for f in files)


# ---------- normalisation ----------

def collapse(s):
    return re.sub(r"\s+", " ", s).strip() if s is not None else None


def as_text(value, kind):
    """feedparser's value of a text construct as plain text: markup (text/html,
    application/xhtml+xml) has its tags stripped and entities unescaped; text/plain is
    already text."""
    if not value:
        return None
    if "html" in (kind or "text/plain"):
        value = html.unescape(re.sub(r"<[^>]+>", "", value))
    return collapse(value) or None


def fp_title(entry):
    return as_text(entry.get("title"), (entry.get("title_detail") or {}).get("type"))


def fp_texts(entry):
    """feedparser's summary, then each content, as plain text."""
    contents = entry.get("content", [])
    # without summary_detail, feedparser's summary is a copy of the first content
    kind = (entry.get("summary_detail") or (contents[0] if contents else {})).get("type")
    texts = [as_text(entry.get("summary"), kind)]
    texts += [as_text(c.get("value"), c.get("type")) for c in contents]
    return [t for t in texts if t]


def fp_instant(entry):
    # plain dict access: FeedParserDict's key mapping would alias updated/published
    for key in ("published_parsed", "updated_parsed"):
        t = dict.get(entry, key)
        if t:
            return calendar.timegm(t)
    return None


def dossier_instant(item):
    v = item.get("published_at")
    if not v:
        return None
    return int(datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp())


def show_instant(t):
    if t is None:
        return None
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def fp_is_empty(entry):
    """Why dossier would drop this feedparser entry, or None when it would keep it.

    dossier drops an entry with no title, no text and no link (README, identity rules).
    Text is what is left of summary/content once tags are stripped; a link counts only
    when absolute (there is no base URL for a file) and not when feedparser made it up
    from the entry's id (feedparser's `guidislink`: an id-only entry gets its id as link).
    """
    if fp_title(entry):
        return None
    if fp_texts(entry):
        return None
    link = entry.get("link")
    if link and urllib.parse.urlsplit(link).netloc:
        if not entry.get("guidislink"):
            return None
        return "only an id, which feedparser copies into link"
    if link:
        return "no title or text, only a relative link"
    return "no title, no text, no link"


def fp_fallback_title(entry):
    """What dossier should show for an entry feedparser has no title for: its text, else
    its link (dossier shows the canonical form of the link; compared as is here)."""
    texts = fp_texts(entry)
    return texts[0] if texts else entry.get("link") or None


def fp_fields(entry):
    return {
        "title": fp_title(entry),
        "link": entry.get("link") or None,
        "id": entry.get("id") or None,
        "date": fp_instant(entry),
    }


def dossier_fields(item):
    return {
        "title": collapse(item.get("title")),
        "link": item.get("original_url"),
        "id": item.get("guid") or None,
        "date": dossier_instant(item),
    }


# ---------- running the two parsers ----------

def run_dossier(binary, tests, rel):
    try:
        p = subprocess.run([binary, "parse", rel], cwd=tests, capture_output=True, timeout=60)
    except subprocess.TimeoutExpired:
        return {"rc": "timeout", "items": [], "stderr": "timeout after 60 s"}
    items = []
    if p.returncode == 0:
        items = [json.loads(line) for line in p.stdout.decode("utf-8").splitlines() if line.strip()]
    return {"rc": p.returncode, "items": items, "stderr": p.stderr.decode("utf-8", "replace")}


def run_feedparser(feedparser, tests, rel):
    with open(os.path.join(tests, rel), "rb") as f:
        data = f.read()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return feedparser.parse(data)


# ---------- report ----------

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

    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        dossier_runs = dict(zip(files, pool.map(lambda r: run_dossier(binary, tests, r), files)))

    stats = {f: {"files": 0, "entries": 0, "agree": 0, "valued": 0, "valued_agree": 0}
             for f in FIELDS}
    examples = {f: [] for f in FIELDS}
    disagreeing = {f: 0 for f in FIELDS}
    untitled = {"entries": 0, "agree": 0, "examples": []}
    rejected, rejected_with_entries, panics, errors, count_differs = [], [], [], [], []
    fp_crashes = []
    files_paired = 0
    dropped_empty = [0, 0]  # files, entries: feedparser entries dossier drops by design
    left_out_why = {}

    for rel in files:
        d = dossier_runs[rel]
        try:
            fp = run_feedparser(feedparser, tests, rel)
        except Exception as e:  # feedparser itself should not crash; record if it does
            fp_crashes.append((rel, repr(e)))
            continue
        all_fp_entries = fp.get("entries", [])
        # dossier drops entries with no title, no text and no link (README, Identity)
        fp_entries = [e for e in all_fp_entries if not fp_is_empty(e)]
        left_out = [fp_is_empty(e) for e in all_fp_entries if fp_is_empty(e)]
        if d["rc"] == 101:
            panics.append((rel, d["stderr"].strip().splitlines()[:1]))
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
        if left_out:
            dropped_empty[0] += 1
            dropped_empty[1] += len(left_out)
            for why in left_out:
                left_out_why[why] = left_out_why.get(why, 0) + 1
        if not fp_entries:
            continue
        files_paired += 1
        seen_in_file = set()
        for i, (e, item) in enumerate(zip(fp_entries, d["items"])):
            a, b = fp_fields(e), dossier_fields(item)
            for field in FIELDS:
                if field == "title" and a["title"] is None:
                    untitled["entries"] += 1
                    want = fp_fallback_title(e)
                    if want == b["title"]:
                        untitled["agree"] += 1
                    elif len(untitled["examples"]) < args.examples:
                        untitled["examples"].append((rel, i, repr(want), repr(b["title"])))
                    continue
                st = stats[field]
                if (field, "file") not in seen_in_file:
                    seen_in_file.add((field, "file"))
                    st["files"] += 1
                st["entries"] += 1
                valued = a[field] is not None or b[field] is not None
                st["valued"] += valued
                if a[field] == b[field]:
                    st["agree"] += 1
                    st["valued_agree"] += valued
                else:
                    disagreeing[field] += 1
                    if len(examples[field]) < args.examples:
                        fa, fb = a[field], b[field]
                        if field == "date":
                            fa, fb = show_instant(fa), show_instant(fb)
                        examples[field].append((rel, i, fa, fb))

    out = []
    try:
        import chardet  # noqa: F401  (feedparser guesses undeclared charsets with it)
        have_chardet = "with chardet"
    except ImportError:
        have_chardet = "without chardet"
    out.append(f"# dossier vs feedparser {feedparser.__version__} ({have_chardet}): "
               f"{len(files)} corpus files\n")
    out.append("| field | files compared | entries compared | agreements | agreement % "
               "| entries with a value on either side | agreements among those |")
    out.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for field in FIELDS:
        st = stats[field]
        pct = 100.0 * st["agree"] / st["entries"] if st["entries"] else 0.0
        vpct = 100.0 * st["valued_agree"] / st["valued"] if st["valued"] else 0.0
        out.append(f"| {field} | {st['files']} | {st['entries']} | {st['agree']} | {pct:.1f} "
                   f"| {st['valued']} | {st['valued_agree']} ({vpct:.1f}%) |")
    out.append("")
    out.append("| outcome | files |")
    out.append("| --- | ---: |")
    out.append(f"| corpus files | {len(files)} |")
    out.append(f"| compared entry by entry (same entry count, at least one entry) | {files_paired} |")
    out.append(f"| dossier failed (exit 1) | {len(rejected)} |")
    out.append(f"| … of which feedparser found entries | {len(rejected_with_entries)} |")
    out.append(f"| dossier panicked (exit 101) | {len(panics)} |")
    out.append(f"| dossier other exit / timeout | {len(errors)} |")
    out.append(f"| entry count differs | {len(count_differs)} |")
    out.append(f"| same count once feedparser's entries without title, text and link are "
               f"left out ({dropped_empty[1]} entries) | {dropped_empty[0]} |")
    for why, n in sorted(left_out_why.items()):
        out.append(f"| … entries left out: {why} | {n} |")
    out.append(f"| feedparser raised | {len(fp_crashes)} |")
    out.append("")
    u = untitled
    pct = 100.0 * u["agree"] / u["entries"] if u["entries"] else 0.0
    out.append("Entries without a feedparser title are left out of the title row; dossier shows "
               "their text (else link) instead. Against feedparser's text (tags stripped) or link: "
               f"{u['agree']} of {u['entries']} agree ({pct:.1f}%).")
    print("\n".join(out))

    def section(title, rows):
        if rows:
            print(f"\n## {title}\n")
            for r in rows:
                print("- " + " | ".join(str(x) for x in r))

    reasons = {}
    for rel in rejected:
        msg = dossier_runs[rel]["stderr"].strip().splitlines()[-1]
        msg = re.sub(r" at position \d+", "", msg.replace(f"{rel}: ", ""))
        reasons[msg] = reasons.get(msg, 0) + 1
    section("dossier exit 1, by message (files)",
            sorted(((n, m) for m, n in reasons.items()), reverse=True))
    section("Panics (exit 101)", panics)
    section("Other exits", errors)
    section("dossier failed where feedparser found entries (file, fp entries, stderr)",
            rejected_with_entries)
    section("Entry count differs (file, feedparser, dossier)", count_differs)
    section("feedparser raised", fp_crashes)
    section("Untitled entries: feedparser text or link vs dossier's title "
            f"({untitled['entries'] - untitled['agree']}; file, entry, feedparser, dossier)",
            untitled["examples"])
    for field in FIELDS:
        section(f"Disagreements: {field} ({disagreeing[field]}; file, entry, feedparser, dossier)",
                [(r, i, repr(a), repr(b)) for r, i, a, b in examples[field]])


if __name__ == "__main__":
    main()
