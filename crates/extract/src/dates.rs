//! Dates from machine attributes and from messy human text.
//!
//! Two entry points: [`parse_machine`] for values meant for programs (`datetime`
//! attributes, meta `content`, JSON-LD: ISO 8601 and RFC 2822 in their many dialects), and
//! [`parse_human`] for what people write ("May 20, 2026", "20. Mai 2026 08:10",
//! "2026年5月20日", "20.05.2026", "3 hours ago"), with month names in English, French,
//! German, Spanish, Italian, Portuguese and Dutch. [`find_in_text`] scans running text.
//!
//! Every result keeps the calendar day *as the source states it* (`local_date`) beside the
//! UTC instant, because "published 20 May" in Tokyo is 19 May in UTC and a writer cites
//! the page's own day. Dates before 1995 or more than a day ahead are rejected: no web
//! page is older, and a future date is a mistake.

use chrono::{
    DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone,
    Timelike, Utc,
};
use regex::Regex;
use std::sync::LazyLock;

/// A date found somewhere, with the day as written and the instant in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FoundDate {
    pub instant: DateTime<Utc>,
    pub local_date: NaiveDate,
    /// Whether a time of day was given (else the instant is midnight UTC of the day).
    pub has_time: bool,
    /// The UTC offset the source gave, in seconds; `None` when it gave none.
    pub offset: Option<i32>,
}

impl FoundDate {
    /// Stated in UTC (or with no zone at all): the day may not be the one readers saw.
    pub fn is_utc(&self) -> bool {
        self.offset.is_none_or(|o| o == 0)
    }
}

/// How to read what is ambiguous.
#[derive(Debug, Clone, Copy)]
pub struct DateContext {
    /// The present: relative dates count back from it, and nothing may lie beyond it + 1 day.
    pub now: DateTime<Utc>,
    /// Whether `05/06/2026` is 5 June (true), 6 May (false) or unknown (`None`: rejected).
    pub day_first: Option<bool>,
    /// Whether implausible dates (before 1995, after now + 1 day) are rejected here; feeds
    /// turn this off so that the normalizer can flag such dates instead of losing them.
    pub plausible_only: bool,
}

impl DateContext {
    pub fn new(now: DateTime<Utc>) -> DateContext {
        DateContext {
            now,
            day_first: None,
            plausible_only: true,
        }
    }

    fn accept(&self, d: FoundDate) -> Option<FoundDate> {
        if !self.plausible_only {
            return Some(d);
        }
        let earliest = NaiveDate::from_ymd_opt(1995, 1, 1)?;
        (d.local_date >= earliest && d.instant <= self.now + Duration::days(1)).then_some(d)
    }
}

fn build(
    date: NaiveDate,
    time: Option<NaiveTime>,
    offset: Option<FixedOffset>,
) -> Option<FoundDate> {
    let naive = NaiveDateTime::new(date, time.unwrap_or(NaiveTime::MIN));
    let instant = match offset {
        Some(off) => off
            .from_local_datetime(&naive)
            .single()?
            .with_timezone(&Utc),
        None => Utc.from_utc_datetime(&naive),
    };
    Some(FoundDate {
        instant,
        local_date: date,
        has_time: time.is_some(),
        offset: offset.map(|o| o.local_minus_utc()),
    })
}

/// Zone abbreviations seen in feeds and pages. `CST` is read as US Central (-6), not China
/// Standard Time (+8) nor Cuba: it is by far the commonest use in English-language feeds.
fn zone_offset(name: &str) -> Option<i32> {
    let minutes = match name.to_ascii_uppercase().as_str() {
        "Z" | "UT" | "UTC" | "GMT" | "WET" => 0,
        "BST" | "CET" | "MET" | "WEST" => 60,
        "CEST" | "MEST" | "EET" | "SAST" => 120,
        "EEST" | "MSK" => 180,
        "IST" => 330,
        "HKT" | "SGT" | "AWST" | "PHT" => 480,
        "JST" | "KST" => 540,
        "AEST" => 600,
        "AEDT" => 660,
        "NZST" => 720,
        "NZDT" => 780,
        "EDT" => -240,
        "EST" | "CDT" => -300,
        "CST" | "MDT" => -360,
        "MST" | "PDT" => -420,
        "PST" | "AKDT" => -480,
        "AKST" => -540,
        "HST" => -600,
        _ => return None,
    };
    Some(minutes * 60)
}

