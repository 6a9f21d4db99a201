//! Stories: a version's sources grouped by the event they report, so that a writer can
//! cite `[6][7][8]` for one model release told by three outlets and build a timeline from
//! events rather than from single items.
//!
//! Near-duplicates ([`crate::neardup`]) are one item told twice; a story groups
//! *different* items about one event: other outlets, other languages, a post about it, a
//! blog post that cites the report. The grouping is made once, when a version is cut, so
//! it only has to be explainable, offline and fast — no model, no network.
//!
//! **The score of a pair** (0 to 1, [`explain`] lists what made it):
//!
//! - *Shared words, weighted by rarity.* Title and summary become terms: words (stop
//!   words of the text's language left out, the rest stemmed with that language's Snowball
//!   stemmer), character pairs in scripts written without spaces (Chinese, Japanese, …),
//!   codes that mix letters and digits (`H20`, `U1`, `CVE-2026-3311`, `Meridian-32B`) and
//!   amounts read as values (`$4.5bn`, `$4.5 billion` and `45亿美元` are one term, `1,75
//!   Prozent` and `1.75%` another). Each term weighs by its rarity in the version
//!   (inverse document frequency, with a prior so that a version of three sources still
//!   weighs words), twice as much in a title, and codes and amounts half again as much:
//!   they name one event. Rarity is what makes a lab's *model name* count for more than
//!   the lab's name in a version full of that lab's news. The text similarity is the mean
//!   of the cosine of the two weighted term sets and their overlap (the shared weight over
//!   the smaller set's): the cosine alone judges a one-line post against a long summary
//!   by everything the summary adds, the overlap alone would let a short generic title
//!   match anything that contains it.
//! - *Links.* One source quoting the other's URL, or both quoting the same page (a press
//!   release, a report), adds [`LINK_BONUS`]. A page quoted by many sources of the version
//!   (a home page, a standing list) is no evidence.
//! - *Time.* Reports of one event come within days: the score is kept whole for sources
//!   up to [`FULL_DAYS`] apart and falls to nothing at [`WINDOW_DAYS`]. A source without a
//!   date is judged on its text alone.
//! - *Conflicting amounts.* Two titles that both give amounts of one kind (money, a
//!   percentage, a plain count) and share none of them report different events however
//!   alike the words ("EU fines Apple €500 million…" and "EU fines Meta €200 million…",
//!   "Starship Flight 12" and "Flight 13"): their score is 0, as near-duplicate titles
//!   must agree on their numbers. The day of a date ("May 19") is no amount.
//!
//! Two sources are *linked* when their score reaches [`THRESHOLD`], measured on the
//! labelled set in `fixtures/stories/` (figures in BENCHMARKS.md).
//!
//! **From links to stories.** Links are taken strongest first; each joins the two
//! stories it connects only if the average score over every pair of sources across the
//! two stories also reaches the threshold (average linkage, checked on the links the score
//! found), and only if the dated sources of the joined story stay within [`WINDOW_DAYS`]
//! of each other. Joining on single links alone chains: a launch report links to a docking report
//! through one post that tells both, and two events become one story; requiring every pair
//! to be linked (complete linkage) splits a story whenever one outlet words it apart.
//! BENCHMARKS.md compares the three.
//!
//! **Cost.** Terms are hashed; candidate pairs come from an inverted index of the terms
//! that are not common in the version (a pair that shares only common words seldom
//! reaches the threshold), restricted to sources within the time window of each other, so a
//! version is never compared all pairs with all pairs.
//!
//! **Limits.** Words must be shared: the same news in English and Chinese is found only
//! through what both spell alike (codes, Latin names, amounts, links). Stemming knows
//! English, German, French, Spanish, Italian, Portuguese and Dutch; other languages are
//! compared word for word. Names are not recognised as such, only weighed by rarity.

use rust_stemmers::{Algorithm, Stemmer};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::LazyLock;

// The nouns are the model's: the store freezes stories with the version it cuts and sees
// only them.
pub use dossier_model::story::{Story, StorySource};

/// The score at or above which two sources are linked (see BENCHMARKS.md, "Stories").
pub const THRESHOLD: f64 = 0.19;
/// What a shared or quoted link adds to the text similarity.
pub const LINK_BONUS: f64 = 0.25;
/// Sources up to this many days apart keep their whole score.
pub const FULL_DAYS: f64 = 3.0;
/// Sources this many days apart or more are never linked.
pub const WINDOW_DAYS: f64 = 10.0;

/// How links become stories. The defaults are the measured choice; the others are
/// there to measure it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    pub threshold: f64,
    pub linkage: Linkage,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Linkage {
    /// Every link joins its two stories: a chain of links makes one story.
    Single,
    /// A link joins two stories when the mean score across them reaches the floor.
    Average(f64),
    /// A link joins two stories when every pair across them scores at least the floor.
    Complete(f64),
}

impl Default for Options {
    fn default() -> Self {
        Options {
            threshold: THRESHOLD,
            linkage: Linkage::Average(THRESHOLD),
        }
    }
}

/// Groups a version's sources into stories: every source in exactly one story, stories
/// ordered by date (undated last), then by their lowest source number. The result does not
/// depend on the order of `sources`.
pub fn group(sources: &[StorySource]) -> Vec<Story> {
    group_with(sources, Options::default())
}

/// [`group`] with another threshold or linkage.
pub fn group_with(sources: &[StorySource], options: Options) -> Vec<Story> {
    let corpus = Corpus::new(sources);
    let n = corpus.docs.len();
    let mut edges: Vec<(f64, usize, usize)> = corpus
        .candidates()
        .into_iter()
        .filter_map(|(i, j)| {
            let s = corpus.score(i, j);
            (s >= options.threshold).then_some((s, i, j))
        })
        .collect();
    edges.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));

    let mut story_of: Vec<usize> = (0..n).collect();
    let mut members: Vec<Vec<usize>> = (0..n).map(|i| vec![i]).collect();
    for (_, i, j) in edges {
        let (a, b) = (story_of[i], story_of[j]);
        if a == b || !corpus.may_join(&members[a], &members[b], options.linkage) {
            continue;
        }
        let (keep, gone) = if members[a].len() >= members[b].len() {
            (a, b)
        } else {
            (b, a)
        };
        let moved = std::mem::take(&mut members[gone]);
        for &m in &moved {
            story_of[m] = keep;
        }
        members[keep].extend(moved);
    }

    let mut stories: Vec<Story> = members
        .into_iter()
        .filter(|m| !m.is_empty())
        .map(|m| corpus.story(m))
        .collect();
    stories.sort_by(|a, b| {
        match (a.published_at, b.published_at) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        }
        .then(a.sources[0].cmp(&b.sources[0]))
    });
    stories
}

/// Why two sources of a version are (or are not) linked.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    /// The pair's score, from 0 to 1.
    pub score: f64,
    /// The threshold it is compared with.
    pub threshold: f64,
    /// The cosine of the two weighted term sets.
    pub text_similarity: f64,
    /// The shared words (as stemmed: `releas`), codes and character pairs, heaviest
    /// first (at most 10).
    pub shared_terms: Vec<String>,
    /// The shared amounts (`$4.5bn`, `41%`, `23`).
    pub shared_numbers: Vec<String>,
    /// The amounts of each title when they conflict (empty otherwise).
    pub conflicting_numbers: Option<(Vec<String>, Vec<String>)>,
    pub link: Option<LinkEvidence>,
    /// Days between the two dates, when both are dated.
    pub days_apart: Option<f64>,
    /// What the time gap leaves of the score (1 within [`FULL_DAYS`]).
    pub time_factor: f64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkEvidence {
    /// Source `from` quotes the URL of source `to`.
    Cites { from: u32, to: u32 },
    /// Both quote this page (its dedup key).
    BothCite(String),
}

