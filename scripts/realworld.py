#!/usr/bin/env python3
"""Compares `dossier parse` with Python feedparser on real-world feed documents.

Usage:
    python3 scripts/realworld.py [--corpus DIR] [--dossier PATH] [--examples N]
                                 [--json OUT] [--timeout S]

The corpus is ../shared/bench/feeds beside the project (`--corpus` to point elsewhere):
feed documents from other feed projects' public test data, each listed in its
manifest.tsv with the project it came from, its kind (`capture`: a real site's feed as
served; `sample`: hand-written or a spec example; `testcase`: a feed validator case it
expects to be valid) and its format (rss, atom, rdf, rss1.1, json, opml). It is
third-party content: this script reads it where it lies and never copies it. When the
folder is absent, the script prints "skipped: …" and exits 0; without Python feedparser
it does the same. `--dossier` defaults to target/release/dossier. `--json OUT` writes
every file's raw results (both sides' fields per entry, the pairing, the flags and
classes) for diffing two runs; `--examples` (default 3) is the examples shown per class.
A measuring tool for the developers only: dossier never depends on Python.

Method. Both parsers read the same bytes from disk, with no HTTP headers and no base
URL: `dossier parse FILE` (two at a time, `--timeout` seconds each, default 30) and
feedparser.parse on the file's bytes. feedparser 6.0 does not read JSON Feed, so for the
`json` documents the reference is a reading of the JSON Feed 1.1 spec (`json_reference`:
`id` coerced to a string, `url`, `title`, `date_published` else `date_modified` as
RFC 3339); "reference" in the tables is feedparser or that reading. OPML lists are out
of scope (counted only).

Per file: dossier's exit (0 parsed, 1 refused with a message, 101 panic, timeout), its
item count, the reference's entry count and feedparser's bozo flag. Flagged: refused by
dossier while the reference has entries; emptied (exit 0, no items, the reference has
entries; "by design" when each of them has no title, no text and no link); silent (exit
0, no items, the bytes hold an <item>/<entry> element or a non-empty JSON `items` array,
and no warning on stderr: dossier must never be silent about that); panics, timeouts.

Pairing: by position when both sides have the same number of entries, or the same once
the reference's entries dossier drops by design (no title, no text, no link; see
feedcompare.fp_left_out) are left out; otherwise by identity: id with link and title,
then id with one of them, link with title, id, link, title alone (first free match), and
the entries left between two matched pairs are paired by position when both gaps hold as
many. Entries left unpaired are "missing in dossier" or "extra in dossier".

Fields, each trimmed of white space at both ends:
- title: feedparser's title as text (HTML/XHTML titles have tags stripped, entities
  unescaped; text/plain is taken as it is), inner white space collapsed on both sides.
  An entry without a reference title is counted apart ("untitled"): dossier shows its
  text (else link) instead, checked against the reference's summary/content text (else
  link).
- link: feedparser `link` vs dossier `original_url` (the link as the feed gave it;
  `url` drops tracking parameters). Equal as strings, or equivalent: the same address
  once scheme and host are lower-cased, a default port dropped, an empty http path
  written "/" and characters percent-encoded as a URL parser does (RFC 3986 §6.2.2,
  RFC 3987 §3.1); or a relative reference on one side that, resolved against the feed's
  link or self link (or the other side's URL), is the other side's absolute URL
  (feedparser resolves only against xml:base, which a file read from disk often lacks;
  dossier also against the feed's own address).
- id: feedparser `id` vs dossier `guid`, as strings.
- date: feedparser published_parsed, else updated_parsed, as a UTC instant to the
  second, vs dossier `published_at`.

Target metrics, on the capture files (sums over files, refused and emptied ones
included):
- count ratio = dossier items / reference entries, given with all reference entries and
  with those dossier drops by design left out;
- link = reference entries with a link whose paired dossier entry has an equal or
  equivalent original_url, over reference entries with a link (an entry missing in
  dossier counts against); given also leaving out the links feedparser made from an
  id (guidislink) that is not an absolute http(s) URL;
- id, title, date: likewise, over reference entries with an id, a title, a date.
The reverse (dossier has a value, the reference none) is counted apart ("dossier only"):
dossier may be right there.

Disagreement classes (`classify_*`): each disagreement and each missing entry is put in
a class from the two values, feedparser's own details (guidislink, the entry's links
with rel and type, comments) and the bytes: which element holds the reference's value
(`holders`), whether an <item>/<entry> sits inside another, the root element and its
default namespace. Each class lists its files and up to N examples (file, entry index on
each side, both values, the raw date string) so that a human can judge from the bytes
who is right.

Left out: OPML; authors, summaries and enclosures (dossier keeps a summary, not the
full text, and no enclosures); HTTP-level behaviour (charset from Content-Type, the
document's URL as base, redirects, compression). Prints Markdown on stdout.
"""
import argparse
import csv
import html
import json
import os
import re
import sys
import time
import unicodedata
import urllib.parse
from collections import Counter, defaultdict
from datetime import datetime

from feedcompare import (as_text, collapse, dossier_instant, fp_fallback_title, fp_instant,
                         fp_left_out, fp_title, pct, run_dossier_all, run_feedparser,
                         show_instant)

FIELDS = ("title", "link", "id", "date")
KINDS = ("capture", "sample", "testcase")
FORMATS = ("rss", "atom", "rdf", "rss1.1", "json")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_CORPUS = os.path.join(ROOT, "..", "shared", "bench", "feeds")
BLOCKING = ("refused, reference reads it", "emptied", "panic", "timeout")


def strip(s):
    if not isinstance(s, str):
        return None
    return s.strip() or None


# ---------- the reference side ----------