/// `+05:30`, `-0800`, `+09`, `Z`, `GMT+2`, or an abbreviation.
fn parse_zone(s: &str) -> Option<FixedOffset> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let s = s
        .strip_prefix("GMT")
        .or_else(|| s.strip_prefix("UTC"))
        .filter(|r| !r.is_empty())
        .unwrap_or(s);
    if let Some(secs) = zone_offset(s) {
        return FixedOffset::east_opt(secs);
    }
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' | b'\xe2' => (-1, s.trim_start_matches(['-', '\u{2212}'])),
        _ => return None,
    };
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    let (h, m) = match digits.len() {
        1 | 2 => (digits.parse::<i32>().ok()?, 0),
        3 => (
            digits[..1].parse::<i32>().ok()?,
            digits[1..].parse::<i32>().ok()?,
        ),
        4 => (
            digits[..2].parse::<i32>().ok()?,
            digits[2..].parse::<i32>().ok()?,
        ),
        _ => return None,
    };
    if h > 14 || m > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

static ISO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)^\s*
        (?P<y>\d{4})(?:[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})|(?P<m2>\d{2})(?P<d2>\d{2}))
        (?: [T\s]+ (?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,]\d+)?)? \s*
            (?P<z>Z|[+-]\d{1,2}(?::?\d{2})?|[A-Za-z]{1,5}(?:[+-]\d{1,2}(?::?\d{2})?)?)? )?
        \s*$",
    )
    .expect("valid regex")
});

/// Parses a value written for programs: ISO 8601 (and its common dialects), RFC 2822 /
/// RFC 1123, or a Unix timestamp in seconds or milliseconds.
pub fn parse_machine(s: &str, cx: &DateContext) -> Option<FoundDate> {
    let s = s.trim();
    if s.is_empty() || s.len() > 64 {
        return None;
    }
    if let Some(c) = ISO.captures(s) {
        let m = c.name("m").or_else(|| c.name("m2"))?.as_str();
        let d = c.name("d").or_else(|| c.name("d2"))?.as_str();
        let date = NaiveDate::from_ymd_opt(c["y"].parse().ok()?, m.parse().ok()?, d.parse().ok()?)?;
        let time = match (c.name("H"), c.name("M")) {
            (Some(h), Some(m)) => Some(NaiveTime::from_hms_opt(
                h.as_str().parse().ok()?,
                m.as_str().parse().ok()?,
                c.name("S").map_or(Some(0), |s| s.as_str().parse().ok())?,
            )?),
            _ => None,
        };
        let zone = c.name("z").and_then(|z| parse_zone(z.as_str()));
        return cx.accept(build(date, time, zone)?);
    }
    if let Ok(t) = DateTime::parse_from_rfc2822(s) {
        let offset = Some(t.offset().local_minus_utc());
        return cx.accept(FoundDate {
            instant: t.with_timezone(&Utc),
            local_date: t.date_naive(),
            has_time: true,
            offset,
        });
    }
    if s.len() >= 9 && s.len() <= 13 && s.bytes().all(|b| b.is_ascii_digit()) {
        let n: i64 = s.parse().ok()?;
        let secs = if s.len() == 13 { n / 1000 } else { n };
        let t = DateTime::from_timestamp(secs, 0)?;
        return cx.accept(FoundDate {
            instant: t,
            local_date: t.date_naive(),
            has_time: true,
            offset: Some(0),
        });
    }
    parse_human(s, cx)
}