impl Evidence {
    pub fn same_story(&self) -> bool {
        self.score >= self.threshold
    }
}

impl fmt::Display for Evidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "score {:.2} ({} {:.2}): text {:.2}",
            self.score,
            if self.same_story() { "≥" } else { "<" },
            self.threshold,
            self.text_similarity
        )?;
        if !self.shared_terms.is_empty() {
            write!(f, ", shared {}", self.shared_terms.join(" "))?;
        }
        if !self.shared_numbers.is_empty() {
            write!(f, ", amounts {}", self.shared_numbers.join(" "))?;
        }
        match &self.link {
            Some(LinkEvidence::Cites { from, to }) => write!(f, ", [{from}] quotes [{to}]")?,
            Some(LinkEvidence::BothCite(page)) => write!(f, ", both quote {page}")?,
            None => {}
        }
        if let Some((a, b)) = &self.conflicting_numbers {
            write!(f, ", titles disagree ({} / {})", a.join(" "), b.join(" "))?;
        }
        if let Some(d) = self.days_apart {
            write!(f, ", {d:.1} days apart (×{:.2})", self.time_factor)?;
        }
        Ok(())
    }
}

/// The evidence for sources number `a` and `b` of a version (term weights depend on the
/// whole version, so the version is passed). `None` when either number is not there.
pub fn explain(sources: &[StorySource], a: u32, b: u32) -> Option<Evidence> {
    let corpus = Corpus::new(sources);
    let i = corpus.docs.iter().position(|d| d.n == a)?;
    let j = corpus.docs.iter().position(|d| d.n == b)?;
    let (sa, sb) = (corpus.sources[i], corpus.sources[j]);
    let (ta, tb) = (Texts::of(sa), Texts::of(sb));
    let (da, db) = (&corpus.docs[i], &corpus.docs[j]);

    let mut shared: Vec<(f32, Kind, String)> = Vec::new();
    for (hash, (kind, text)) in &ta.terms {
        if tb.terms.contains_key(hash)
            && let (Some(wa), Some(wb)) = (da.weight(*hash), db.weight(*hash))
        {
            shared.push((wa * wb, *kind, text.clone()));
        }
    }
    shared.sort_by(|x, y| y.0.total_cmp(&x.0).then_with(|| x.2.cmp(&y.2)));
    let shared_numbers = shared
        .iter()
        .filter(|s| s.1 == Kind::Number)
        .map(|s| s.2.clone())
        .collect();
    let shared_terms = shared
        .iter()
        .filter(|s| s.1 != Kind::Number)
        .take(10)
        .map(|s| s.2.clone())
        .collect();
    let conflicting_numbers =
        titles_conflict(da, db).then_some((ta.title_numbers, tb.title_numbers));
    let link = corpus.link(i, j).map(|l| match l {
        Link::Cites { from_first: true } => LinkEvidence::Cites { from: a, to: b },
        Link::Cites { from_first: false } => LinkEvidence::Cites { from: b, to: a },
        Link::Both(hash) => LinkEvidence::BothCite(
            link_keys(sa)
                .into_iter()
                .find(|k| hash_str(k) == hash)
                .unwrap_or_default(),
        ),
    });
    let days_apart = days_between(da, db);
    Some(Evidence {
        score: corpus.score(i, j),
        threshold: THRESHOLD,
        text_similarity: corpus.cosine(i, j),
        shared_terms,
        shared_numbers,
        conflicting_numbers,
        link,
        days_apart,
        time_factor: days_apart.map_or(1.0, time_factor),
    })
}

// ---------------------------------------------------------------------------------------
// Terms

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Word,
    /// A pair of characters of a script written without spaces.
    Pair,
    /// Letters and digits together: a model, a chip, a flight, a CVE.
    Code,
    Number,
}

impl Kind {
    fn boost(self) -> f32 {
        match self {
            Kind::Word => 1.0,
            // Every character stands in two pairs, so a Chinese headline has about twice
            // as many terms as its words.
            Kind::Pair => 0.7,
            Kind::Code | Kind::Number => 1.5,
        }
    }
}

const TITLE_WEIGHT: f32 = 2.0;

/// Languages whose stop words and stemmer are known; the first is assumed when a text
/// has no stop word of any (most feeds are English, and a stemmer on a name is harmless).
const LANGUAGES: [(&str, Algorithm); 7] = [
    ("en", Algorithm::English),
    ("de", Algorithm::German),
    ("fr", Algorithm::French),
    ("es", Algorithm::Spanish),
    ("it", Algorithm::Italian),
    ("pt", Algorithm::Portuguese),
    ("nl", Algorithm::Dutch),
];

/// Words that fill headlines in every story: they say nothing about which event.
const NEWS_FILLER: &[&str] = &[
    "says",
    "said",
    "say",
    "new",
    "reports",
    "reported",
    "according",
    "sources",
    "source",
    "amid",
    "also",
    "could",
    "would",
    "may",
    "might",
    "first",
    "one",
    "two",
    "three",
    "today",
    "yesterday",
    "week",
    "year",
    "years",
    "day",
    "days",
    "per",
    "via",
];

/// Each stop word with the languages (bits of [`LANGUAGES`]) it is one of.
static STOP_WORDS: LazyLock<HashMap<&'static str, u8>> = LazyLock::new(|| {
    let mut map: HashMap<&'static str, u8> = HashMap::new();
    for (bit, (code, _)) in LANGUAGES.iter().enumerate() {
        for w in stop_words::get(code) {
            *map.entry(w).or_default() |= 1 << bit;
        }
    }
    for w in NEWS_FILLER {
        *map.entry(w).or_default() |= 1;
    }
    map
});

/// Two-character Chinese function words ("一些", "以及"): pairs that are no evidence.
static CJK_STOP_PAIRS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    stop_words::get("zh")
        .iter()
        .copied()
        .filter(|w| w.chars().count() == 2)
        .collect()
});

static STEMMERS: LazyLock<Vec<Stemmer>> =
    LazyLock::new(|| LANGUAGES.iter().map(|(_, a)| Stemmer::create(*a)).collect());

/// The language of a text (an index into [`LANGUAGES`]) by its stop words.
fn language(text: &str) -> usize {
    let mut counts = [0u32; LANGUAGES.len()];
    for w in text
        .split(|c: char| !c.is_alphabetic() || is_cjk(c))
        .filter(|w| !w.is_empty())
    {
        let lower = w.to_lowercase();
        if let Some(bits) = STOP_WORDS.get(lower.as_str()) {
            for (i, c) in counts.iter_mut().enumerate() {
                if bits & (1 << i) != 0 {
                    *c += 1;
                }
            }
        }
    }
    let mut best = 0;
    for i in 1..counts.len() {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    best
}

fn is_cjk(c: char) -> bool {
    dossier_model::is_unspaced_script_char(c)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Plain,
    Percent,
    BasisPoints,
    Usd,
    Eur,
    Cny,
    Hkd,
    Gbp,
    Jpy,
}

impl Unit {
    fn prefix(self) -> &'static str {
        match self {
            Unit::Plain | Unit::Percent | Unit::BasisPoints => "",
            Unit::Usd => "$",
            Unit::Eur => "€",
            Unit::Cny => "CN¥",
            Unit::Hkd => "HK$",
            Unit::Gbp => "£",
            Unit::Jpy => "JP¥",
        }
    }
    fn suffix(self) -> &'static str {
        match self {
            Unit::Percent => "%",
            Unit::BasisPoints => "bp",
            _ => "",
        }
    }
}

