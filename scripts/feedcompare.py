"""Helpers shared by the feedparser comparisons (`conformance.py`, `realworld.py`).

Not a script: it reads both parsers' output into the same plain fields so that the two
comparisons normalise titles, links, ids and dates alike. feedparser's side takes a
feedparser entry; dossier's side takes one JSON line of `dossier parse`.
"""
import concurrent.futures
import html
import json
import os
import re
import subprocess
import urllib.parse
import warnings
from datetime import datetime, timezone


# ---------- feedparser's side, normalised ----------

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


def fp_left_out(entry):
    """Why dossier would drop this feedparser entry, or None when it would keep it.

    dossier drops an entry with no title, no text and no link (README, identity rules).
    Text is what is left of summary/content once tags are stripped; a link counts only
    when absolute (there is no base URL for a file) and not when feedparser made it up
    from the entry's id (feedparser's `guidislink`: an id-only entry gets its id as link).
    """
    if fp_title(entry) or fp_texts(entry):
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


def utc_seconds(t):
    """calendar.timegm, also for years past 9999 (which feedparser can return)."""
    y, m, d, hh, mm, ss = t[:6]
    y2 = y - (m <= 2)  # days-from-civil (proleptic Gregorian)
    era = y2 // 400
    yoe = y2 - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    days = era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468
    return days * 86400 + hh * 3600 + mm * 60 + ss


def fp_instant(entry):
    # plain dict access: FeedParserDict's key mapping would alias updated/published
    for key in ("published_parsed", "updated_parsed"):
        t = dict.get(entry, key)
        if t:
            return utc_seconds(t)
    return None


def fp_fields(entry):
    return {
        "title": fp_title(entry),
        "link": entry.get("link") or None,
        "id": entry.get("id") or None,
        "date": fp_instant(entry),
    }


# ---------- dossier's side ----------

def dossier_instant(item):
    v = item.get("published_at")
    if not v:
        return None
    return int(datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp())


def dossier_fields(item):
    return {
        "title": collapse(item.get("title")),
        "link": item.get("original_url"),
        "id": item.get("guid") or None,
        "date": dossier_instant(item),
    }


def show_instant(t):
    if t is None:
        return None
    try:
        return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (ValueError, OverflowError, OSError):
        return f"{t} s after 1970"


# ---------- running the two parsers ----------

def run_dossier(binary, cwd, rel, timeout=60):
    """`dossier parse REL` in CWD: exit code (or "timeout"), the items, stderr."""
    try:
        p = subprocess.run([binary, "parse", rel], cwd=cwd, capture_output=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"rc": "timeout", "items": [], "stderr": f"timeout after {timeout} s"}
    items = []
    if p.returncode == 0:
        items = [json.loads(line) for line in p.stdout.decode("utf-8").splitlines() if line.strip()]
    return {"rc": p.returncode, "items": items, "stderr": p.stderr.decode("utf-8", "replace")}


def run_dossier_all(binary, cwd, files, timeout=60, workers=None):
    workers = workers or os.cpu_count() or 2
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        return dict(zip(files, pool.map(lambda r: run_dossier(binary, cwd, r, timeout), files)))


def run_feedparser(feedparser, path):
    with open(path, "rb") as f:
        data = f.read()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return feedparser.parse(data)


# ---------- printing ----------

def pct(n, d):
    return f"{100.0 * n / d:.1f}%" if d else "n/a"


def section(title, rows):
    if rows:
        print(f"\n## {title}\n")
        for r in rows:
            print("- " + " | ".join(str(x) for x in r))