/// Month names and abbreviations, lowercase, in the languages read.
const MONTHS: &[(&str, u32)] = &[
    ("january", 1),
    ("jan", 1),
    ("janvier", 1),
    ("janv", 1),
    ("januar", 1),
    ("jänner", 1),
    ("jän", 1),
    ("enero", 1),
    ("ene", 1),
    ("gennaio", 1),
    ("gen", 1),
    ("janeiro", 1),
    ("januari", 1),
    ("february", 2),
    ("feb", 2),
    ("février", 2),
    ("fevrier", 2),
    ("févr", 2),
    ("fevr", 2),
    ("fév", 2),
    ("februar", 2),
    ("febrero", 2),
    ("febbraio", 2),
    ("fevereiro", 2),
    ("fev", 2),
    ("februari", 2),
    ("march", 3),
    ("mar", 3),
    ("mars", 3),
    ("märz", 3),
    ("maerz", 3),
    ("mär", 3),
    ("marzo", 3),
    ("março", 3),
    ("marco", 3),
    ("maart", 3),
    ("mrt", 3),
    ("april", 4),
    ("apr", 4),
    ("avril", 4),
    ("avr", 4),
    ("abril", 4),
    ("abr", 4),
    ("aprile", 4),
    ("may", 5),
    ("mai", 5),
    ("mayo", 5),
    ("maggio", 5),
    ("mag", 5),
    ("maio", 5),
    ("mei", 5),
    ("june", 6),
    ("jun", 6),
    ("juin", 6),
    ("juni", 6),
    ("junio", 6),
    ("giugno", 6),
    ("giu", 6),
    ("junho", 6),
    ("july", 7),
    ("jul", 7),
    ("juillet", 7),
    ("juil", 7),
    ("juli", 7),
    ("julio", 7),
    ("luglio", 7),
    ("lug", 7),
    ("julho", 7),
    ("august", 8),
    ("aug", 8),
    ("août", 8),
    ("aout", 8),
    ("agosto", 8),
    ("ago", 8),
    ("augustus", 8),
    ("september", 9),
    ("sep", 9),
    ("sept", 9),
    ("septembre", 9),
    ("septiembre", 9),
    ("setiembre", 9),
    ("settembre", 9),
    ("set", 9),
    ("setembro", 9),
    ("october", 10),
    ("oct", 10),
    ("octobre", 10),
    ("oktober", 10),
    ("okt", 10),
    ("octubre", 10),
    ("ottobre", 10),
    ("ott", 10),
    ("outubro", 10),
    ("out", 10),
    ("november", 11),
    ("nov", 11),
    ("novembre", 11),
    ("noviembre", 11),
    ("novembro", 11),
    ("december", 12),
    ("dec", 12),
    ("décembre", 12),
    ("decembre", 12),
    ("déc", 12),
    ("dezember", 12),
    ("dez", 12),
    ("diciembre", 12),
    ("dic", 12),
    ("dicembre", 12),
    ("dezembro", 12),
];

fn month_number(name: &str) -> Option<u32> {
    let name = name.trim_end_matches('.').to_lowercase();
    MONTHS.iter().find(|(n, _)| *n == name).map(|(_, m)| *m)
}

fn month_alternation() -> String {
    let mut names: Vec<&str> = MONTHS.iter().map(|(n, _)| *n).collect();
    names.sort_by_key(|n| std::cmp::Reverse(n.chars().count()));
    names.join("|")
}

const TIME: &str = r"(?:[,\s]+(?:um\s+|à\s+|at\s+|a\s+las\s+|alle\s+|om\s+|-\s*)?(?P<H>\d{1,2})[:h.](?P<M>\d{2})(?::(?P<S>\d{2}))?\s*(?P<ampm>[ap]\.?m\.?)?(?:\s*(?:uhr|h))?(?:\s*(?P<z>(?:GMT|UTC)?[+-]\d{1,2}(?::?\d{2})?|[A-Z]{2,5}))?)?";