/// An amount as one term: `$4.5bn`, `37bn`, `1.75%`, `23`.
fn fmt_amount(value: f64, unit: Unit) -> String {
    let (v, scale) = if value.abs() >= 1e12 {
        (value / 1e12, "tn")
    } else if value.abs() >= 1e9 {
        (value / 1e9, "bn")
    } else if value.abs() >= 1e6 {
        (value / 1e6, "m")
    } else {
        (value, "")
    };
    // Four significant digits: "1.2 trillion" and "1.2万亿" must meet exactly.
    let digits = if v.abs() >= 1000.0 {
        0
    } else if v.abs() >= 100.0 {
        1
    } else if v.abs() >= 10.0 {
        2
    } else {
        3
    };
    let mut s = format!("{v:.digits$}");
    if s.contains('.') {
        s = s.trim_end_matches('0').trim_end_matches('.').to_string();
    }
    format!("{}{s}{scale}{}", unit.prefix(), unit.suffix())
}

/// A word that multiplies the number before it. "billion" is 10⁹ in English and 10¹²
/// in German and French, where 10⁹ is "Milliarde" / "milliard".
fn scale_word(w: &str, lang: usize) -> Option<f64> {
    let long_scale = matches!(LANGUAGES[lang].0, "de" | "fr" | "es" | "it" | "pt" | "nl");
    Some(match w {
        "thousand" | "k" | "mil" => 1e3,
        "million" | "millions" | "m" | "mn" | "mio" | "millionen" | "millones" | "milioni" => 1e6,
        "billion" | "billions" | "billionen" if long_scale => 1e12,
        "billion" | "billions" | "b" | "bn" | "milliard" | "milliards" | "milliarde"
        | "milliarden" | "mrd" | "miliardi" | "mil millones" => 1e9,
        "trillion" | "trillions" | "t" | "tn" => 1e12,
        _ => return None,
    })
}

fn currency_word(w: &str) -> Option<Unit> {
    Some(match w {
        "dollar" | "dollars" | "usd" => Unit::Usd,
        "euro" | "euros" | "eur" => Unit::Eur,
        "yuan" | "rmb" | "cny" | "renminbi" => Unit::Cny,
        "yen" | "jpy" => Unit::Jpy,
        "pounds" | "gbp" => Unit::Gbp,
        _ => return None,
    })
}

fn currency_symbol(c: char) -> Option<Unit> {
    Some(match c {
        '$' => Unit::Usd,
        '€' => Unit::Eur,
        '£' => Unit::Gbp,
        '¥' | '￥' => Unit::Cny,
        _ => return None,
    })
}

/// Parses `1.75`, `1,75`, `10,000`, `10.000`, `411,000`: a separator followed by
/// exactly three digits (and no other separator kind) groups thousands, otherwise it is
/// the decimal mark.
fn parse_number(s: &str) -> Option<f64> {
    if s.is_empty()
        || !s
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
    {
        return None;
    }
    let groups: Vec<&str> = s.split(['.', ',']).collect();
    if groups.iter().any(|g| g.is_empty()) {
        return None;
    }
    let thousands = groups.len() > 1
        && groups[1..].iter().all(|g| g.len() == 3)
        && (groups.len() > 2 || groups[0] != "0");
    let text = if thousands {
        groups.concat()
    } else if groups.len() == 2 {
        format!("{}.{}", groups[0], groups[1])
    } else if groups.len() == 1 {
        groups[0].to_string()
    } else {
        return None;
    };
    text.parse().ok()
}

#[derive(Debug, Clone, PartialEq)]
enum Atom<'a> {
    Word(&'a str),
    Num(f64),
    Sym(char),
    Cjk(&'a str),
}

/// Splits a text into atoms: words (letters and digits, joined through `-`, `.`, `,`,
/// `'` inside them), runs of unspaced-script characters, and the symbols `$ € £ ¥ %`.
/// Links are skipped (they are read as links).
fn lex(text: &str) -> Vec<Atom<'_>> {
    let mut atoms = Vec::new();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let end_of = |k: usize| chars.get(k).map_or(text.len(), |c| c.0);
    let word_char = |c: char| c.is_alphanumeric() && !is_cjk(c);
    let mut k = 0;
    while k < chars.len() {
        let (at, c) = chars[k];
        if text[at..].starts_with("http://") || text[at..].starts_with("https://") {
            while k < chars.len() && !chars[k].1.is_whitespace() {
                k += 1;
            }
        } else if is_cjk(c) {
            while k < chars.len() && is_cjk(chars[k].1) {
                k += 1;
            }
            atoms.push(Atom::Cjk(&text[at..end_of(k)]));
        } else if word_char(c) {
            let start = k;
            k += 1;
            while k < chars.len() {
                let c = chars[k].1;
                if word_char(c) {
                    k += 1;
                    continue;
                }
                let prev = chars[k - 1].1;
                let next = chars.get(k + 1).map(|x| x.1);
                let joins = match c {
                    '.' | ',' => prev.is_ascii_digit() && next.is_some_and(|n| n.is_ascii_digit()),
                    '-' | '\'' | '’' => next.is_some_and(word_char),
                    _ => false,
                };
                if joins {
                    k += 1;
                } else {
                    break;
                }
            }
            let word = &text[chars[start].0..end_of(k)];
            // "10 000": thousands grouped by a space, as French and others write them.
            let grouped = word.len() == 3
                && word.bytes().all(|b| b.is_ascii_digit())
                && start >= 2
                && matches!(chars[start - 1].1, ' ' | '\u{a0}' | '\u{202f}')
                && chars[start - 2].1.is_ascii_digit();
            match (grouped, atoms.last_mut()) {
                (true, Some(Atom::Num(v))) if v.fract() == 0.0 => {
                    *v = *v * 1000.0 + word.parse::<f64>().unwrap_or(0.0);
                }
                _ => words_of(word, &mut atoms),
            }
        } else {
            if currency_symbol(c).is_some() || c == '%' || c == '％' {
                atoms.push(Atom::Sym(if c == '％' { '%' } else { c }));
            }
            k += 1;
        }
    }
    atoms
}

/// Splits a lexed word into atoms: `1.2-trillion-parameter` into a number and two words,
/// `397B` into a number and its scale, `China's` into `china`.
fn words_of<'a>(word: &'a str, atoms: &mut Vec<Atom<'a>>) {
    for part in word.split('-') {
        let part = part
            .strip_suffix("'s")
            .or_else(|| part.strip_suffix("’s"))
            .unwrap_or(part);
        // French elision: l'IA, d'euros.
        let part = match part.find(['\'', '’']) {
            Some(at) if at <= 3 => {
                &part[at + part[at..].chars().next().map_or(1, char::len_utf8)..]
            }
            _ => part,
        };
        if part.is_empty() {
            continue;
        }
        if let Some(v) = parse_number(part) {
            atoms.push(Atom::Num(v));
            continue;
        }
        // "397B", "4.5bn", "128k": a number and its scale written together.
        let digits = part
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
            .unwrap_or(part.len());
        if digits > 0
            && let Some(v) = parse_number(&part[..digits])
            && matches!(
                part[digits..].to_ascii_lowercase().as_str(),
                "k" | "m" | "mn" | "b" | "bn" | "t" | "tn"
            )
        {
            atoms.push(Atom::Num(v));
            atoms.push(Atom::Word(&part[digits..]));
            continue;
        }
        atoms.push(Atom::Word(part));
    }
}