def left_out(entry, link_from_id):
    """fp_left_out, with the reason worded for the cases it lumps together."""
    why = fp_left_out(entry)
    if why and link_from_id:
        return "only an id, which feedparser copies into link"
    if why == "no title or text, only a relative link" and is_absolute(entry.get("link")):
        return "no title or text, only a non-http(s) link"
    return why


def fp_reference(entries):
    """feedparser's entries as the fields compared, plus what the classes need."""
    out = []
    for e in entries:
        link, eid = strip(e.get("link")), strip(e.get("id"))
        links = [(strip(x.get("href")), x.get("rel"), x.get("type"))
                 for x in e.get("links", [])]
        # guidislink: feedparser made the link from the id (no link element came before)
        from_id = bool(e.get("guidislink")) and link is not None and link == eid and \
            not any(h == link and rel == "alternate" for h, rel, _ in links)
        dates = {k: e.get(k) for k in ("published", "updated", "created") if dict.get(e, k)}
        out.append({
            "title": fp_title(e),
            "raw_title": e.get("title"),
            "title_type": (e.get("title_detail") or {}).get("type"),
            "fallback": fp_fallback_title(e),
            "link": link,
            "link_from_id": from_id,
            "links": links,
            "comments": strip(e.get("comments")),
            "id": eid,
            "date": fp_instant(e),
            "raw_dates": dates,
            "other_dates": [fp_instant({f"{k}_parsed": dict.get(e, f"{k}_parsed")})
                            for k in dates if dict.get(e, f"{k}_parsed")],
            "left_out": left_out(e, from_id),
        })
    return out


def rfc3339(value):
    """A JSON Feed date (RFC 3339) as a UTC instant, None when it is not one."""
    if not isinstance(value, str):
        return None
    v = value.strip()
    if not re.fullmatch(r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)", v):
        return None
    try:
        t = datetime.fromisoformat(re.sub(r"[Zz]$", "+00:00", v.replace("t", "T")))
    except ValueError:
        return None
    return int(t.timestamp())


def json_reference(data):
    """A JSON Feed document's items read per the JSON Feed 1.1 spec: None when it is not
    a JSON object with an `items` array."""
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
        return None

    def text(it, key, kind="text/plain"):
        return as_text(it.get(key), kind) if isinstance(it.get(key), str) else None

    out = []
    for it in doc["items"]:
        if not isinstance(it, dict):
            continue
        eid = it.get("id")
        if isinstance(eid, (int, float)) and not isinstance(eid, bool):
            eid = str(eid)  # 1.1: a reader "must coerce it to a string"
        title = text(it, "title")
        texts = [t for t in (text(it, "content_text"), text(it, "content_html", "text/html"),
                             text(it, "summary")) if t]
        link = strip(it.get("url"))
        dates = {k: it.get(k) for k in ("date_published", "date_modified") if it.get(k)}
        parsed = [rfc3339(v) for v in dates.values()]
        why = None
        if not (title or texts or (link and urllib.parse.urlsplit(link).netloc)):
            why = "no title or text, only a relative link" if link else \
                "no title, no text, no link"
        out.append({
            "title": title, "raw_title": it.get("title"), "title_type": "text/plain",
            "fallback": texts[0] if texts else link,
            "link": link, "link_from_id": False,
            "links": [(link, "alternate", None)] if link else [],
            "comments": None, "id": strip(eid),
            "date": next((t for t in parsed if t is not None), None),
            "raw_dates": dates, "other_dates": [t for t in parsed if t is not None],
            "left_out": why,
        })
    return out


def feed_bases(fp, fmt, data):
    """Addresses a relative link of the feed may be resolved against: the feed's own
    link and self link (JSON Feed: home_page_url, feed_url)."""
    if fmt == "json":
        try:
            doc = json.loads(data.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError):
            return []
        if not isinstance(doc, dict):
            return []
        return [u for u in (strip(doc.get("home_page_url")), strip(doc.get("feed_url"))) if u]
    feed = fp.get("feed", {})
    bases = [strip(feed.get("link"))]
    bases += [strip(x.get("href")) for x in feed.get("links", []) if x.get("rel") == "self"]
    return [b for b in bases if b and is_absolute(b)]


# ---------- what the bytes say ----------

def document_text(data, fp):
    for enc in (fp.get("encoding"), "utf-8"):
        try:
            return data.decode(enc or "utf-8")
        except (LookupError, UnicodeDecodeError):
            pass
    return data.decode("latin-1")


def holders(text, value):
    """Names of the elements whose text starts with VALUE's first 40 characters (as
    written, or escaped)."""
    if not value or not text:
        return set()
    probe = value.strip()[:40]
    if not probe:
        return set()
    found = set()
    for cand in {probe, html.escape(probe, quote=False), html.escape(probe)}:
        for m in re.finditer(re.escape(cand), text):
            head = re.sub(r"<!\[CDATA\[\s*$", "", text[max(0, m.start() - 400):m.start()])
            tag = re.search(r"<([A-Za-z_][\w.:-]*)(?:\s[^<>]*)?>\s*$", head)
            if tag:
                found.add(tag.group(1))
    return found


def attribute_holders(text, value):
    """Names of the elements with an href/url/about attribute equal to VALUE."""
    if not value or not text:
        return set()
    found = set()
    for cand in {value, html.escape(value)}:
        pat = r"<([A-Za-z_][\w.:-]*)\s[^<>]*?(?:href|url|rdf:about)\s*=\s*[\"']" + \
            re.escape(cand) + r"[\"']"
        found.update(m.group(1) for m in re.finditer(pat, text))
    return found


TAG = re.compile(r"<(/?)((?:[A-Za-z_][\w.-]*:)?)(item|entry)(?=[\s/>])[^<>]*?(/?)>")


