//! Near-duplicate titles: the same story told twice — a retweet or boost, a syndicated
//! copy with the publisher's name appended, a headline with a typo fixed — as opposed to
//! two stories on the same subject, or a recurring headline ("Live updates", "Morning
//! briefing") that names a different day each time.
//!
//! A title is reduced to its words (case, punctuation, "RT @user:", "BREAKING:",
//! a trailing " - Publisher" / " | Site" and links removed). Two titles match when their
//! word sets are similar enough (Jaccard index) *and* they agree on every number they
//! carry: "day 812" and "day 813" are two stories however alike the rest. The threshold
//! was chosen by measurement on a labelled set of title pairs (`fixtures/near-dups/`,
//! figures in BENCHMARKS.md).

use std::hash::{Hash, Hasher};

/// The similarity at or above which two titles are the same story.
pub const THRESHOLD: f64 = 0.8;

/// A title reduced for comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TitleKey {
    /// Word hashes, sorted and distinct: compact (a run compares tens of thousands of
    /// titles) and compared by merging.
    words: Vec<u64>,
    numbers: Vec<u64>,
}

/// A repost marker and what it quotes: "RT @user: …", "rt: …", "wow. RT @user …",
/// "🔁 @user@host: …", Weibo's "//@user: …".
static REPOST: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"^(?:.{0,20}?\s)?(?:(?i:rt)\b\s*:?\s*(?:@[\w.@-]+\s*:?)?|🔁\s*(?:@[\w.@-]+\s*:?)?|//@[^:：]{1,30}[:：])\s*")
        .expect("valid regex")
});

/// A label in front of a headline: "BREAKING:", "UPDATE 2-", "[UPDATED]", "Analysis:",
/// "Eilmeldung:", "突发！" — one or two words (or a short bracketed tag) and a separator.
static LABEL: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"^(?:\[[^\]]{1,20}\]\s*|[\p{L}]+(?:\s[\p{L}]+)?(?:\s?\d{1,2})?\s?(?:[:|：！!]|\s[-–—]|-)\s*)").expect("valid regex")
});

fn strip_prefixes(t: &str) -> &str {
    let mut t = t.trim();
    for _ in 0..3 {
        let before = t;
        if let Some(m) = REPOST.find(t) {
            t = t[m.end()..].trim_start();
        }
        if let Some(m) = LABEL.find(t) {
            // Only a label if enough headline is left after it.
            let rest = &t[m.end()..];
            if rest.split_whitespace().count() >= 3
                || rest
                    .chars()
                    .filter(|c| crate::topics::is_unspaced_script_char(*c))
                    .count()
                    >= 6
            {
                t = rest.trim_start();
            }
        }
        if t == before {
            break;
        }
    }
    t
}

/// Drops a trailing publisher name: " - Reuters", " | The Site", " — Example News",
/// "_新浪财经_新浪网", and a bracketed tag without digits ("[video]", "(Reuters)"). Only a
/// short tail (at most five words) after the last separator counts as a name.
fn strip_suffix(t: &str) -> &str {
    let mut t = t.trim_end();
    for _ in 0..3 {
        let before = t;
        if let Some(open) = t.rfind(['(', '[']) {
            let tail = &t[open..];
            if (tail.ends_with(')') || tail.ends_with(']'))
                && tail.len() <= 24
                && !tail.chars().any(|c| c.is_ascii_digit())
                && open > 0
            {
                t = t[..open].trim_end();
            }
        }
        let cut = [" - ", " | ", " – ", " — ", " :: ", " · ", " • ", "_"]
            .iter()
            .filter_map(|sep| t.rfind(sep))
            .max();
        if let Some(at) = cut.filter(|&at| at > 0) {
            let tail = &t[at..];
            let words = tail.split_whitespace().count().saturating_sub(1);
            if words <= 5 && tail.chars().count() <= 40 && at >= t.len() / 3 {
                t = t[..at].trim_end();
            }
        }
        if t == before {
            break;
        }
    }
    t
}

fn word_hash(w: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    w.hash(&mut h);
    h.finish()
}

/// Titles shorter than this many words are never matched by similarity: "Daily digest"
/// and "Week in review" recur with the same words and mean a new story each time.
const MIN_WORDS: usize = 4;