/// Reads the atoms of a text as terms, calling `emit` with each term's kind and text;
/// amounts are also passed to `amount`.
fn read_terms(
    text: &str,
    lang: usize,
    emit: &mut dyn FnMut(Kind, &str),
    amount: &mut dyn FnMut(Unit, &str),
) {
    let atoms = lex(text);
    let lower: Vec<Option<String>> = atoms
        .iter()
        .map(|a| match a {
            Atom::Word(w) => Some(w.to_lowercase()),
            _ => None,
        })
        .collect();
    let word_at = |k: usize| lower.get(k).and_then(|w| w.as_deref());

    // Codes: compounds of letters and digits as written ("meridian-32b", "cve-2026-3311").
    for w in text.split(|c: char| c.is_whitespace() || is_cjk(c) || ",;:!?()[]\"“”«»/".contains(c))
    {
        let w = w.trim_matches(|c: char| !c.is_alphanumeric());
        if w.starts_with("http") {
            continue;
        }
        let has_digit = w.chars().any(|c| c.is_ascii_digit());
        let has_letter = w.chars().any(|c| c.is_alphabetic() && !is_cjk(c));
        if has_digit && has_letter && w.chars().all(|c| c.is_alphanumeric() || ".-".contains(c)) {
            let lw = w.to_lowercase();
            let lw = lw.trim_end_matches('.');
            // The compound and each of its parts that is a code: "NIS2-Umsetzungsgesetz"
            // must meet "NIS2".
            let parts = lw.split('-').filter(|p| {
                p.chars().any(|c| c.is_ascii_digit()) && p.chars().any(char::is_alphabetic)
            });
            for code in std::iter::once(lw).chain(parts).collect::<HashSet<_>>() {
                // An amount written with its scale is an amount, not a code.
                let scale_only = lex(code).iter().all(|a| match a {
                    Atom::Num(_) => true,
                    Atom::Word(x) => scale_word(&x.to_lowercase(), lang).is_some(),
                    _ => false,
                });
                if !scale_only {
                    emit(Kind::Code, code);
                }
            }
        }
    }

    let mut k = 0;
    let mut pending: Option<Unit> = None;
    while k < atoms.len() {
        match &atoms[k] {
            Atom::Sym(c) => {
                pending = currency_symbol(*c);
                k += 1;
            }
            Atom::Num(v) => {
                let mut value = *v;
                let mut unit = pending.take().unwrap_or(Unit::Plain);
                let after_month = k > 0 && word_at(k - 1).is_some_and(is_month);
                k += 1;
                let before_month = word_at(k).is_some_and(is_month)
                    || matches!(atoms.get(k), Some(Atom::Cjk(run)) if run.starts_with(['月', '日', '年']));
                if let Some(s) = word_at(k).and_then(|w| scale_word(w, lang)) {
                    value *= s;
                    k += 1;
                }
                let mut cjk_rest: Option<&str> = None;
                if let Some(Atom::Cjk(run)) = atoms.get(k) {
                    let (v, u, rest) = cjk_amount(run);
                    value *= v;
                    if let Some(u) = u {
                        unit = u;
                    }
                    cjk_rest = Some(rest);
                    k += 1;
                } else if let Some(Atom::Sym('%')) = atoms.get(k) {
                    unit = Unit::Percent;
                    k += 1;
                } else if let Some(Atom::Sym(c)) = atoms.get(k)
                    && let Some(u) = currency_symbol(*c)
                {
                    unit = u;
                    k += 1;
                } else if let Some(w) = word_at(k) {
                    if let Some(u) = currency_word(w) {
                        unit = u;
                        k += 1;
                    } else if matches!(w, "percent" | "prozent" | "pct" | "porcentaje") {
                        unit = Unit::Percent;
                        k += 1;
                    } else if matches!(w, "per" | "pour" | "por")
                        && matches!(word_at(k + 1), Some("cent" | "cento" | "ciento"))
                    {
                        unit = Unit::Percent;
                        k += 2;
                    } else if matches!(w, "prozentpunkte" | "prozentpunkt") {
                        unit = Unit::BasisPoints;
                        value *= 100.0;
                        k += 1;
                    } else if w == "basis" && word_at(k + 1).is_some_and(|x| x.starts_with("point"))
                    {
                        unit = Unit::BasisPoints;
                        k += 2;
                    } else if w == "bp" || w == "bps" {
                        unit = Unit::BasisPoints;
                        k += 1;
                    }
                }
                let key = fmt_amount(value, unit);
                emit(Kind::Number, &key);
                // A day of a date ("May 19", "19 mai", "5月19日") is a term but no
                // amount: a report on May 19 does not conflict with "14 firms".
                if !(unit == Unit::Plain && (after_month || before_month)) {
                    amount(unit, &key);
                }
                if let Some(rest) = cjk_rest {
                    cjk_pairs(rest, emit);
                }
            }
            Atom::Cjk(run) => {
                pending = None;
                cjk_pairs(run, emit);
                k += 1;
            }
            Atom::Word(_) => {
                let lw = word_at(k).unwrap_or_default();
                k += 1;
                // "HK$4.4 billion", "US$10bn".
                if matches!(atoms.get(k), Some(Atom::Sym('$'))) && matches!(lw, "hk" | "us") {
                    pending = Some(if lw == "hk" { Unit::Hkd } else { Unit::Usd });
                    k += 1;
                    continue;
                }
                pending = None;
                if lw.chars().count() < 2 || lw.chars().any(|c| c.is_ascii_digit()) {
                    // Single letters say nothing; words with digits are codes (above).
                    continue;
                }
                if let Some(bits) = STOP_WORDS.get(lw)
                    && bits & (1 | 1 << lang) != 0
                {
                    continue;
                }
                let stem = STEMMERS[lang].stem(lw);
                emit(Kind::Word, &stem);
            }
        }
    }
}

/// Month names (and their short forms) of the languages whose stop words are known.
fn is_month(w: &str) -> bool {
    const MONTHS: &[&str] = &[
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "januar",
        "februar",
        "märz",
        "mai",
        "juni",
        "juli",
        "oktober",
        "dezember",
        "janvier",
        "février",
        "mars",
        "avril",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ];
    MONTHS.contains(&w)
}

/// The scale and currency written in Chinese right after a number ("45亿美元",
/// "0.5个百分点"), and the rest of the run.
fn cjk_amount(run: &str) -> (f64, Option<Unit>, &str) {
    let mut rest = run;
    let mut value = 1.0;
    let mut unit = None;
    for (prefix, scale) in [("万亿", 1e12), ("亿", 1e8), ("万", 1e4), ("千", 1e3)] {
        if let Some(r) = rest.strip_prefix(prefix) {
            value = scale;
            rest = r;
            break;
        }
    }
    for (prefix, u) in [
        ("美元", Unit::Usd),
        ("欧元", Unit::Eur),
        ("港元", Unit::Hkd),
        ("日元", Unit::Jpy),
        ("英镑", Unit::Gbp),
        ("元人民币", Unit::Cny),
        ("元", Unit::Cny),
    ] {
        if let Some(r) = rest.strip_prefix(prefix) {
            unit = Some(u);
            rest = r;
            break;
        }
    }
    if let Some(r) = rest.strip_prefix("个百分点") {
        value *= 100.0;
        unit = Some(Unit::BasisPoints);
        rest = r;
    }
    (value, unit, rest)
}