def nested_entries(text):
    """How many <item>/<entry> elements sit inside another one."""
    depth = nested = 0
    for close, _, _, selfclose in TAG.findall(re.sub(r"<!\[CDATA\[.*?\]\]>|<!--.*?-->", "",
                                                     text, flags=re.S)):
        if close:
            depth = max(0, depth - 1)
        else:
            nested += depth > 0
            depth += not selfclose
    return nested


def root_element(text):
    """(name, default namespace) of the document element."""
    body = re.sub(r"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>", "", text[:20000], flags=re.S)
    m = re.search(r"<([A-Za-z_][\w.:-]*)([^>]*)>", body)
    if not m:
        return None, None
    ns = re.search(r"\bxmlns\s*=\s*[\"']([^\"']*)[\"']", m.group(2))
    return m.group(1), ns.group(1) if ns else None


ENTRY_ELEMENT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:item|entry)[\s/>]")


def holds_entries(data, fmt):
    """Whether the bytes hold an <item>/<entry> element or a non-empty JSON items array
    (what dossier must not be silent about when it yields nothing)."""
    if fmt == "json":
        return bool(json_reference(data)) or \
            bool(re.search(rb'"items"\s*:\s*\[\s*[^\]\s]', data))
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        data = data.decode("utf-16", "replace").encode("utf-8")
    return bool(ENTRY_ELEMENT.search(data))


# ---------- dossier's side ----------

def dossier_side(items):
    return [{
        "title": collapse(it.get("title")),
        "link": strip(it.get("original_url")),
        "id": strip(it.get("guid")),
        "date": dossier_instant(it),
        "date_source": it.get("date_source"),
    } for it in items]


def warnings_of(stderr):
    return [line.split(": warning: ", 1)[1] for line in stderr.splitlines()
            if ": warning: " in line]


# ---------- URLs ----------