/// Date patterns in running text, most specific first.
static HUMAN: LazyLock<Vec<(Regex, Order)>> = LazyLock::new(|| {
    let months = month_alternation();
    let day = r"(?P<d>\d{1,2})(?:st|nd|rd|th|er|º|o)?";
    let pats = [
        // 2026年5月20日, 2026년 5월 20일
        (
            format!(
                r"(?P<y>\d{{4}})\s*[年년]\s*(?P<m>\d{{1,2}})\s*[月월]\s*(?P<d>\d{{1,2}})\s*[日일]?{TIME}"
            ),
            Order::Ymd,
        ),
        // 2026-05-20 08:10, 2026/05/20
        (
            format!(
                r"(?-u:\b)(?P<y>\d{{4}})[-/.](?P<m>\d{{1,2}})[-/.](?P<d>\d{{1,2}})(?-u:\b){TIME}"
            ),
            Order::Ymd,
        ),
        // May 20, 2026 / May 20th 2026 / Sept. 3, 2026
        (
            format!(r"(?i)(?-u:\b)(?P<mn>{months})\.?\s+{day},?\s+(?P<y>\d{{4}})(?-u:\b){TIME}"),
            Order::Mdy,
        ),
        // 20 May 2026 / 20. Mai 2026 / 20 de mayo de 2026 / 1er juin 2026
        (
            format!(
                r"(?i)(?-u:\b){day}\.?\s+(?:de\s+)?(?P<mn>{months})\.?,?\s+(?:de\s+|del\s+)?(?P<y>\d{{4}})(?-u:\b){TIME}"
            ),
            Order::Dmy,
        ),
        // 20.05.2026 (day first, as written where dots separate)
        (
            format!(
                r"(?-u:\b)(?P<d>\d{{1,2}})\.\s?(?P<m>\d{{1,2}})\.\s?(?P<y>\d{{4}})(?-u:\b){TIME}"
            ),
            Order::Dmy,
        ),
        // 05/20/2026 or 20/05/2026: resolved by value, else by the context
        (
            format!(
                r"(?-u:\b)(?P<a>\d{{1,2}})[/-](?P<b>\d{{1,2}})[/-](?P<y>\d{{4}})(?-u:\b){TIME}"
            ),
            Order::Ambiguous,
        ),
        // 20.05.26: day first with a two-digit year, not part of a longer dotted number
        (
            format!(
                r"(?:^|[^\d.])(?P<d>\d{{1,2}})\.(?P<m>\d{{1,2}})\.(?P<yy>\d{{2}})(?:$|[^\d.]|\.\s){TIME}"
            ),
            Order::Dmy,
        ),
    ];
    // Word boundaries are ASCII ones: a Unicode `\b` keeps the regex engine off its fast
    // automaton on any non-ASCII text, which made page dating several times slower, and
    // every boundary here stands next to a digit or a month name's first letter.
    pats.into_iter()
        .map(|(p, o)| (Regex::new(&p).expect("valid date regex"), o))
        .collect()
});

#[derive(Clone, Copy)]
enum Order {
    Ymd,
    Mdy,
    Dmy,
    Ambiguous,
}

static RELATIVE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)
        (?:(?P<n>\d+|an?|one)\s+(?P<u>sec(?:ond)?s?|min(?:ute)?s?|hours?|hrs?|days?|weeks?|months?|years?)\s+ago)
        |(?:il\s+y\s+a\s+(?P<fn>\d+)\s+(?P<fu>secondes?|minutes?|heures?|jours?|semaines?|mois|ans?))
        |(?:vor\s+(?P<gn>\d+)\s+(?P<gu>Sekunden?|Minuten?|Stunden?|Tag(?:en)?|Wochen?|Monat(?:en)?|Jahr(?:en)?))
        |(?:hace\s+(?P<sn>\d+)\s+(?P<su>segundos?|minutos?|horas?|d[ií]as?|semanas?|mes(?:es)?|años?))
        |(?P<yesterday>\byesterday\b|\bhier\b|\bgestern\b|\bayer\b)
        |(?P<today>\btoday\b|\bjust\s+now\b|\baujourd'hui\b|\bheute\b|\bhoy\b)",
    )
    .expect("valid regex")
});