impl TitleKey {
    pub fn new(title: &str) -> TitleKey {
        let t = strip_suffix(strip_prefixes(title.trim()));
        let mut words: Vec<u64> = Vec::new();
        let mut numbers: Vec<u64> = Vec::new();
        for raw in t.split_whitespace() {
            if raw.contains("://") || raw.starts_with("www.") {
                continue;
            }
            let w: String = raw
                .chars()
                .filter(|c| c.is_alphanumeric() || *c == '%' || *c == '.' || *c == ',')
                .collect::<String>()
                .trim_matches(['.', ','])
                .to_lowercase();
            if w.is_empty() {
                continue;
            }
            if w.chars().any(|c| c.is_ascii_digit()) {
                numbers.push(word_hash(&w.replace(',', "")));
            }
            // Scripts without spaces: every character is a word.
            if w.chars().any(crate::topics::is_unspaced_script_char) {
                let mut buf = [0u8; 4];
                for c in w.chars() {
                    words.push(word_hash(c.encode_utf8(&mut buf)));
                }
            } else {
                words.push(word_hash(&w));
            }
        }
        words.sort_unstable();
        words.dedup();
        numbers.sort_unstable();
        numbers.dedup();
        TitleKey { words, numbers }
    }

    /// How alike two titles are, from 0 (nothing shared) to 1 (the same words). Titles
    /// whose numbers differ are never alike.
    pub fn similarity(&self, other: &TitleKey) -> f64 {
        if self.numbers != other.numbers
            || self.words.len() < MIN_WORDS
            || other.words.len() < MIN_WORDS
        {
            return 0.0;
        }
        let (mut a, mut b, mut shared) = (0, 0, 0usize);
        while a < self.words.len() && b < other.words.len() {
            match self.words[a].cmp(&other.words[b]) {
                std::cmp::Ordering::Less => a += 1,
                std::cmp::Ordering::Greater => b += 1,
                std::cmp::Ordering::Equal => {
                    shared += 1;
                    a += 1;
                    b += 1;
                }
            }
        }
        shared as f64 / (self.words.len() + other.words.len() - shared) as f64
    }

    /// The words (as hashes), for indexing candidates.
    pub fn words(&self) -> impl Iterator<Item = u64> + '_ {
        self.words.iter().copied()
    }

    /// The words (as hashes) mixed with the title's numbers: two titles can only match
    /// when they carry the same numbers, so an index of these keys yields as candidates
    /// only titles that could match ("day 812" never meets "day 813").
    pub fn candidate_keys(&self) -> impl Iterator<Item = u64> + '_ {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.numbers.hash(&mut h);
        let numbers = if self.numbers.is_empty() {
            0
        } else {
            h.finish()
        };
        self.words.iter().map(move |w| w ^ numbers.rotate_left(17))
    }

    /// Whether [`TitleKey::similarity`] can reach `threshold` on the word counts alone
    /// (a Jaccard index is at most the smaller set's size over the larger's).
    pub fn may_reach(&self, other: &TitleKey, threshold: f64) -> bool {
        let (a, b) = (self.words.len(), other.words.len());
        a.min(b) as f64 >= threshold * a.max(b) as f64
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// How many distinct words the title has.
    pub fn len(&self) -> usize {
        self.words.len()
    }
}

/// The dedup keys of the links a post quotes in its text: a post that quotes an item's
/// link is that item again.
pub fn quoted_link_keys(text: &str) -> Vec<String> {
    static LINK: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r#"https?://[^\s<>"']+"#).expect("valid regex")
    });
    LINK.find_iter(text)
        .filter_map(|m| {
            crate::canonical_url(m.as_str().trim_end_matches(['.', ',', ')', ']', '!', '?']))
        })
        .map(|u| crate::dedup_key(&u))
        .collect()
}

/// How far apart two copies of one story may be published and still be found.
pub const WINDOW: chrono::Duration = chrono::Duration::days(3);
/// Words of a title (its rarest) whose earlier occurrences are compared.
const RARE_WORDS: usize = 3;
/// Earlier items compared per word, nearest in time first.
const CANDIDATES: usize = 200;

/// An item of the window a run's new items are compared in, reduced to what comparing
/// needs: a few dozen bytes of title key, and the links a new item's text quotes.
#[derive(Debug, Clone)]
pub struct WindowRow {
    pub id: i64,
    /// When it was published (or first seen), in seconds.
    pub at: i64,
    /// First stored by the run being checked.
    pub is_new: bool,
    pub duplicate_of: Option<i64>,
    key: TitleKey,
    /// The dedup keys of the links its title and summary quote (new items only).
    pub quoted: Vec<String>,
}

impl WindowRow {
    /// A row from an item's title (and, for a new item, its summary).
    pub fn new(
        id: i64,
        at: chrono::DateTime<chrono::Utc>,
        is_new: bool,
        duplicate_of: Option<i64>,
        title: &str,
        summary: Option<&str>,
    ) -> WindowRow {
        let quoted = if is_new && duplicate_of.is_none() {
            quoted_link_keys(&format!("{title} {}", summary.unwrap_or("")))
        } else {
            Vec::new()
        };
        WindowRow {
            id,
            at: at.timestamp(),
            is_new,
            duplicate_of,
            key: TitleKey::new(title),
            quoted,
        }
    }
}

