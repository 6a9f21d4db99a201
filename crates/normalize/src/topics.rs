//! Keyword rules: which topics an item's text belongs to, and which keyword said so.
//!
//! Matching is case-insensitive on title + summary, by whole words or whole phrases
//! (`China` matches "China's" and "in China." but not "Chinatown"). A keyword written in a
//! script without spaces between words (Han, Kana, Hangul, Thai, Lao, Khmer, Myanmar)
//! matches anywhere, since there is no word boundary to look for. A hit in `match_none`
//! vetoes the topic's keyword match.

use dossier_model::{TopicReason, TopicSpec};

/// One keyword, lowercased once, with how it must be bounded.
#[derive(Debug, Clone)]
struct Keyword {
    /// As the operator wrote it (what the store records as the reason).
    original: String,
    lower: String,
    anywhere: bool,
}

impl Keyword {
    fn new(word: &str) -> Option<Keyword> {
        let collapsed = word.split_whitespace().collect::<Vec<_>>().join(" ");
        if collapsed.is_empty() {
            return None;
        }
        Some(Keyword {
            anywhere: collapsed.chars().any(is_unspaced_script_char),
            lower: collapsed.to_lowercase(),
            original: collapsed,
        })
    }

    /// Whether the keyword occurs in `text`, which must already be lowercased: one search
    /// per keyword (the matcher's automaton finds every keyword in one pass instead).
    fn found_in(&self, text: &str) -> bool {
        let mut from = 0;
        while let Some(pos) = text[from..].find(&self.lower) {
            let start = from + pos;
            if self.bounded(text, start, start + self.lower.len()) {
                return true;
            }
            from = start + text[start..].chars().next().map_or(1, char::len_utf8);
        }
        false
    }

    /// Whether an occurrence at `start..end` of `text` stands as a whole word or phrase
    /// (always, for a keyword in a script without spaces).
    fn bounded(&self, text: &str, start: usize, end: usize) -> bool {
        if self.anywhere {
            return true;
        }
        let needs_start = self.lower.chars().next().is_some_and(is_word_char);
        let needs_end = self.lower.chars().next_back().is_some_and(is_word_char);
        let ok_start = !needs_start || !text[..start].chars().next_back().is_some_and(is_word_char);
        let ok_end = !needs_end || !text[end..].chars().next().is_some_and(is_word_char);
        ok_start && ok_end
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

pub(crate) use dossier_model::is_unspaced_script_char;

/// The topics an item joins and why, one reason per topic, the strongest: the topic
/// whose own feed brought it (`owner`), then the topics its feeds list (`listed`), then
/// the topics whose keywords its text matches. The one ladder both a run's new items and
/// the re-matching of recent items after a rules change climb.
pub fn attach<'a>(
    owners: impl IntoIterator<Item = &'a str>,
    listed: impl IntoIterator<Item = &'a str>,
    matcher: &TopicMatcher,
    title: &str,
    summary: Option<&str>,
) -> Vec<(String, TopicReason)> {
    let mut topics: Vec<(String, TopicReason)> = Vec::new();
    let mut add = |slug: &str, reason: TopicReason| {
        if !topics.iter().any(|(s, _)| s == slug) {
            topics.push((slug.to_string(), reason));
        }
    };
    for owner in owners {
        add(owner, TopicReason::TopicFeed);
    }
    for t in listed {
        add(t, TopicReason::FeedTopics);
    }
    for (slug, keyword) in matcher.matches(title, summary) {
        add(&slug, TopicReason::Keyword(keyword));
    }
    topics
}

#[derive(Debug, Clone)]
struct TopicRules {
    slug: String,
    /// Indices into [`TopicMatcher::keywords`].
    any: Vec<usize>,
    none: Vec<usize>,
}

/// Every topic's keyword rules, compiled once per run: one Aho-Corasick automaton over
/// every distinct keyword, so an item's text is scanned once however many topics and
/// keywords the configuration has.
#[derive(Debug, Clone, Default)]
pub struct TopicMatcher {
    topics: Vec<TopicRules>,
    keywords: Vec<Keyword>,
    /// Each keyword's pattern in the automaton (keywords equal once lowercased share one).
    pattern_of: Vec<usize>,
    /// One keyword per pattern, for its bounds.
    pattern_keyword: Vec<usize>,
    searcher: Option<aho_corasick::AhoCorasick>,
}

impl TopicMatcher {
    pub fn new(topics: &[TopicSpec]) -> TopicMatcher {
        let mut m = TopicMatcher::default();
        let add = |m: &mut TopicMatcher, words: &[String]| -> Vec<usize> {
            let mut ids = Vec::new();
            for k in words.iter().filter_map(|w| Keyword::new(w)) {
                let pattern = match m
                    .pattern_keyword
                    .iter()
                    .position(|&k2| m.keywords[k2].lower == k.lower)
                {
                    Some(p) => p,
                    None => {
                        m.pattern_keyword.push(m.keywords.len());
                        m.pattern_keyword.len() - 1
                    }
                };
                m.pattern_of.push(pattern);
                ids.push(m.keywords.len());
                m.keywords.push(k);
            }
            ids
        };
        for t in topics {
            let any = add(&mut m, &t.match_any);
            let none = add(&mut m, &t.match_none);
            m.topics.push(TopicRules {
                slug: t.slug.clone(),
                any,
                none,
            });
        }
        let patterns: Vec<&str> = m
            .pattern_keyword
            .iter()
            .map(|&k| m.keywords[k].lower.as_str())
            .collect();
        // Building fails only past the automaton's size limits; matching then falls back
        // to one search per keyword, which gives the same answers.
        m.searcher = aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::Standard)
            .build(&patterns)
            .ok();
        m
    }