fn unit_seconds(unit: &str) -> Option<i64> {
    let u = unit.to_lowercase();
    let secs = if u.starts_with("sec") || u.starts_with("seg") || u.starts_with("sek") {
        1
    } else if u.starts_with("min") {
        60
    } else if u.starts_with('h') && !u.starts_with("ho")
        || u.starts_with("hour")
        || u.starts_with("hr")
        || u.starts_with("heure")
        || u.starts_with("stunde")
        || u.starts_with("hora")
    {
        3600
    } else if u.starts_with("day")
        || u.starts_with("jour")
        || u.starts_with("tag")
        || u.starts_with("dí")
        || u.starts_with("di")
    {
        86_400
    } else if u.starts_with("week")
        || u.starts_with("semaine")
        || u.starts_with("woche")
        || u.starts_with("semana")
    {
        7 * 86_400
    } else if u.starts_with("month")
        || u.starts_with("mois")
        || u.starts_with("monat")
        || u.starts_with("mes")
    {
        30 * 86_400
    } else if u.starts_with("year")
        || u.starts_with("an")
        || u.starts_with("jahr")
        || u.starts_with("año")
    {
        365 * 86_400
    } else {
        return None;
    };
    Some(secs)
}

fn relative(s: &str, cx: &DateContext) -> Option<FoundDate> {
    let c = RELATIVE.captures(s)?;
    let ago = if c.name("yesterday").is_some() {
        Duration::days(1)
    } else if c.name("today").is_some() {
        Duration::zero()
    } else {
        let (n, u) = [("n", "u"), ("fn", "fu"), ("gn", "gu"), ("sn", "su")]
            .iter()
            .find_map(|(n, u)| Some((c.name(n)?.as_str(), c.name(u)?.as_str())))?;
        let n: i64 = match n.to_lowercase().as_str() {
            "a" | "an" | "one" => 1,
            digits => digits.parse().ok()?,
        };
        Duration::seconds(n.checked_mul(unit_seconds(u)?)?)
    };
    let t = cx.now - ago;
    cx.accept(FoundDate {
        instant: t,
        local_date: t.date_naive(),
        has_time: ago < Duration::days(1),
        offset: None,
    })
}

fn from_captures(c: &regex::Captures, order: Order, cx: &DateContext) -> Option<FoundDate> {
    let num = |k: &str| c.name(k).and_then(|m| m.as_str().parse::<u32>().ok());
    let y = match (num("y"), num("yy")) {
        (Some(y), _) => y as i32,
        // A two-digit year is this century's unless that would put it in the future.
        (None, Some(yy)) => {
            let this_year = cx.now.year();
            let y = 2000 + yy as i32;
            if y > this_year + 1 { y - 100 } else { y }
        }
        (None, None) => return None,
    };
    let (m, d) = match order {
        Order::Ymd => (num("m")?, num("d")?),
        Order::Mdy | Order::Dmy => match c.name("mn") {
            Some(name) => (month_number(name.as_str())?, num("d")?),
            None => (num("m")?, num("d")?),
        },
        Order::Ambiguous => {
            let (a, b) = (num("a")?, num("b")?);
            match (a > 12, b > 12, cx.day_first) {
                _ if a == b => (a, b),
                (true, false, _) => (b, a),
                (false, true, _) => (a, b),
                (false, false, Some(true)) => (b, a),
                (false, false, Some(false)) => (a, b),
                _ => return None,
            }
        }
    };
    let date = NaiveDate::from_ymd_opt(y, m, d)?;
    let time = match (num("H"), num("M")) {
        (Some(mut h), Some(min)) => {
            if let Some(ampm) = c.name("ampm") {
                let pm = ampm.as_str().to_lowercase().starts_with('p');
                if h > 12 {
                    return None;
                }
                h = match (h, pm) {
                    (12, false) => 0,
                    (12, true) => 12,
                    (h, true) => h + 12,
                    (h, false) => h,
                };
            }
            NaiveTime::from_hms_opt(h, min, num("S").unwrap_or(0))
        }
        _ => None,
    };
    let zone = c.name("z").and_then(|z| parse_zone(z.as_str()));
    cx.accept(build(date, time, zone)?)
}

/// Parses text that is meant to be one date ("Published May 20, 2026 at 8:10 am").
pub fn parse_human(s: &str, cx: &DateContext) -> Option<FoundDate> {
    find_in_text(s, cx)
        .into_iter()
        .next()
        .map(|(d, _)| d)
        .or_else(|| relative(s, cx))
}