/// Finds the new items of `rows` (the window, oldest first) that repeat an earlier item:
/// a retweet, a syndicated copy under another title suffix, a post quoting the earlier
/// item's link. `quoted` names the item each quoted link key belongs to. Returns `(copy,
/// original)` pairs: the earliest item stays the source, and an item marked here is never
/// the original of another.
pub fn find_duplicates(
    rows: &[WindowRow],
    quoted: &std::collections::HashMap<String, i64>,
) -> Vec<(i64, i64)> {
    use std::collections::{HashMap, HashSet};
    // One flat, sorted list of (candidate key, row): a fraction of the memory of a map of
    // lists when most keys are a title's own (its numbers are), built in one sort.
    let mut index: Vec<(u64, u32)> = Vec::with_capacity(rows.iter().map(|r| r.key.len()).sum());
    for (i, r) in rows.iter().enumerate() {
        index.extend(r.key.candidate_keys().map(|w| (w, i as u32)));
    }
    index.sort_unstable();
    // Where each key's rows lie in it, for keys shared by two titles or more (a key of one
    // title brings no candidate, and most keys are).
    let mut shared: HashMap<u64, (u32, u32)> = HashMap::new();
    let mut start = 0;
    while start < index.len() {
        let len = index[start..].partition_point(|p| p.0 == index[start].0);
        if len > 1 {
            shared.insert(index[start].0, (start as u32, len as u32));
        }
        start += len;
    }
    let postings = |w: u64| -> &[(u64, u32)] {
        shared.get(&w).map_or(&[], |&(start, len)| {
            &index[start as usize..(start + len) as usize]
        })
    };
    let window = |a: usize, b: usize| (rows[a].at - rows[b].at).abs() <= WINDOW.num_seconds();
    let by_id: HashMap<i64, usize> = rows.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
    let mut marked: HashSet<i64> = HashSet::new();
    // The last new item each row was a candidate for (no hashing per candidate).
    let mut seen_for: Vec<usize> = vec![usize::MAX; rows.len()];
    let mut marks = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        if !row.is_new || row.duplicate_of.is_some() || row.key.is_empty() {
            continue;
        }
        // A post that quotes another item's link is that item, when the quoted item is
        // earlier and within the window, and not a copy itself.
        let quoted_item = row
            .quoted
            .iter()
            .filter_map(|k| quoted.get(k))
            .find(|&&of| {
                of != row.id
                    && !marked.contains(&of)
                    && by_id
                        .get(&of)
                        .is_some_and(|&j| j < i && rows[j].duplicate_of.is_none() && window(j, i))
            });
        if let Some(&of) = quoted_item {
            marks.push((row.id, of));
            marked.insert(row.id);
            continue;
        }
        // Else the earliest earlier item whose title tells the same story. Candidates
        // come from the title's rarest keys only (a copy shares them all), nearest in time
        // first and a bounded number of them: common words must not make this pass
        // quadratic. Only titles with the same numbers share keys.
        let mut rare: Vec<&[(u64, u32)]> = row.key.candidate_keys().map(postings).collect();
        rare.sort_by_key(|p| p.len());
        let best = rare
            .iter()
            .take(RARE_WORDS)
            .flat_map(|p| {
                let before = p.partition_point(|&(_, j)| (j as usize) < i);
                p[..before]
                    .iter()
                    .rev()
                    .take(CANDIDATES)
                    .map(|&(_, j)| j as usize)
            })
            .filter(|&j| std::mem::replace(&mut seen_for[j], i) != i)
            .filter(|&j| rows[j].key.may_reach(&row.key, THRESHOLD) && window(j, i))
            .filter(|&j| rows[j].duplicate_of.is_none() && !marked.contains(&rows[j].id))
            .filter(|&j| rows[j].key.similarity(&row.key) >= THRESHOLD)
            .min();
        if let Some(j) = best {
            marks.push((row.id, rows[j].id));
            marked.insert(row.id);
        }
    }
    marks
}