/// Overlapping character pairs of a run ("神舟二十三号" → 神舟, 舟二, …); a lone
/// character stands for itself.
fn cjk_pairs(run: &str, emit: &mut dyn FnMut(Kind, &str)) {
    let idx: Vec<usize> = run
        .char_indices()
        .map(|(i, _)| i)
        .chain([run.len()])
        .collect();
    if idx.len() == 2 {
        emit(Kind::Pair, run);
    }
    for w in idx.windows(3) {
        let pair = &run[w[0]..w[2]];
        if !CJK_STOP_PAIRS.contains(pair) {
            emit(Kind::Pair, pair);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Documents and the version

fn hash_str(s: &str) -> u64 {
    // FNV-1a: stable across runs and platforms, fast on short terms.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    h
}

fn term_hash(kind: Kind, text: &str) -> u64 {
    hash_str(text) ^ (kind as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

/// A source reduced for scoring.
struct Doc {
    n: u32,
    /// Term hashes, sorted, with their flag (in the title) then, once the version's
    /// rarities are known, their weights.
    terms: Vec<(u64, Kind, bool)>,
    weights: Vec<f32>,
    norm: f32,
    /// Amounts of the title, by unit.
    title_amounts: Vec<(Unit, u64)>,
    url: Option<u64>,
    links: Vec<u64>,
    at: Option<i64>,
}

impl Doc {
    fn weight(&self, hash: u64) -> Option<f32> {
        self.terms
            .binary_search_by(|t| t.0.cmp(&hash))
            .ok()
            .map(|k| self.weights[k])
    }
}

/// The dedup keys of the links a source quotes: its `links` and those written in its
/// text, without its own URL and without bare host names (a home page is no evidence).
fn link_keys(s: &StorySource) -> Vec<String> {
    let own = own_key(s);
    let mut keys: Vec<String> = s
        .links
        .iter()
        .filter_map(|l| crate::canonical_url(l))
        .filter(|u| u.path().len() > 1)
        .map(|u| crate::dedup_key(&u))
        .chain(crate::neardup::quoted_link_keys(&s.title))
        .chain(
            s.summary
                .as_deref()
                .map(crate::neardup::quoted_link_keys)
                .unwrap_or_default(),
        )
        .filter(|k| Some(k) != own.as_ref() && k.contains('/'))
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

fn own_key(s: &StorySource) -> Option<String> {
    s.url
        .as_deref()
        .and_then(crate::canonical_url)
        .map(|u| crate::dedup_key(&u))
}

fn doc_of(s: &StorySource) -> Doc {
    let lang = language(&format!(
        "{} {}",
        s.title,
        s.summary.as_deref().unwrap_or("")
    ));
    let mut terms: Vec<(u64, Kind, bool)> = Vec::new();
    let mut title_amounts = Vec::new();
    read_terms(
        &s.title,
        lang,
        &mut |k, t| terms.push((term_hash(k, t), k, true)),
        &mut |u, a| title_amounts.push((u, hash_str(a))),
    );
    if let Some(summary) = &s.summary {
        read_terms(
            summary,
            lang,
            &mut |k, t| terms.push((term_hash(k, t), k, false)),
            &mut |_, _| {},
        );
    }
    // One entry per term, in the title if it is there at all.
    terms.sort_by(|a, b| a.0.cmp(&b.0).then(b.2.cmp(&a.2)));
    terms.dedup_by_key(|t| t.0);
    title_amounts.sort_by_key(|a| (a.0 as u8, a.1));
    title_amounts.dedup();
    let mut links: Vec<u64> = link_keys(s).iter().map(|k| hash_str(k)).collect();
    links.sort_unstable();
    Doc {
        n: s.n,
        terms,
        weights: Vec::new(),
        norm: 0.0,
        title_amounts,
        url: own_key(s).map(|k| hash_str(&k)),
        links,
        at: s.published_at.map(|t| t.timestamp()),
    }
}

/// A source's terms with their text, for explanations.
struct Texts {
    terms: HashMap<u64, (Kind, String)>,
    title_numbers: Vec<String>,
}

impl Texts {
    fn of(s: &StorySource) -> Texts {
        let lang = language(&format!(
            "{} {}",
            s.title,
            s.summary.as_deref().unwrap_or("")
        ));
        let mut terms = HashMap::new();
        let mut title_numbers = Vec::new();
        let mut emit = |k: Kind, t: &str| {
            terms.entry(term_hash(k, t)).or_insert((k, t.to_string()));
        };
        read_terms(&s.title, lang, &mut emit, &mut |_, a| {
            title_numbers.push(a.to_string())
        });
        if let Some(summary) = &s.summary {
            read_terms(summary, lang, &mut emit, &mut |_, _| {});
        }
        title_numbers.dedup();
        Texts {
            terms,
            title_numbers,
        }
    }
}

/// Whether two titles give amounts of one unit and share none of them.
fn titles_conflict(a: &Doc, b: &Doc) -> bool {
    let units = |d: &Doc| {
        let mut u: Vec<u8> = d.title_amounts.iter().map(|x| x.0 as u8).collect();
        u.dedup();
        u
    };
    units(a).into_iter().any(|u| {
        let of = |d: &Doc| -> Vec<u64> {
            d.title_amounts
                .iter()
                .filter(|x| x.0 as u8 == u)
                .map(|x| x.1)
                .collect()
        };
        let (x, y) = (of(a), of(b));
        !y.is_empty() && !x.iter().any(|v| y.contains(v))
    })
}

/// At most [`SAMPLE`] members of a story, evenly spaced.
fn sample(members: &[usize]) -> Vec<usize> {
    if members.len() <= SAMPLE {
        return members.to_vec();
    }
    (0..SAMPLE)
        .map(|k| members[k * members.len() / SAMPLE])
        .collect()
}

const SAMPLE: usize = 64;

fn days_between(a: &Doc, b: &Doc) -> Option<f64> {
    Some((a.at? - b.at?).abs() as f64 / 86_400.0)
}

fn time_factor(days: f64) -> f64 {
    if days <= FULL_DAYS {
        1.0
    } else {
        (1.0 - (days - FULL_DAYS) / (WINDOW_DAYS - FULL_DAYS)).max(0.0)
    }
}

/// Terms more common than this (in sources of the version) do not propose candidates.
fn common_df(n: usize) -> usize {
    (n / 50).max(50)
}

/// What a version of few sources counts as its background when weighing rarity: a term
/// in 2 of 3 sources is not common, only shared.
const PRIOR_DOCS: f32 = 20.0;

enum Link {
    Cites { from_first: bool },
    Both(u64),
}

struct Corpus<'a> {
    /// Sorted by number; `sources[k]` is `docs[k]`'s source.
    docs: Vec<Doc>,
    sources: Vec<&'a StorySource>,
    /// Links quoted by too many sources to be evidence.
    common_links: HashSet<u64>,
    /// Document frequency of each term.
    df: HashMap<u64, u32>,
}

impl<'a> Corpus<'a> {
    fn new(sources: &'a [StorySource]) -> Corpus<'a> {
        let mut sorted: Vec<&StorySource> = sources.iter().collect();
        sorted.sort_by(|a, b| {
            a.n.cmp(&b.n)
                .then_with(|| a.title.cmp(&b.title))
                .then_with(|| a.url.cmp(&b.url))
        });
        let mut docs: Vec<Doc> = sorted.iter().map(|s| doc_of(s)).collect();
        let mut df: HashMap<u64, u32> = HashMap::new();
        let mut link_df: HashMap<u64, u32> = HashMap::new();
        for d in &docs {
            for t in &d.terms {
                *df.entry(t.0).or_default() += 1;
            }
            for l in &d.links {
                *link_df.entry(*l).or_default() += 1;
            }
        }
        let limit = (docs.len() / 10).max(4) as u32;
        let common_links = link_df
            .into_iter()
            .filter(|(_, c)| *c > limit)
            .map(|(l, _)| l)
            .collect();
        let total = docs.len() as f32 + PRIOR_DOCS;
        for d in &mut docs {
            d.weights = d
                .terms
                .iter()
                .map(|t| {
                    let idf = (total / (df[&t.0] as f32 + 1.0)).ln();
                    idf * t.1.boost() * if t.2 { TITLE_WEIGHT } else { 1.0 }
                })
                .collect();
            d.norm = d.weights.iter().map(|w| w * w).sum::<f32>().sqrt();
        }
        Corpus {
            docs,
            sources: sorted,
            common_links,
            df,
        }
    }

    /// Pairs `(i, j)`, `i < j`, that share a term that is not common and are within the
    /// time window (or undated).
    fn candidates(&self) -> Vec<(usize, usize)> {
        let n = self.docs.len();
        let common = common_df(n) as u32;
        // Postings in time order, so that a scan stops at the end of the window.
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|&i| (self.docs[i].at.is_none(), self.docs[i].at, i));
        let mut postings: HashMap<u64, Vec<usize>> = HashMap::new();
        for &i in &order {
            let d = &self.docs[i];
            for t in &d.terms {
                let df = self.df[&t.0];
                if df >= 2 && df <= common {
                    postings.entry(t.0).or_default().push(i);
                }
            }
            for l in d.links.iter().chain(d.url.iter()) {
                if !self.common_links.contains(l) {
                    postings.entry(l ^ 0x5bd1_e995).or_default().push(i);
                }
            }
        }
        let window = (WINDOW_DAYS * 86_400.0) as i64;
        let mut pairs = Vec::new();
        for list in postings.values() {
            // Dated sources first, by date, then the undated, which meet every source.
            let dated = list.partition_point(|&i| self.docs[i].at.is_some());
            for (x, &i) in list.iter().enumerate() {
                if let Some(a) = self.docs[i].at {
                    for &j in list.get(x + 1..dated).unwrap_or_default() {
                        if self.docs[j].at.is_some_and(|b| b - a >= window) {
                            break;
                        }
                        pairs.push((i.min(j), i.max(j)));
                    }
                }
                for &j in &list[dated.max(x + 1)..] {
                    pairs.push((i.min(j), i.max(j)));
                }
            }
        }
        pairs.sort_unstable();
        pairs.dedup();
        pairs
    }

    fn cosine(&self, i: usize, j: usize) -> f64 {
        let (a, b) = (&self.docs[i], &self.docs[j]);
        if a.norm == 0.0 || b.norm == 0.0 {
            return 0.0;
        }
        let (mut x, mut y, mut dot) = (0, 0, 0.0f32);
        while x < a.terms.len() && y < b.terms.len() {
            match a.terms[x].0.cmp(&b.terms[y].0) {
                std::cmp::Ordering::Less => x += 1,
                std::cmp::Ordering::Greater => y += 1,
                std::cmp::Ordering::Equal => {
                    dot += a.weights[x] * b.weights[y];
                    x += 1;
                    y += 1;
                }
            }
        }
        let cos = f64::from(dot / (a.norm * b.norm));
        let overlap = f64::from(dot / (a.norm * a.norm).min(b.norm * b.norm)).min(1.0);
        (cos + overlap) / 2.0
    }

    fn link(&self, i: usize, j: usize) -> Option<Link> {
        let (a, b) = (&self.docs[i], &self.docs[j]);
        let usable = |l: &u64| !self.common_links.contains(l);
        if b.url
            .is_some_and(|u| a.links.binary_search(&u).is_ok() && usable(&u))
        {
            return Some(Link::Cites { from_first: true });
        }
        if a.url
            .is_some_and(|u| b.links.binary_search(&u).is_ok() && usable(&u))
        {
            return Some(Link::Cites { from_first: false });
        }
        a.links
            .iter()
            .find(|l| usable(l) && b.links.binary_search(l).is_ok())
            .map(|l| Link::Both(*l))
    }

    fn score(&self, i: usize, j: usize) -> f64 {
        let (a, b) = (&self.docs[i], &self.docs[j]);
        let mut s = self.cosine(i, j);
        if self.link(i, j).is_some() {
            s += LINK_BONUS;
        }
        if titles_conflict(a, b) {
            return 0.0;
        }
        s *= days_between(a, b).map_or(1.0, time_factor);
        s.min(1.0)
    }

    /// Whether two stories may become one, by the linkage's rule.
    fn may_join(&self, a: &[usize], b: &[usize], linkage: Linkage) -> bool {
        match linkage {
            Linkage::Single => true,
            Linkage::Average(floor) => {
                // The dated sources of a story lie within the window of each other: an
                // undated source alike to two reports weeks apart does not join them.
                let dates = a.iter().chain(b).filter_map(|&i| self.docs[i].at);
                let (lo, hi) =
                    dates.fold((i64::MAX, i64::MIN), |(lo, hi), t| (lo.min(t), hi.max(t)));
                if hi > lo && (hi - lo) as f64 >= WINDOW_DAYS * 86_400.0 {
                    return false;
                }
                // Stories of hundreds of sources are averaged over an even sample of each,
                // so that one huge event cannot make a version quadratic.
                let (a, b) = (sample(a), sample(b));
                let total: f64 = a
                    .iter()
                    .flat_map(|&i| b.iter().map(move |&j| (i, j)))
                    .map(|(i, j)| self.score(i, j))
                    .sum();
                total / (a.len() * b.len()) as f64 >= floor
            }
            Linkage::Complete(floor) => a
                .iter()
                .all(|&i| b.iter().all(|&j| self.score(i, j) >= floor)),
        }
    }

    fn story(&self, mut members: Vec<usize>) -> Story {
        members.sort_unstable();
        // The representative: the source most alike to the others; on a tie the earliest,
        // then the lowest number.
        let rep = members
            .iter()
            .map(|&i| {
                let sum: f64 = members
                    .iter()
                    .filter(|&&j| j != i)
                    .map(|&j| self.score(i, j))
                    .sum();
                (i, sum)
            })
            .max_by(|x, y| {
                x.1.total_cmp(&y.1)
                    .then_with(|| {
                        let (a, b) = (self.docs[x.0].at, self.docs[y.0].at);
                        // Earlier is better; undated is worst.
                        b.unwrap_or(i64::MAX).cmp(&a.unwrap_or(i64::MAX))
                    })
                    .then(y.0.cmp(&x.0))
            })
            .map_or(members[0], |x| x.0);
        Story {
            sources: members.iter().map(|&i| self.docs[i].n).collect(),
            title: self.sources[rep].title.clone(),
            published_at: members
                .iter()
                .filter_map(|&i| self.sources[i].published_at)
                .min(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, TimeZone, Utc};

    fn at(day: u32, hour: u32) -> Option<DateTime<Utc>> {
        Some(Utc.with_ymd_and_hms(2026, 5, day, hour, 0, 0).unwrap())
    }

    fn src(n: u32, title: &str, published_at: Option<DateTime<Utc>>) -> StorySource {
        StorySource {
            n,
            title: title.into(),
            summary: None,
            url: Some(format!("https://news{n}.example/story/{n}")),
            published_at,
            links: Vec::new(),
        }
    }

    /// The terms of a text of language `lang` ("en", "de", …), as text.
    fn terms_of(text: &str, lang: &str) -> Vec<(Kind, String)> {
        let lang = LANGUAGES.iter().position(|l| l.0 == lang).unwrap();
        let mut out = Vec::new();
        read_terms(
            text,
            lang,
            &mut |k, t| out.push((k, t.to_string())),
            &mut |_, _| {},
        );
        out
    }

    fn amounts(text: &str, lang: &str) -> Vec<String> {
        terms_of(text, lang)
            .into_iter()
            .filter(|t| t.0 == Kind::Number)
            .map(|t| t.1)
            .collect()
    }

    fn has(text: &str, lang: &str, kind: Kind, term: &str) -> bool {
        terms_of(text, lang).contains(&(kind, term.to_string()))
    }

    #[test]
    fn amounts_are_read_as_values_across_writings() {
        assert_eq!(amounts("a backlog of $4.5bn", "en"), ["$4.5bn"]);
        assert_eq!(amounts("a backlog of $4.5 billion", "en"), ["$4.5bn"]);
        assert_eq!(amounts("订单超45亿美元", "en"), ["$4.5bn"]);
        assert_eq!(amounts("4.5 billion dollars", "en"), ["$4.5bn"]);
        assert_eq!(amounts("Einlagenzins auf 1,75 Prozent", "de"), ["1.75%"]);
        assert_eq!(amounts("deposit rate to 1.75%", "en"), ["1.75%"]);
        assert_eq!(amounts("la BCE à 1,75 %", "fr"), ["1.75%"]);
        assert_eq!(amounts("5.2 per cent growth", "en"), ["5.2%"]);
        assert_eq!(amounts("HK$4.4 billion", "en"), ["HK$4.4bn"]);
        assert_eq!(amounts("€1.7bn round", "en"), ["€1.7bn"]);
        assert_eq!(amounts("1,7 milliard d'euros", "fr"), ["€1.7bn"]);
        assert_eq!(amounts("1,7 Milliarden Euro", "de"), ["€1.7bn"]);
        // "Billion" is 10¹² in German.
        assert_eq!(amounts("1 Billion Euro", "de"), ["€1tn"]);
        assert_eq!(amounts("1 billion euros", "en"), ["€1bn"]);
    }

    #[test]
    fn counts_scales_and_points_meet_across_languages() {
        assert_eq!(amounts("a 397B flagship", "en"), ["397bn"]);
        assert_eq!(amounts("旗舰模型3970亿参数", "en"), ["397bn"]);
        assert_eq!(amounts("1.2-trillion-parameter model", "en"), ["1.2tn"]);
        assert_eq!(amounts("1.2万亿参数", "en"), ["1.2tn"]);
        assert_eq!(amounts("cuts by 50 basis points", "en"), ["50bp"]);
        assert_eq!(amounts("下调0.5个百分点", "en"), ["50bp"]);
        // Thousands separators of three languages; a decimal comma is not one.
        assert_eq!(amounts("10,000 GPUs", "en"), ["10000"]);
        assert_eq!(amounts("10.000 GPUs", "de"), ["10000"]);
        assert_eq!(amounts("10 000 GPU", "fr"), ["10000"]);
        assert_eq!(amounts("2,1 Prozent", "de"), ["2.1%"]);
        assert_eq!(amounts("Flight 12 and 13", "en"), ["12", "13"]);
    }

    #[test]
    fn the_day_of_a_date_is_no_amount() {
        let title_amounts = |t: &str| {
            let mut out = Vec::new();
            read_terms(t, 0, &mut |_, _| {}, &mut |_, a| out.push(a.to_string()));
            out
        };
        assert!(title_amounts("What the May 19 entity list additions mean").is_empty());
        assert!(title_amounts("Rapport du 19 mai").is_empty());
        assert!(title_amounts("5月19日发布").is_empty());
        assert_eq!(title_amounts("Commerce adds 14 firms"), ["14"]);
        // Still a term: two reports of "May 19" share it.
        assert!(has(
            "What the May 19 additions mean",
            "en",
            Kind::Number,
            "19"
        ));
    }

    #[test]
    fn codes_are_kept_whole_and_by_part() {
        assert!(has("Nvidia pauses H20 production", "en", Kind::Code, "h20"));
        assert!(has("SenseNova U1 released", "en", Kind::Code, "u1"));
        assert!(has(
            "patch for CVE-2026-3311",
            "en",
            Kind::Code,
            "cve-2026-3311"
        ));
        assert!(has(
            "Bundestag beschließt NIS2-Umsetzungsgesetz",
            "de",
            Kind::Code,
            "nis2"
        ));
        assert!(has(
            "Meridian-32B released",
            "en",
            Kind::Code,
            "meridian-32b"
        ));
        assert!(has("Qwen3.5 launches", "en", Kind::Code, "qwen3.5"));
        // A number with its scale is an amount, not a code.
        assert!(!has("a 397B flagship", "en", Kind::Code, "397b"));
        // Codes written inside Chinese text are the same codes.
        assert!(has("英伟达暂停H20生产", "en", Kind::Code, "h20"));
    }

    #[test]
    fn words_are_stemmed_and_stop_words_dropped_by_language() {
        let released = terms_of("Meta released Llama", "en");
        let releases = terms_of("Meta releases Llama", "en");
        assert_eq!(released, releases);
        assert!(!has("the model of the year", "en", Kind::Word, "the"));
        // "war" is a German stop word but an English word.
        assert!(has("Ukraine war enters new phase", "en", Kind::Word, "war"));
        assert!(!has("Es war ein Angriff", "de", Kind::Word, "war"));
        assert!(has(
            "Die Regeln werden verschoben",
            "de",
            Kind::Word,
            "regeln"
        ));
        // French elision and English possessive leave the word.
        assert!(has("l'amende d'Apple", "fr", Kind::Word, "apple"));
        assert!(has("China's labs", "en", Kind::Word, "china"));
    }

    #[test]
    fn the_language_is_told_by_stop_words() {
        let code = |t: &str| LANGUAGES[language(t)].0;
        assert_eq!(code("The EU fines Apple over the App Store"), "en");
        assert_eq!(
            code("Die EU-Kommission verhängt eine Strafe gegen Apple"),
            "de"
        );
        assert_eq!(
            code("La CNIL inflige une amende à un courtier en données"),
            "fr"
        );
        // No stop word at all: English is assumed.
        assert_eq!(code("Nvidia pauses H20 production"), "en");
    }

    #[test]
    fn unspaced_scripts_are_read_as_character_pairs() {
        let t = terms_of("神舟二十三号发射", "en");
        let pairs: Vec<&str> = t
            .iter()
            .filter(|t| t.0 == Kind::Pair)
            .map(|t| t.1.as_str())
            .collect();
        assert_eq!(
            pairs,
            ["神舟", "舟二", "二十", "十三", "三号", "号发", "发射"]
        );
        // A pair that is a Chinese function word ("以及") is no evidence.
        assert!(!has("测试以及结果", "en", Kind::Pair, "以及"));
        // Latin names inside Chinese text are words.
        assert!(has("DeepSeek发布V4模型", "en", Kind::Word, "deepseek"));
        let a = src(1, "神舟二十三号载人飞船发射取得圆满成功", at(1, 9));
        let b = src(2, "神舟二十三号发射成功，航天员将驻留6个月", at(1, 10));
        let c = src(3, "央行宣布下调存款准备金率", at(1, 11));
        let v = [a, b, c];
        assert!(explain(&v, 1, 2).unwrap().same_story());
        assert!(!explain(&v, 1, 3).unwrap().same_story());
    }

    #[test]
    fn links_are_evidence_when_quoted_or_shared() {
        let mut report = src(1, "State of Open Models 2026", at(4, 12));
        report.url = Some("https://research.example/reports/open-models-2026".into());
        let mut blog = src(
            2,
            "The three-month gap: notes on this year's report",
            at(5, 9),
        );
        blog.links = vec!["https://research.example/reports/open-models-2026?utm_source=x".into()];
        let mut news = src(3, "Report finds a three-month gap", at(4, 16));
        news.summary = Some("See https://research.example/reports/open-models-2026.".into());
        let v = [report, blog, news];
        let e = explain(&v, 2, 1).unwrap();
        assert_eq!(e.link, Some(LinkEvidence::Cites { from: 2, to: 1 }));
        assert!(e.score >= e.text_similarity + LINK_BONUS - 1e-9);
        // A link written in the summary counts as quoted; both quote the report.
        assert_eq!(
            explain(&v, 3, 2).unwrap().link,
            Some(LinkEvidence::BothCite(
                "research.example/reports/open-models-2026".into()
            ))
        );
    }

    #[test]
    fn home_pages_and_pages_everyone_quotes_are_no_evidence() {
        let mut v: Vec<StorySource> = (1..=12)
            .map(|n| {
                let mut s = src(n, &format!("Unrelated headline number {n}"), at(3, 8));
                s.links = vec![
                    "https://bis.example/entity-list".into(),
                    "https://lab.example/".into(),
                ];
                s
            })
            .collect();
        v[0].title = "Commerce adds firms".into();
        assert_eq!(explain(&v, 1, 2).unwrap().link, None);
    }

    #[test]
    fn time_keeps_the_score_within_days_and_ends_it_at_the_window() {
        assert_eq!(time_factor(0.0), 1.0);
        assert_eq!(time_factor(FULL_DAYS), 1.0);
        let mid = time_factor((FULL_DAYS + WINDOW_DAYS) / 2.0);
        assert!((mid - 0.5).abs() < 1e-9);
        assert_eq!(time_factor(WINDOW_DAYS), 0.0);
        assert_eq!(time_factor(40.0), 0.0);
        let title = "DeepSeek releases V4 with open weights under MIT licence";
        let same_day = [src(1, title, at(1, 8)), src(2, title, at(1, 20))];
        assert_eq!(group(&same_day).len(), 1);
        let weeks_apart = [src(1, title, at(1, 8)), src(2, title, at(25, 8))];
        assert_eq!(group(&weeks_apart).len(), 2);
        // Undated sources are judged on their text, also when a dated source between
        // them in time is out of the window of the other.
        let undated = [src(1, title, None), src(2, title, at(25, 8))];
        assert_eq!(group(&undated).len(), 1);
        let around = [
            src(1, title, at(1, 8)),
            src(2, title, at(25, 8)),
            src(3, title, None),
        ];
        let stories = group(&around);
        assert_eq!(stories.len(), 2, "{stories:?}");
        assert!(
            stories
                .iter()
                .any(|s| s.sources.len() == 2 && s.sources.contains(&3))
        );
    }

    #[test]
    fn titles_with_different_amounts_of_one_kind_conflict() {
        let v = [
            src(
                1,
                "EU fines Apple €500 million under Digital Markets Act",
                at(16, 11),
            ),
            src(
                2,
                "EU fines Meta €200 million under Digital Markets Act",
                at(16, 11),
            ),
            src(3, "Apple fined €500 million by EU under DMA", at(16, 12)),
        ];
        let e = explain(&v, 1, 2).unwrap();
        assert_eq!(
            e.conflicting_numbers,
            Some((vec!["€500m".into()], vec!["€200m".into()]))
        );
        assert_eq!(e.score, 0.0);
        assert!(e.text_similarity > THRESHOLD);
        let e = explain(&v, 1, 3).unwrap();
        assert_eq!(e.conflicting_numbers, None);
        assert_eq!(e.shared_numbers, ["€500m"]);
        assert!(e.same_story());
        let stories = group(&v);
        assert_eq!(stories.len(), 2, "{stories:?}");
        assert!(stories.iter().any(|s| s.sources == [1, 3]));
    }

    fn version() -> Vec<StorySource> {
        vec![
            src(
                4,
                "Nvidia pauses H20 production as China licences stall",
                at(7, 1),
            ),
            src(9, "Nvidia halts H20 production, suppliers told", at(7, 5)),
            src(
                2,
                "Reports say Nvidia has paused H20 production again",
                at(7, 12),
            ),
            src(7, "Analysis: is China's AI ecosystem catching up?", None),
            src(
                1,
                "ECB cuts deposit rate to 1.75%, signals pause",
                at(16, 12),
            ),
            src(5, "EZB senkt Einlagenzins auf 1,75 Prozent", at(16, 12)),
            src(3, "La BCE abaisse son taux de dépôt à 1,75 %", at(16, 13)),
            src(8, "Shanghai unveils AI manufacturing plan", at(3, 9)),
        ]
    }

    #[test]
    fn every_source_is_in_exactly_one_story_in_the_spec_order() {
        let stories = group(&version());
        let mut all: Vec<u32> = stories.iter().flat_map(|s| s.sources.clone()).collect();
        all.sort_unstable();
        assert_eq!(all, [1, 2, 3, 4, 5, 7, 8, 9]);
        for s in &stories {
            assert!(s.sources.windows(2).all(|w| w[0] < w[1]), "{s:?}");
        }
        // By date, undated last; the earliest dated source dates a story.
        let dates: Vec<_> = stories.iter().map(|s| s.published_at).collect();
        assert_eq!(dates.last(), Some(&None));
        let dated: Vec<_> = dates.iter().flatten().collect();
        assert!(dated.windows(2).all(|w| w[0] <= w[1]));
        let h20 = stories.iter().find(|s| s.sources.contains(&4)).unwrap();
        assert_eq!(h20.sources, [2, 4, 9]);
        assert_eq!(h20.published_at, at(7, 1));
        assert!(h20.title.contains("H20"));
        let ecb = stories.iter().find(|s| s.sources.contains(&1)).unwrap();
        assert_eq!(ecb.sources, [1, 3, 5]);
    }

    #[test]
    fn grouping_does_not_depend_on_input_order() {
        let v = version();
        let expected = group(&v);
        let mut reversed = v.clone();
        reversed.reverse();
        assert_eq!(group(&reversed), expected);
        let mut rotated = v.clone();
        rotated.rotate_left(3);
        assert_eq!(group(&rotated), expected);
        assert!(group(&[]).is_empty());
    }

    #[test]
    fn stories_on_one_day_tie_on_the_lowest_source_number() {
        let v = [
            src(5, "Blue Origin lands New Glenn booster on ship", at(2, 4)),
            src(3, "Amazon launches 27 more Kuiper satellites", at(2, 4)),
        ];
        let stories = group(&v);
        assert_eq!(stories[0].sources, [3]);
        assert_eq!(stories[1].sources, [5]);
    }

    #[test]
    fn average_linkage_does_not_chain_two_events_through_one_source() {
        // 1 and 2 tell a launch, 4 and 5 a docking; 3 tells both.
        let v = [
            src(
                1,
                "Long March rocket lifts off from Jiuquan carrying three astronauts",
                at(24, 10),
            ),
            src(
                2,
                "Three astronauts lift off from Jiuquan on a Long March rocket",
                at(24, 11),
            ),
            src(
                3,
                "Astronauts lift off from Jiuquan; capsule docks with orbital station",
                at(24, 20),
            ),
            src(
                4,
                "Capsule docks with orbital station after six-hour rendezvous",
                at(25, 3),
            ),
            src(
                5,
                "Orbital station welcomes capsule after rendezvous and docking",
                at(25, 5),
            ),
        ];
        let single = group_with(
            &v,
            Options {
                linkage: Linkage::Single,
                ..Options::default()
            },
        );
        let average = group(&v);
        assert_eq!(single.len(), 1, "{single:?}");
        assert_eq!(average.len(), 2, "{average:?}");
        // The one that tells both joins one side; the two events stay apart.
        let story_of = |n: u32| average.iter().position(|s| s.sources.contains(&n));
        assert_eq!(story_of(1), story_of(2));
        assert_eq!(story_of(4), story_of(5));
        assert_ne!(story_of(1), story_of(4));
    }

    #[test]
    fn explanations_name_what_fired() {
        let v = version();
        let e = explain(&v, 4, 9).unwrap();
        assert!(e.same_story());
        assert!(e.shared_terms.iter().any(|t| t == "h20"), "{e:?}");
        assert!(e.days_apart.unwrap() < 1.0);
        let text = e.to_string();
        assert!(
            text.contains("h20") && text.contains("days apart"),
            "{text}"
        );
        assert!(explain(&v, 4, 99).is_none());
    }

    #[test]
    fn a_large_version_groups_identical_reports_only() {
        // Ten thousand sources: each event told three times, a day apart from the next.
        let v: Vec<StorySource> = (0..10_000u32)
            .map(|k| {
                let event = k / 3;
                let mut s = src(
                    k + 1,
                    &format!("Company{event} releases Model{event}x with open weights"),
                    Some(
                        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
                            + chrono::Duration::hours(i64::from(event)),
                    ),
                );
                s.summary = Some(format!(
                    "The Model{event}x release comes with benchmark results."
                ));
                s
            })
            .collect();
        let stories = group(&v);
        assert_eq!(stories.len(), 10_000usize.div_ceil(3));
        assert!(stories.iter().all(|s| {
            let event = (s.sources[0] - 1) / 3;
            s.sources.iter().all(|n| (n - 1) / 3 == event)
        }));
    }
}