/// Every full date in running text, in order of appearance, with its byte range.
pub fn find_in_text(s: &str, cx: &DateContext) -> Vec<(FoundDate, std::ops::Range<usize>)> {
    let mut found: Vec<(FoundDate, std::ops::Range<usize>)> = Vec::new();
    // Every pattern has digits: most byline and meta texts have none.
    if !s.bytes().any(|b| b.is_ascii_digit()) {
        return found;
    }
    for (re, order) in HUMAN.iter() {
        for c in re.captures_iter(s) {
            let whole = c.get(0).expect("group 0");
            if found
                .iter()
                .any(|(_, r)| r.start < whole.end() && whole.start() < r.end)
            {
                continue;
            }
            if let Some(d) = from_captures(&c, *order, cx) {
                found.push((d, whole.range()));
            }
        }
    }
    found.sort_by_key(|(_, r)| r.start);
    found
}

/// A feed's date field, in any of the forms feeds use in the wild (RFC 2822 with or
/// without weekday, named zones, ISO 8601 dialects, human dates), without judging
/// plausibility: the normalizer flags future and pre-web dates.
pub fn parse_feed_timestamp(s: &str) -> Option<DateTime<Utc>> {
    // Fast paths for the two forms nearly every feed uses, giving what the general
    // parser below gives for them: RFC 3339 (whole seconds, as the ISO rule reads it;
    // no lower-case 't'/'z' or leap second, which that rule treats its own way) and
    // RFC 2822, which nothing the ISO rule accepts can be.
    let t = s.trim();
    if t.len() > 64 {
        return general_feed_timestamp(s);
    }
    if t.len() >= 20
        && t.as_bytes()[4] == b'-'
        && !t.bytes().any(|b| b.is_ascii_lowercase())
        && let Ok(d) = DateTime::parse_from_rfc3339(t)
    {
        // Offsets past ±14:59 are no zone to the ISO rule.
        if d.nanosecond() < 1_000_000_000 && d.offset().local_minus_utc().abs() < 15 * 3600 {
            return d.with_timezone(&Utc).with_nanosecond(0);
        }
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(t) {
        return Some(d.with_timezone(&Utc));
    }
    general_feed_timestamp(s)
}

/// A feed's date by the general rules (machine forms, then human ones).
///
/// The one read of the clock in this crate, kept on purpose: feed dates are read without
/// plausibility limits (the normalizer judges those against the run's own `now`), so
/// the present matters here only for relative dates ("3 hours ago") and two-digit
/// years, and a feed's timestamp carries neither in practice. Page dating, where `now`
/// decides what is plausible, always takes it from the caller.
fn general_feed_timestamp(s: &str) -> Option<DateTime<Utc>> {
    let cx = DateContext {
        now: Utc::now(),
        day_first: None,
        plausible_only: false,
    };
    parse_machine(s, &cx)
        .or_else(|| parse_human(s, &cx))
        .map(|d| d.instant)
}

/// A full date in a URL path: `/2026/05/20/`, `/2026-05-20-`, `/20260520/`.
pub fn from_url(url: &str, cx: &DateContext) -> Option<FoundDate> {
    static URL_DATE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?:^|[/_-])(?P<y>(?:19|20)\d{2})[/_-]?(?P<m>0[1-9]|1[0-2])[/_-]?(?P<d>0[1-9]|[12]\d|3[01])(?:[/_.-]|$)")
            .expect("valid regex")
    });
    let path = url::Url::parse(url)
        .ok()
        .map_or_else(|| url.to_string(), |u| u.path().to_string());
    let c = URL_DATE.captures(&path)?;
    let date = NaiveDate::from_ymd_opt(
        c["y"].parse().ok()?,
        c["m"].parse().ok()?,
        c["d"].parse().ok()?,
    )?;
    cx.accept(build(date, None, None)?)
}