    /// The topics whose rules `title` and `summary` satisfy, each with the first keyword
    /// of `match_any` that hit.
    pub fn matches(&self, title: &str, summary: Option<&str>) -> Vec<(String, String)> {
        if self.topics.is_empty() {
            return Vec::new();
        }
        let mut text = String::with_capacity(title.len() + summary.map_or(0, |s| s.len() + 1));
        push_lowercase(&mut text, title);
        if let Some(s) = summary {
            text.push('\n');
            push_lowercase(&mut text, s);
        }
        let found = self.found_patterns(&text);
        self.topics
            .iter()
            .filter_map(|t| {
                let hit = t.any.iter().find(|&&k| found[self.pattern_of[k]])?;
                if t.none.iter().any(|&k| found[self.pattern_of[k]]) {
                    return None;
                }
                Some((t.slug.clone(), self.keywords[*hit].original.clone()))
            })
            .collect()
    }

    /// For each pattern, whether it occurs in `text` (lowercased) within its bounds.
    fn found_patterns(&self, text: &str) -> Vec<bool> {
        let mut found = vec![false; self.pattern_keyword.len()];
        match &self.searcher {
            Some(ac) => {
                for m in ac.find_overlapping_iter(text) {
                    let p = m.pattern().as_usize();
                    if !found[p]
                        && self.keywords[self.pattern_keyword[p]].bounded(text, m.start(), m.end())
                    {
                        found[p] = true;
                    }
                }
            }
            None => {
                for (p, &k) in self.pattern_keyword.iter().enumerate() {
                    found[p] = self.keywords[k].found_in(text);
                }
            }
        }
        found
    }
}