/// Whether two titles tell the same story.
pub fn same_story(a: &str, b: &str) -> bool {
    TitleKey::new(a).similarity(&TitleKey::new(b)) >= THRESHOLD
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, hours: i64, is_new: bool, title: &str, summary: Option<&str>) -> WindowRow {
        let at = chrono::DateTime::from_timestamp(1_780_000_000 + hours * 3600, 0).unwrap();
        WindowRow::new(id, at, is_new, None, title, summary)
    }

    #[test]
    fn a_new_copy_is_marked_a_duplicate_of_the_earliest_original() {
        let rows = [
            row(1, 0, false, "China is filing far more AI patents", None),
            row(
                2,
                1,
                false,
                "Something else entirely about chips export",
                None,
            ),
            row(
                3,
                2,
                true,
                "RT @rohanpaul_ai: China is filing far more AI patents",
                None,
            ),
            row(
                4,
                3,
                true,
                "China is filing far more AI patents | Example News",
                None,
            ),
            row(5, 100, true, "China is filing far more AI patents", None),
        ];
        let marks = find_duplicates(&rows, &std::collections::HashMap::new());
        // 5 is outside the three-day window of 1, and 3 and 4 are copies, never originals.
        assert_eq!(marks, [(3, 1), (4, 1)]);
    }

    #[test]
    fn a_post_quoting_an_earlier_items_link_is_that_item() {
        let rows = [
            row(1, 0, false, "Baidu open-sources Ernie 5 Lite", None),
            row(
                2,
                5,
                true,
                "Huge news for open weights",
                Some("see https://news.example/baidu-ernie?utm_source=x"),
            ),
        ];
        assert_eq!(rows[1].quoted, ["news.example/baidu-ernie"]);
        let quoted = [("news.example/baidu-ernie".to_string(), 1)].into();
        assert_eq!(find_duplicates(&rows, &quoted), [(2, 1)]);
        // Not when the quoted item is not in the window (or later).
        assert!(find_duplicates(&rows[1..], &quoted).is_empty());
    }

    #[test]
    fn reposts_suffixes_and_labels_do_not_hide_a_story() {
        assert!(same_story(
            "RT @rohanpaul_ai: China is filing far more AI patents",
            "China is filing far more AI patents"
        ));
        assert!(same_story(
            "Fed holds rates steady - Reuters",
            "Fed holds rates steady | Example News"
        ));
        assert!(same_story(
            "BREAKING: Fed holds rates steady",
            "Fed holds rates steady"
        ));
        assert!(same_story(
            "Fed Holds Rates Steady.",
            "fed holds rates steady"
        ));
    }

    #[test]
    fn quoted_links_are_found_in_post_text() {
        assert_eq!(
            quoted_link_keys(
                "Worth a read: https://www.news.example/story?utm_source=tw. Thoughts?"
            ),
            vec!["news.example/story".to_string()]
        );
    }

    #[test]
    fn different_numbers_are_different_stories() {
        assert!(!same_story(
            "Live updates: Ukraine war, day 812",
            "Live updates: Ukraine war, day 813"
        ));
        assert!(!same_story("Apple stock rises 3%", "Apple stock rises 5%"));
    }

    #[test]
    fn same_subject_is_not_same_story() {
        assert!(!same_story(
            "Nvidia shares jump on strong data-centre sales",
            "Nvidia shares fall on export worries"
        ));
    }

    #[test]
    fn a_long_tail_after_a_dash_is_content_not_a_publisher() {
        assert_eq!(
            strip_suffix("Rates - what the Fed decided today and why it matters for you"),
            "Rates - what the Fed decided today and why it matters for you"
        );
        assert_eq!(
            strip_suffix("Fed holds rates steady - Reuters"),
            "Fed holds rates steady"
        );
    }

    #[test]
    fn suffix_forms() {
        assert_eq!(
            strip_suffix("Storm hits | Storm Ciarán | The Guardian"),
            "Storm hits"
        );
        assert_eq!(
            strip_suffix("How we cut our bill [video]"),
            "How we cut our bill"
        );
    }

    #[test]
    fn repost_and_label_forms() {
        assert_eq!(
            strip_prefixes("wow. RT @Reuters: Japan's Nikkei plunges"),
            "Japan's Nikkei plunges"
        );
        assert_eq!(
            strip_prefixes("rt @guardian: Glastonbury lineup announced today"),
            "Glastonbury lineup announced today"
        );
        assert_eq!(
            strip_prefixes("UPDATE 2-Fed holds rates, signals patience"),
            "Fed holds rates, signals patience"
        );
        assert_eq!(
            strip_prefixes("[UPDATED] GitHub suffers major outage"),
            "GitHub suffers major outage"
        );
        assert_eq!(
            strip_prefixes("//@人民日报:神舟十八号载人飞船发射取得圆满成功"),
            "神舟十八号载人飞船发射取得圆满成功"
        );
    }

    #[test]
    fn short_recurring_titles_never_match() {
        assert!(!same_story("Daily digest", "Daily Digest"));
        assert!(!same_story("Week in review", "Week in review"));
    }
}