impl FoundDate {
    pub fn year(&self) -> i32 {
        self.local_date.year()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cx() -> DateContext {
        DateContext::new(Utc.with_ymd_and_hms(2026, 5, 22, 12, 0, 0).unwrap())
    }

    fn day(s: &str) -> Option<String> {
        parse_human(s, &cx()).map(|d| d.local_date.to_string())
    }

    fn instant(s: &str) -> Option<String> {
        parse_machine(s, &cx()).map(|d| dossier_model::fmt_time(d.instant))
    }

    proptest::proptest! {
        /// The fast paths read every date the way the general rules do.
        #[test]
        fn fast_paths_agree_with_the_general_rules(
            day in "(Mon, |Tue, |)",
            d in 1u32..32, mon in 0usize..12, y in 1990i32..2040,
            h in 0u32..25, mi in 0u32..61, sec in 0u32..61,
            frac in "(|\\.[0-9]{1,9})",
            sep in "(T| |t)",
            zone in "(Z|z|[+-][01][0-9]:[0-5][0-9]|[+-][01][0-9][0-5][0-9]| GMT| UT| EST| PDT| [+-]0[0-9]00|)",
            shape in 0usize..3,
        ) {
            const MON: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
            let s = match shape {
                0 => format!("{y:04}-{:02}-{d:02}{sep}{h:02}:{mi:02}:{sec:02}{frac}{zone}", mon + 1),
                1 => format!("{day}{d} {} {y} {h:02}:{mi:02}:{sec:02}{zone}", MON[mon]),
                _ => format!(" {y:04}-{:02}-{d:02}{sep}{h:02}:{mi:02}{zone} ", mon + 1),
            };
            proptest::prop_assert_eq!(parse_feed_timestamp(&s), general_feed_timestamp(&s), "{}", s);
        }
    }

    #[test]
    fn machine_formats() {
        assert_eq!(
            instant("2026-05-20T08:10:00Z").as_deref(),
            Some("2026-05-20T08:10:00Z")
        );
        assert_eq!(
            instant("2026-05-20T08:10:00.123+02:00").as_deref(),
            Some("2026-05-20T06:10:00Z")
        );
        assert_eq!(
            instant("2026-05-20 08:10:00 +0200").as_deref(),
            Some("2026-05-20T06:10:00Z")
        );
        assert_eq!(
            instant("2026-05-20").as_deref(),
            Some("2026-05-20T00:00:00Z")
        );
        assert_eq!(instant("20260520").as_deref(), Some("2026-05-20T00:00:00Z"));
        assert_eq!(
            instant("Wed, 20 May 2026 08:10:00 GMT").as_deref(),
            Some("2026-05-20T08:10:00Z")
        );
        assert_eq!(
            instant("2026-05-20T08:10:00 EST").as_deref(),
            Some("2026-05-20T13:10:00Z")
        );
        assert_eq!(
            instant("1779264600").as_deref(),
            Some("2026-05-20T08:10:00Z")
        );
    }

    #[test]
    fn the_local_day_is_kept_beside_the_instant() {
        let d = parse_machine("2026-05-20T01:00:00+09:00", &cx()).unwrap();
        assert_eq!(d.local_date.to_string(), "2026-05-20");
        assert_eq!(d.instant.date_naive().to_string(), "2026-05-19");
    }

    #[test]
    fn human_formats_in_several_languages() {
        for (text, want) in [
            ("May 20, 2026", "2026-05-20"),
            ("Published May 20th, 2026 at 8:10 am", "2026-05-20"),
            ("20 May 2026 08:10", "2026-05-20"),
            ("Sept. 3, 2025", "2025-09-03"),
            ("2026年5月20日", "2026-05-20"),
            ("2026년 5월 20일", "2026-05-20"),
            ("20.05.2026", "2026-05-20"),
            ("20. Mai 2026", "2026-05-20"),
            ("1er juin 2025", "2025-06-01"),
            ("le 3 février 2026 à 14h30", "2026-02-03"),
            ("20 de mayo de 2026", "2026-05-20"),
            ("3 marzo 2026", "2026-03-03"),
            ("12 maart 2026", "2026-03-12"),
            ("2026/05/20", "2026-05-20"),
            ("05/20/2026", "2026-05-20"),
            ("20/05/2026", "2026-05-20"),
            ("08/08/2017", "2017-08-08"),
            ("Stand: 28.01.22, 14:00", "2022-01-28"),
        ] {
            assert_eq!(day(text).as_deref(), Some(want), "{text}");
        }
    }

    #[test]
    fn times_and_zones_in_text() {
        let d = parse_human("May 20, 2026 8:10 pm EDT", &cx()).unwrap();
        assert_eq!(dossier_model::fmt_time(d.instant), "2026-05-21T00:10:00Z");
        assert_eq!(d.local_date.to_string(), "2026-05-20");
    }

    #[test]
    fn relative_dates_count_back_from_now() {
        assert_eq!(day("3 hours ago").as_deref(), Some("2026-05-22"));
        assert_eq!(day("2 days ago").as_deref(), Some("2026-05-20"));
        assert_eq!(day("yesterday").as_deref(), Some("2026-05-21"));
        assert_eq!(day("il y a 3 jours").as_deref(), Some("2026-05-19"));
        assert_eq!(day("vor 2 Tagen").as_deref(), Some("2026-05-20"));
        assert_eq!(day("hace 1 semana").as_deref(), Some("2026-05-15"));
    }

    #[test]
    fn implausible_and_ambiguous_dates_are_rejected() {
        assert_eq!(day("May 20, 1990"), None, "before the web");
        assert_eq!(day("May 20, 2027"), None, "in the future");
        assert_eq!(day("© 2026 Example Corp"), None, "a bare year");
        assert_eq!(day("05/06/2026"), None, "ambiguous without context");
        let us = DateContext {
            day_first: Some(false),
            ..cx()
        };
        assert_eq!(
            parse_human("05/06/2026", &us)
                .unwrap()
                .local_date
                .to_string(),
            "2026-05-06"
        );
        assert_eq!(day("2026-02-30"), None);
        assert_eq!(day("version 1.2.22.4"), None, "a dotted version is no date");
    }

    #[test]
    fn broken_feed_dates_still_parse() {
        let t = |s: &str| parse_feed_timestamp(s).map(dossier_model::fmt_time);
        assert_eq!(
            t("Tue, 19 May 2026 08:00:00 GMT").as_deref(),
            Some("2026-05-19T08:00:00Z")
        );
        assert_eq!(
            t("19 May 2026 08:00:00 +0200").as_deref(),
            Some("2026-05-19T06:00:00Z"),
            "no weekday"
        );
        assert_eq!(
            t("Tue, 19 May 2026 08:00:00 PDT").as_deref(),
            Some("2026-05-19T15:00:00Z")
        );
        assert_eq!(
            t("Tue, 19 May 2026 8:00 EST").as_deref(),
            Some("2026-05-19T13:00:00Z"),
            "no seconds"
        );
        assert_eq!(
            t("2026-05-19 08:00:00").as_deref(),
            Some("2026-05-19T08:00:00Z"),
            "no zone: UTC"
        );
        assert_eq!(
            t("Thursday, May 19, 2026 8:00 AM").as_deref(),
            Some("2026-05-19T08:00:00Z")
        );
        assert_eq!(
            t("Wed, 01 Jan 2031 00:00:00 GMT").as_deref(),
            Some("2031-01-01T00:00:00Z"),
            "kept, for flagging"
        );
        assert_eq!(
            t("Thu, 01 Jan 1970 00:00:00 GMT").as_deref(),
            Some("1970-01-01T00:00:00Z"),
            "kept, for flagging"
        );
    }

    #[test]
    fn url_dates() {
        let d = |u: &str| from_url(u, &cx()).map(|d| d.local_date.to_string());
        assert_eq!(
            d("https://x.example/2026/05/20/story").as_deref(),
            Some("2026-05-20")
        );
        assert_eq!(
            d("https://x.example/news/2026-05-20-story.html").as_deref(),
            Some("2026-05-20")
        );
        assert_eq!(
            d("https://x.example/20260520/story").as_deref(),
            Some("2026-05-20")
        );
        assert_eq!(d("https://x.example/2026/05/story"), None, "no day");
        assert_eq!(d("https://x.example/item/12345678"), None);
    }

    #[test]
    fn text_scan_finds_dates_in_order() {
        let found = find_in_text("Posted on 20 May 2026, updated May 21, 2026.", &cx());
        let days: Vec<String> = found
            .iter()
            .map(|(d, _)| d.local_date.to_string())
            .collect();
        assert_eq!(days, vec!["2026-05-20", "2026-05-21"]);
    }
}