/// Appends `s` lowercased; ASCII text (most of it) without Unicode case tables.
fn push_lowercase(out: &mut String, s: &str) {
    if s.is_ascii() {
        let start = out.len();
        out.push_str(s);
        out[start..].make_ascii_lowercase();
    } else {
        out.push_str(&s.to_lowercase());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matcher(any: &[&str], none: &[&str]) -> TopicMatcher {
        TopicMatcher::new(&[TopicSpec {
            slug: "t".into(),
            title: "T".into(),
            match_any: any.iter().map(|s| s.to_string()).collect(),
            match_none: none.iter().map(|s| s.to_string()).collect(),
        }])
    }

    fn hit(m: &TopicMatcher, text: &str) -> Option<String> {
        m.matches(text, None).into_iter().next().map(|(_, k)| k)
    }

    #[test]
    fn whole_words_only() {
        let m = matcher(&["China"], &[]);
        assert_eq!(hit(&m, "China's chips").as_deref(), Some("China"));
        assert_eq!(hit(&m, "made in china."), Some("China".into()));
        assert_eq!(hit(&m, "A walk in Chinatown"), None);
        assert_eq!(hit(&m, "Indochina wars"), None);
    }

    #[test]
    fn phrases_match_across_collapsed_space_and_case() {
        let m = matcher(&["Huawei  Ascend"], &[]);
        assert!(hit(&m, "Models tuned for HUAWEI ASCEND chips").is_some());
        assert!(hit(&m, "Huawei Ascendant").is_none());
    }

    #[test]
    fn cjk_keywords_match_anywhere() {
        let m = matcher(&["人工智能"], &[]);
        assert!(hit(&m, "中国人工智能产业快速发展").is_some());
        let thai = matcher(&["ปัญญาประดิษฐ์"], &[]);
        assert!(hit(&thai, "ข่าวปัญญาประดิษฐ์วันนี้").is_some());
    }

    #[test]
    fn match_none_vetoes() {
        let m = matcher(&["Nvidia"], &["gaming"]);
        assert!(hit(&m, "Nvidia export rules").is_some());
        assert!(hit(&m, "Nvidia gaming GPUs").is_none());
    }

    #[test]
    fn keywords_with_symbols_at_the_edge() {
        let m = matcher(&["C++"], &[]);
        assert!(hit(&m, "Modern C++, fast").is_some());
    }

    #[test]
    fn summary_counts_too() {
        let m = matcher(&["DeepSeek"], &[]);
        assert_eq!(m.matches("A title", Some("about deepseek models")).len(), 1);
    }

    #[test]
    fn later_occurrence_is_found_after_a_bad_one() {
        let m = matcher(&["China"], &[]);
        assert!(hit(&m, "Chinatown and China").is_some());
    }

    #[test]
    fn one_topic_reports_its_first_listed_keyword_and_shared_keywords_keep_their_spelling() {
        let m = TopicMatcher::new(&[
            TopicSpec {
                slug: "a".into(),
                title: "A".into(),
                match_any: vec!["Qwen".into(), "DeepSeek".into()],
                match_none: vec![],
            },
            TopicSpec {
                slug: "b".into(),
                title: "B".into(),
                match_any: vec!["deepseek".into()],
                match_none: vec!["qwen".into()],
            },
        ]);
        assert_eq!(
            m.matches("DeepSeek and Qwen", None),
            vec![("a".to_string(), "Qwen".to_string())]
        );
        assert_eq!(
            m.matches("DeepSeek alone", None),
            vec![
                ("a".to_string(), "DeepSeek".to_string()),
                ("b".to_string(), "deepseek".to_string())
            ]
        );
    }

    proptest::proptest! {
        /// The automaton finds exactly what one search per keyword finds.
        #[test]
        fn the_automaton_agrees_with_one_search_per_keyword(
            words in proptest::collection::vec("(ai|chin|china|a i|c\\+\\+|人工|é|ab)", 1..6),
            text in "(ai|chin|china|a i|c\\+\\+|人工|é|ab|AI|É| |\\.|x){0,20}",
        ) {
            let m = TopicMatcher::new(&[TopicSpec {
                slug: "t".into(),
                title: "T".into(),
                match_any: words.clone(),
                match_none: vec![],
            }]);
            let lower = text.to_lowercase();
            let slow: Vec<bool> = m.pattern_keyword.iter().map(|&k| m.keywords[k].found_in(&lower)).collect();
            proptest::prop_assert_eq!(m.found_patterns(&lower), slow);
        }
    }
}