def is_absolute(u):
    return bool(u) and bool(re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", u))


def is_http(u):
    return bool(u) and bool(re.match(r"(?i)https?://", u))


def url_key(u):
    """The address with scheme and host lower-cased, the default port dropped, an empty
    http(s) path written "/", the host in IDNA and characters a URL parser escapes
    percent-encoded (RFC 3986 §6.2.2, RFC 3987 §3.1)."""
    if u is None:
        return None
    u = re.sub(r"[\t\n\r]", "", u.strip())
    try:
        p = urllib.parse.urlsplit(u)
        host = p.hostname or ""
        port = p.port
    except ValueError:
        return u
    try:
        host = host.encode("idna").decode("ascii") if host else host
    except UnicodeError:
        pass
    scheme = p.scheme.lower()
    netloc = host
    if p.username is not None:
        netloc = p.username + (f":{p.password}" if p.password else "") + "@" + netloc
    if port is not None and (scheme, port) not in (("http", 80), ("https", 443)):
        netloc += f":{port}"

    def enc(s):
        s = urllib.parse.quote(s, safe="/:@!$&'()*+,;=-._~%?")
        return re.sub(r"%[0-9a-fA-F]{2}", lambda m: m.group(0).upper(), s)
    path = enc(p.path)
    if not path and netloc and scheme in ("http", "https"):
        path = "/"
    return urllib.parse.urlunsplit((scheme, netloc, path, enc(p.query), enc(p.fragment)))


def links_agree(a, b, bases):
    """'equal', 'equivalent' (the same address written differently), 'resolved' (a
    relative reference on one side, resolved against the feed's address on the other)
    or None."""
    if a == b:
        return "equal"
    if url_key(a) == url_key(b):
        return "equivalent"
    for rel, full in ((a, b), (b, a)):
        if rel and full and not is_absolute(rel) and is_absolute(full):
            for base in bases + [full]:
                if url_key(urllib.parse.urljoin(base, rel)) == url_key(full):
                    return "resolved"
    return None


# ---------- pairing ----------

PAIR_KEYS = (("id", "link", "title"), ("id", "link"), ("id", "title"), ("link", "title"),
             ("id",), ("link",), ("title",))


def identity(entry, keys):
    out = []
    for k in keys:
        v = entry[k]
        if v is None:
            return None
        out.append(url_key(v) if k == "link" else collapse(v).casefold() if k == "title"
                   else v)
    return tuple(out)


def pair(ref, dos):
    """(pairs [(reference index, dossier index)], method)."""
    if len(ref) == len(dos):
        return list(zip(range(len(ref)), range(len(dos)))), "position"
    kept = [i for i, r in enumerate(ref) if r["left_out"] is None]
    if len(kept) == len(dos):
        return list(zip(kept, range(len(dos)))), "position, by-design drops left out"
    matched, used = {}, set()
    for keys in PAIR_KEYS:
        index = defaultdict(list)
        for j, d in enumerate(dos):
            k = identity(d, keys)
            if k is not None and j not in used:
                index[k].append(j)
        for i, r in enumerate(ref):
            k = identity(r, keys)
            if i in matched or k is None:
                continue
            free = [j for j in index.get(k, []) if j not in used]
            if free:
                matched[i] = free[0]
                used.add(free[0])
    # what lies between two matched pairs (in both orders) is paired by position when
    # both gaps hold as many entries
    anchors = [(-1, -1)] + sorted(matched.items()) + [(len(ref), len(dos))]
    for (i0, j0), (i1, j1) in zip(anchors, anchors[1:]):
        if j1 <= j0:
            continue
        gi = [i for i in range(i0 + 1, i1) if i not in matched]
        gj = [j for j in range(j0 + 1, j1) if j not in used]
        if gi and len(gi) == len(gj):
            for i, j in zip(gi, gj):
                matched[i] = j
                used.add(j)
    return sorted(matched.items()), "identity"


# ---------- classes ----------

def fold(s):
    return unicodedata.normalize("NFKC", html.unescape(html.unescape(s))) if s else s


def nospace(s):
    return re.sub(r"\s+", "", s) if s else s


def recoded(s, enc="latin-1"):
    """S with its characters read as bytes of ENC and decoded as UTF-8, or None."""
    try:
        return s.encode(enc).decode("utf-8")
    except (UnicodeError, AttributeError):
        return None


NESTED = "a file with an <item>/<entry> nested inside another: feedparser mixes their fields"


def title_source(res, r):
    """The element feedparser's title comes from, when it is not a plain <title>."""
    found = holders(res["text"], r["raw_title"])
    if found and not found & {"title", "atom:title", "rss:title"}:
        return sorted(found)[0]
    return None


def classify_title(res, r, d):
    a, b = r["title"], d["title"]
    src = title_source(res, r)
    if src:
        return f"feedparser takes <{src}> as the title"
    if re.search(r"<[A-Za-z/!]", a or "") or re.search(r"<[A-Za-z/!]", b or ""):
        return "title markup: a '<…>' in the text, kept as text on one side only"
    if "html" in (r["title_type"] or "") and re.search(r"<[A-Za-z/]", r["raw_title"] or ""):
        return "title markup: HTML title, tags stripped differently"
    if nospace(a) == nospace(b):
        return "white space"
    if fold(a) == fold(b):
        return "entity or character-reference decoding"
    for enc in ("latin-1", "cp1252"):
        if recoded(b, enc) == a:
            return "the bytes hold UTF-8 encoded twice: feedparser undoes it, dossier keeps it"
        if recoded(a, enc) == b:
            return "feedparser decodes with the wrong charset (mojibake)"
    if b.startswith(a) or a.startswith(b):
        return "one title is a prefix of the other"
    if res["nested"]:
        return NESTED
    return "different title text"


def classify_untitled(res, r, d):
    a, b = r["fallback"], d["title"]
    if a is None:
        if b and r["comments"] and url_key(b) == url_key(r["comments"].split("#")[0]):
            return "untitled: dossier titles it by its <comments> link"
        return "untitled: the reference has no text or link; dossier titles it anyway"
    if nospace(fold(a)) == nospace(fold(b)):
        return "untitled: same text, white space between elements differs"
    if a.startswith(b.rstrip("…. ")) or b.startswith(a):
        return "untitled: dossier shows a shortened text"
    if is_absolute(b):
        return "untitled: dossier shows a link, the reference has text"
    return "untitled: different fallback text"


def link_source(res, a):
    """The element an attribute-valued link comes from."""
    found = attribute_holders(res["text"], a)
    return sorted(found)[0] if found else None


def classify_link(res, r, d):
    a, b, fmt = r["link"], d["link"], res["format"]
    if a is None:
        if b == r["comments"]:
            return "dossier takes <comments> as the link; the reference has none"
        if r["id"] and b == r["id"]:
            return "dossier takes the id as link; the reference has none"
        if any(h == b and rel == "enclosure" for h, rel, _ in r["links"]):
            return "dossier takes the enclosure as link; the reference has none"
        return "dossier has a link, the reference has none"
    if b is None:
        if r["link_from_id"]:
            if fmt == "atom":
                return "feedparser copies an Atom <id> into link; dossier has none"
            if is_http(a):
                return "RSS permalink <guid> (http) and no <link>: feedparser takes the " \
                       "guid as link, dossier has none"
            if a.startswith("/"):
                return "RSS permalink <guid> holding a relative path and no <link>: " \
                       "feedparser takes it as link, dossier has none"
            return "RSS <guid> that is not a URL (isPermaLink absent): feedparser takes it " \
                   "as link, dossier has none"
        src = link_source(res, a)
        if src and ":" in src and fmt in ("rss", "rdf"):
            return f"link only in <{src}> (Atom link inside RSS); dossier has none"
        rels = [rel for h, rel, _ in r["links"] if h == a]
        if rels and rels[0] not in (None, "alternate"):
            return f"dossier has no link; feedparser's comes from rel={rels[0]}"
        if not is_absolute(a):
            return "dossier has no link; feedparser's is relative"
        return "dossier has no link where feedparser has one"
    if b == r["comments"] and b != a:
        return "dossier takes <comments> as the link instead of the entry's link"
    if r["link_from_id"]:
        return "feedparser copies the id into link; dossier has the entry's <link>"
    if nospace(a) == nospace(b):
        return "white space inside the link"
    if fold(a) == fold(b):
        return "entity decoding in the link"
    if not is_absolute(a) or not is_absolute(b):
        return "relative link resolved differently"
    mine = [(h, rel, t) for h, rel, t in r["links"] if h == b]
    theirs = [(h, rel, t) for h, rel, t in r["links"] if h == a]
    if mine and theirs:
        (_, rel_b, type_b), (_, rel_a, type_a) = mine[0], theirs[0]
        if rel_b not in (None, "alternate"):
            return f"dossier takes a rel={rel_b} link over the alternate one"
        if not is_http(b) and is_http(a):
            return "several alternate links: dossier takes a non-http(s) one"
        if "html" not in (type_b or "text/html") and "html" in (type_a or "text/html"):
            return "several alternate links: dossier takes a non-HTML one (first), " \
                   "feedparser the text/html one"
        return "several alternate links of one type: dossier takes the first, " \
               "feedparser the last"
    pa, pb = urllib.parse.urlsplit(a), urllib.parse.urlsplit(b)
    if pa.netloc == pb.netloc and pa.path.rsplit("/", 1)[-1] == pb.path.rsplit("/", 1)[-1]:
        return "relative link resolved against different bases (xml:base scope)"
    if res["nested"]:
        return NESTED
    return "different link"


def classify_id(res, r, d):
    a, b, fmt = r["id"], d["id"], res["format"]
    if a is None:
        if b is not None and b == r["link"]:
            return "dossier has an id equal to the link, the reference has none"
        return "dossier has an id, the reference has none"
    if b is None:
        if fmt in ("rdf", "rss1.1") and any(
                re.search(r"rdf:about\s*=\s*[\"']" + re.escape(v) + r"[\"']", res["text"])
                for v in {a, html.escape(a)}):
            return "RSS 1.0 item: feedparser takes rdf:about as the id, dossier has none"
        return "dossier has no id where the reference has one"
    if nospace(a) == nospace(b):
        return "white space inside the id"
    if fold(a) == fold(b):
        return "entity decoding in the id"
    if b == r["link"] or (r["link"] and links_agree(b, r["link"], [])):
        return "dossier's guid is the link, not the id"
    if links_agree(a, b, []):
        return "the same id written differently (URL normalisation)"
    if res["nested"]:
        return NESTED
    return "different id"


PLAUSIBLE_FROM = 788918400  # 1995-01-01T00:00:00Z: dossier ignores feed dates before it
ZONE_NAME = re.compile(r"\b[A-Z]{2,5}\s*$")


def classify_date(res, r, d):
    a, b = r["date"], d["date"]
    raw = next(iter(r["raw_dates"].values()), None)
    src = sorted(holders(res["text"], raw))[0] if raw and holders(res["text"], raw) else None
    if a is None:
        if d["date_source"] == "url":
            return "dossier dates the entry from its URL; the feed gives no date"
        if raw:
            return "the reference cannot read the date string, dossier can"
        return "dossier has a date, the reference has none"
    if b is None:
        if a < PLAUSIBLE_FROM:
            return "a date before 1995: dossier ignores it by design"
        if a > time.time() + 86400:
            return "a date more than a day ahead: dossier ignores it by design"
        if src and src.split(":")[0] == "dcterms":
            return "date only in a Dublin Core terms element (<dcterms:created>, issued, " \
                   "modified…): dossier reads no date"
        if src and src.lower() in ("pubdate", "dc:date", "updated", "published") and \
                src not in ("pubDate", "dc:date", "updated", "published"):
            return f"date element in the wrong case (<{src}>): dossier reads no date"
        if raw and rfc3339(raw) is not None:
            return "an RFC 3339 date: dossier reads no date"
        if raw and re.match(r"\d{4}-\d\d-\d\d", raw.strip()):
            return "ISO 8601 date outside RFC 3339 (one-digit field, no zone, space…): " \
                   "dossier reads no date"
        return "dossier reads no date where the reference has one"
    if b in r["other_dates"]:
        return "a different date element chosen (published vs updated)"
    diff = b - a
    if diff % 900 == 0 and abs(diff) <= 26 * 3600:
        if raw and re.search(r"(?i)\b[ap]\.?m\.?\b", raw):
            return "12-hour clock (am/pm) and zone name: read differently"
        if raw and ZONE_NAME.search(raw.strip()):
            return "zone name read differently"
        return "zone or offset read differently"
    if res["nested"]:
        return NESTED
    return "different date"


def classify_missing(res, i):
    """Why a reference entry has no dossier entry."""
    r = res["ref"][i]
    if res["rc"] == 101:
        return "dossier panicked (exit 101)"
    if res["rc"] == "timeout":
        return "dossier timed out"
    if res["rc"] != 0:
        msg = res["stderr"].splitlines()[-1] if res["stderr"] else ""
        msg = msg.replace(f"dossier: {res['file']}: ", "")
        msg = re.sub(r" at position \d+", "", msg)
        msg = re.sub(r"unsupported content type \S+", "unsupported content type …", msg)
        msg = re.sub(r"`[^`]*`", "`…`", msg)
        root, ns = res["root"]
        return f"file refused (exit {res['rc']}): {msg} [root <{root}>" + \
            (f" xmlns={ns}" if ns else "") + "]"
    if not res["dossier"]:
        root, ns = res["root"]
        if root == "rss" and ns:
            return "file emptied: <rss> with a default namespace (all its elements in it)"
        if ns and "netscape.com/rdf/simple/0.9" in ns:
            return "file emptied: RSS 0.90 (Netscape namespace)"
    if res["nested"]:
        return "feedparser makes an entry of an <item>/<entry> nested inside another"
    if any("cut off" in w for w in res["warnings"]) and i == len(res["ref"]) - 1:
        return "document cut off: dossier drops the last, partial entry (and warns)"
    if r["left_out"]:
        return f"dropped by design: {r['left_out']}"
    src = title_source(res, r)
    if src:
        return f"title only in <{src}>: dossier drops the entry"
    if r["title"] is None and r["fallback"]:
        found = holders(res["text"], r["fallback"]) - {"description", "content:encoded",
                                                       "summary", "content"}
        if found:
            return f"text only in <{sorted(found)[0]}>: dossier drops the entry"
    if r["link"] and not is_http(r["link"]):
        return "only a non-http(s) link: dossier drops the entry"
    return "entry missing in dossier"


# ---------- one file ----------

def compare_file(row, corpus, run, feedparser):
    rel, fmt = row["file"], row["format"]
    with open(os.path.join(corpus, rel), "rb") as f:
        data = f.read()
    fp = run_feedparser(feedparser, os.path.join(corpus, rel))
    fp_entries = fp.get("entries", [])
    ref = (json_reference(data) or []) if fmt == "json" else fp_reference(fp_entries)
    text = document_text(data, fp)
    res = {
        "file": rel, "kind": row["kind"], "format": fmt, "source": row["source"],
        "rc": run["rc"], "stderr": run["stderr"].strip(), "warnings": warnings_of(run["stderr"]),
        "fp_entries": len(fp_entries), "fp_bozo": bool(fp.get("bozo")),
        "fp_bozo_exception": repr(fp.get("bozo_exception")) if fp.get("bozo") else None,
        "ref": ref, "dossier": dossier_side(run["items"]),
        "holds_entries": holds_entries(data, fmt), "bases": feed_bases(fp, fmt, data),
        "root": root_element(text) if fmt != "json" else ("json", None),
        "nested": nested_entries(text) if fmt != "json" else 0,
        "text": text,  # dropped before --json is written
    }
    pairs, method = pair(ref, res["dossier"]) if run["rc"] == 0 else \
        ([], "none (dossier did not parse)")
    res["pairs"], res["pairing"] = pairs, method
    paired_ref = {i for i, _ in pairs}
    paired_dos = {j for _, j in pairs}
    res["missing"] = [i for i in range(len(ref)) if i not in paired_ref]
    res["extra"] = [j for j in range(len(res["dossier"])) if j not in paired_dos]
    res["flags"] = file_flags(res)
    res["outcomes"] = outcomes(res)
    res["missing_classes"] = {i: classify_missing(res, i) for i in res["missing"]}
    return res


CLASSIFY = {"title": classify_title, "link": classify_link, "id": classify_id,
            "date": classify_date}


def outcomes(res):
    """Per paired reference entry and field: (field, ref index, dossier index, outcome,
    class); outcome is equal, equivalent, differs, dossier none or dossier only. Entries
    missing in dossier are counted from res["missing"]."""
    ref, dos = res["ref"], res["dossier"]
    out = []
    for i, j in res["pairs"]:
        r, d = ref[i], dos[j]
        for field in FIELDS:
            a, b = r[field], d[field]
            if field == "title" and a is None:
                fb = r["fallback"]
                if fb is not None and b is not None and (fb == b or links_agree(
                        fb, b, res["bases"]) or collapse(fb) == b):
                    out.append(("untitled", i, j, "equal", None))
                else:
                    out.append(("untitled", i, j, "differs", classify_untitled(res, r, d)))
                continue
            if a is None and b is None:
                continue
            if a is None:
                out.append((field, i, j, "dossier only", CLASSIFY[field](res, r, d)))
            elif b is None:
                out.append((field, i, j, "dossier none", CLASSIFY[field](res, r, d)))
            elif a == b:
                out.append((field, i, j, "equal", None))
            elif field == "link" and links_agree(a, b, res["bases"]):
                how = links_agree(a, b, res["bases"])
                out.append((field, i, j, "equivalent",
                            "the same address written differently" if how == "equivalent"
                            else "a relative link, resolved by dossier against the feed's "
                                 "address"))
            else:
                out.append((field, i, j, "differs", CLASSIFY[field](res, r, d)))
    return out


def file_flags(res):
    n_ref = len(res["ref"])
    kept = sum(r["left_out"] is None for r in res["ref"])
    flags = []
    if res["rc"] == 101:
        flags.append("panic")
    elif res["rc"] == "timeout":
        flags.append("timeout")
    elif res["rc"] == 1 and n_ref:
        flags.append("refused, reference reads it")
    elif res["rc"] not in (0, 1):
        flags.append(f"exit {res['rc']}")
    if res["rc"] == 0 and not res["dossier"]:
        if n_ref:
            flags.append("emptied" if kept else "emptied (every entry dropped by design)")
        if res["holds_entries"] and not res["warnings"]:
            flags.append("silent")
    return flags


# ---------- tables ----------

def count_stats(results):
    st = Counter()
    for res in results:
        st["files"] += 1
        st["ref"] += len(res["ref"])
        st["kept"] += sum(r["left_out"] is None for r in res["ref"])
        st["dossier"] += len(res["dossier"])
        st["missing"] += len(res["missing"])
        st["extra"] += len(res["extra"])
        for fl in res["flags"]:
            st[fl.split(" (")[0]] += 1
    return st


def ratio(n, d):
    return f"{n / d:.3f}" if d else "n/a"


def field_stats(results):
    st = {f: Counter() for f in FIELDS + ("untitled",)}
    for res in results:
        for field, i, j, outcome, cls in res["outcomes"]:
            st[field][outcome] += 1
        for i in res["missing"]:
            r = res["ref"][i]
            for field in FIELDS:
                if r[field] is not None:
                    st[field]["missing"] += 1
        # links feedparser made from an id that is no absolute http(s) URL
        for field, i, j, outcome, cls in res["outcomes"]:
            r = res["ref"][i]
            if field == "link" and r["link_from_id"] and not is_http(r["link"]):
                st["link"]["id as link"] += 1
                st["link"]["id as link, agreeing"] += outcome in ("equal", "equivalent")
        st["link"]["id as link"] += sum(res["ref"][i]["link_from_id"] and not is_http(
            res["ref"][i]["link"]) for i in res["missing"])
    return st


def agreement(st, field):
    """(agreeing, reference entries with a value)"""
    s = st[field]
    if field == "untitled":
        return s["equal"], s["equal"] + s["differs"]
    n = s["equal"] + s["equivalent"] + s["differs"] + s["dossier none"] + s["missing"]
    return s["equal"] + s["equivalent"], n


def summary_table(groups, order, label):
    rows = [f"| {label} | files | refused, reference reads it | emptied | silent | panics "
            "| reference entries | dossier items | count ratio (all / by-design drops left "
            "out) | title | link | id | date |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
            "| ---: | ---: |"]
    for name in order:
        results = groups.get(name)
        if not results:
            continue
        c, fs = count_stats(results), field_stats(results)
        cells = []
        for field in FIELDS:
            a, n = agreement(fs, field)
            cells.append(f"{pct(a, n)} of {n}")
        rows.append(f"| {name} | {c['files']} | {c['refused, reference reads it']} | "
                    f"{c['emptied']} | {c['silent']} | {c['panic'] + c['timeout']} | "
                    f"{c['ref']} | {c['dossier']} | {ratio(c['dossier'], c['ref'])} / "
                    f"{ratio(c['dossier'], c['kept'])} | " + " | ".join(cells) + " |")
    return rows


def field_table(results):
    fs = field_stats(results)
    rows = ["| field | reference has a value | equal | equivalent | differs | dossier none "
            "| entry missing in dossier | agreement | dossier only (reference none) |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for field in FIELDS + ("untitled",):
        s = fs[field]
        a, n = agreement(fs, field)
        name = field if field != "untitled" else "untitled: dossier's fallback title"
        rows.append(f"| {name} | {n} | {s['equal']} | {s['equivalent']} | {s['differs']} | "
                    f"{s['dossier none']} | {s['missing']} | {pct(a, n)} | "
                    f"{s['dossier only']} |")
    return rows


def targets(results):
    c, fs = count_stats(results), field_stats(results)
    blocked = [r for r in results if any(f in BLOCKING for f in r["flags"])]
    lines = ["| target (capture files) | figure | goal |", "| --- | ---: | ---: |",
             f"| feeds refused, emptied, panicking or timing out that the reference reads "
             f"| {len(blocked)} | 0 |",
             f"| feeds emptied without a warning (silent) "
             f"| {sum('silent' in r['flags'] for r in results)} | 0 |",
             f"| item count ratio, dossier / reference ({c['dossier']} / {c['ref']}) "
             f"| {ratio(c['dossier'], c['ref'])} | ≥ 0.995 |",
             f"| … with the reference's by-design drops left out ({c['dossier']} / "
             f"{c['kept']}) | {ratio(c['dossier'], c['kept'])} | ≥ 0.995 |"]
    for field, goal in (("link", "≥ 0.99"), ("id", "≥ 0.95"), ("title", ""), ("date", "")):
        a, n = agreement(fs, field)
        lines.append(f"| {field}: equal{' or equivalent' if field == 'link' else ''} "
                     f"({a} / {n}) | {ratio(a, n)} | {goal} |")
        if field == "link":
            k, ka = fs["link"]["id as link"], fs["link"]["id as link, agreeing"]
            lines.append(f"| … leaving out the {k} links feedparser made from an id that is "
                         f"not an absolute http(s) URL (a relative path, urn:, tag:…) "
                         f"({a - ka} / {n - k}) | {ratio(a - ka, n - k)} | ≥ 0.99 |")
    return lines, blocked


# ---------- main ----------

def trunc(v, n=150):
    s = repr(v)
    return s if len(s) <= n else s[:n] + "…"


def describe(r):
    """A reference entry in a few words, for an entry dossier does not have."""
    parts = [f"{k} {r[k]!r}" for k in ("title", "id", "link") if r[k] is not None]
    if r["date"] is not None:
        parts.append(f"date {show_instant(r['date'])}")
    if r["title"] is None and r["fallback"] and r["fallback"] != r["link"]:
        parts.append(f"text {r['fallback'][:60]!r}")
    return ", ".join(parts) or "nothing (an empty entry)"


def collect_classes(results):
    """(field, class) -> [(res, ref index, dossier index, reference value, dossier value,
    note)]"""
    classes = defaultdict(list)
    for res in results:
        for field, i, j, outcome, cls in res["outcomes"]:
            if cls is None:
                continue
            r, d = res["ref"][i], res["dossier"][j]
            key = "title" if field == "untitled" else field
            a, b = (r["fallback"] if field == "untitled" else r[key]), d[key]
            note = ""
            if field == "date":
                a, b = show_instant(a), show_instant(b)
                raw = next(iter(r["raw_dates"].values()), None)
                note = f"raw {raw!r}" if raw else f"dossier date_source {d['date_source']}"
            if field == "link" and outcome == "dossier only" and r["comments"]:
                note = f"<comments> {r['comments']!r}"
            classes[(field, cls)].append((res, i, j, a, b, note))
        for i, cls in res["missing_classes"].items():
            r = res["ref"][i]
            classes[("entry", cls)].append((res, i, None, describe(r), None, ""))
        for j in res["extra"]:
            d = res["dossier"][j]
            classes[("entry", "extra in dossier (no reference entry paired)")].append(
                (res, None, j, None, f"title {d['title']!r}, id {d['id']!r}, "
                                     f"link {d['link']!r}", ""))
    return classes


ORDER = {"entry": 0, "title": 1, "untitled": 1, "link": 2, "id": 3, "date": 4}


def print_classes(classes, examples):
    keys = sorted(classes, key=lambda k: (ORDER[k[0]], -len(classes[k]), k[1]))
    print("\n## Disagreement classes\n")
    print("| field | class | entries | files | capture entries | capture files |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for k in keys:
        exs = classes[k]
        cap = [e for e in exs if e[0]["kind"] == "capture"]
        print(f"| {k[0]} | {k[1]} | {len(exs)} | {len({e[0]['file'] for e in exs})} | "
              f"{len(cap)} | {len({e[0]['file'] for e in cap})} |")
    for k in keys:
        exs = classes[k]
        files = sorted({e[0]["file"] for e in exs},
                       key=lambda f: (next(e[0]["kind"] for e in exs if e[0]["file"] == f)
                                      != "capture", f))
        print(f"\n### {k[0]}: {k[1]} ({len(exs)} entries, {len(files)} files)\n")
        print("Files: " + ", ".join(
            os.path.basename(f) + (" (capture)" if any(
                e[0]["file"] == f and e[0]["kind"] == "capture" for e in exs) else "")
            for f in files) + "\n")
        shown, n = set(), 0
        # captures first, one example per file while other files wait
        for res, i, j, a, b, note in sorted(exs, key=lambda e: e[0]["kind"] != "capture"):
            if n >= examples:
                break
            if res["file"] in shown and len(files) > len(shown):
                continue
            shown.add(res["file"])
            n += 1
            where = f"entry {'-' if i is None else i} / dossier {'-' if j is None else j}"
            if k[0] == "entry":
                what = f"reference {a}" if i is not None else f"dossier {b}"
            else:
                what = f"reference {trunc(a)}, dossier {trunc(b)}"
            print(f"- {os.path.basename(res['file'])} ({res['kind']}), {where}: {what}" +
                  (f"; {note}" if note else ""))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=DEFAULT_CORPUS,
                    help="the real-world feed corpus (holds manifest.tsv)")
    ap.add_argument("--dossier", default="target/release/dossier")
    ap.add_argument("--examples", type=int, default=3, help="examples shown per class")
    ap.add_argument("--json", metavar="OUT", help="write the raw per-file results here")
    ap.add_argument("--timeout", type=float, default=30, help="seconds per dossier parse")
    args = ap.parse_args()

    corpus = os.path.normpath(os.path.abspath(args.corpus))
    manifest = os.path.join(corpus, "manifest.tsv")
    if not os.path.isfile(manifest):
        print(f"skipped: corpus not found at {corpus} (no manifest.tsv)")
        return 0
    try:
        import feedparser
    except ImportError:
        print("skipped: Python feedparser is not installed (pip install feedparser)")
        return 0
    binary = os.path.abspath(args.dossier)
    if not os.access(binary, os.X_OK):
        print(f"realworld.py: no dossier binary at {binary}", file=sys.stderr)
        return 2

    with open(manifest, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    opml = [r for r in rows if r["format"] == "opml"]
    rows = [r for r in rows if r["format"] != "opml"]
    absent = [r["file"] for r in rows if not os.path.isfile(os.path.join(corpus, r["file"]))]
    rows = [r for r in rows if r["file"] not in absent]
    runs = run_dossier_all(binary, corpus, [r["file"] for r in rows], timeout=args.timeout,
                           workers=min(2, os.cpu_count() or 2))
    results = [compare_file(row, corpus, runs[row["file"]], feedparser) for row in rows]

    by_kind, by_format = defaultdict(list), defaultdict(list)
    for res in results:
        by_kind[res["kind"]].append(res)
        by_format[res["format"]].append(res)
    captures = by_kind.get("capture", [])
    json_docs = by_format.get("json", [])
    target_rows, blocked = targets(captures)
    out = [f"# dossier vs feedparser {feedparser.__version__} on real-world feeds: "
           f"{len(results)} feed documents", "",
           f"{len(opml)} OPML lists not compared" +
           (f"; {len(absent)} manifest rows without a file" if absent else "") + ". "
           f"Reference: feedparser, and for the {len(json_docs)} JSON Feed documents a "
           f"reading of the JSON Feed 1.1 spec (feedparser {feedparser.__version__} yields "
           f"{sum(r['fp_entries'] for r in json_docs)} entries from them).", "",
           "## Targets on the captures", ""] + target_rows
    if blocked:
        out += ["", "Captures refused, emptied, panicking or timing out: " + ", ".join(
            f"{os.path.basename(r['file'])} ({', '.join(r['flags'])})" for r in blocked) + "."]
    out += ["", "## By kind", ""] + summary_table(by_kind, KINDS, "kind")
    out += ["", "## By format", ""] + summary_table(by_format, FORMATS, "format")
    for kind in KINDS:
        if by_kind.get(kind):
            out += ["", f"## Fields: {kind} ({len(by_kind[kind])} files)", ""]
            out += field_table(by_kind[kind])
    out += ["", f"## Fields: all {len(results)} documents", ""] + field_table(results)
    pairing = Counter(r["pairing"] for r in results)
    out += ["", "Pairing: " + "; ".join(f"{m}: {n} files" for m, n in pairing.most_common())
            + "."]
    print("\n".join(out))

    print("\n## Files refused, emptied, panicking or timing out\n")
    flagged = [r for r in results if r["flags"]]
    by_design = [r for r in flagged if not any(f in BLOCKING or f.startswith("exit")
                                               for f in r["flags"])]
    if len(flagged) > len(by_design):
        print("| file | kind | format | dossier exit | dossier items | reference entries "
              "| feedparser bozo | flags | dossier stderr |")
        print("| --- | --- | --- | --- | ---: | ---: | --- | --- | --- |")
    else:
        print("None.")
    for res in flagged:
        if any(res is r for r in by_design):
            continue
        msg = res["stderr"].splitlines()[-1] if res["stderr"] else ""
        msg = msg.replace(f"dossier: {res['file']}: ", "")
        print(f"| {os.path.basename(res['file'])} | {res['kind']} | {res['format']} | "
              f"{res['rc']} | {len(res['dossier'])} | {len(res['ref'])} | "
              f"{res['fp_bozo']} | {', '.join(res['flags'])} | {msg[:140]} |")
    if by_design:
        silent = sum("silent" in r["flags"] for r in by_design)
        print(f"\nAlso emptied because each of their entries has nothing to cite (no title, "
              f"text or link: dropped by design), {silent} of them without a warning — "
              f"{len(by_design)} files: " +
              ", ".join(os.path.basename(r["file"]) for r in by_design) + ".")

    print_classes(collect_classes(results), args.examples)

    if args.json:
        for res in results:
            res.pop("text", None)
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(results, f, ensure_ascii=False, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
