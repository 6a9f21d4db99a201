//! Keyword rules: which topics an item's text belongs to, and which keyword said so.
//!
//! Matching is case-insensitive on title + summary, by whole words or whole phrases
//! (`China` matches "China's" and "in China." but not "Chinatown"). A keyword written in a
//! script without spaces between words (Han, Kana, Hangul, Thai, Lao, Khmer, Myanmar)
//! matches anywhere, since there is no word boundary to look for. A hit in `match_none`
//! vetoes the topic's keyword match.

use dossier_model::TopicSpec;

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

    /// Whether the keyword occurs in `text`, which must already be lowercased.
    fn found_in(&self, text: &str) -> bool {
        if self.anywhere {
            return text.contains(&self.lower);
        }
        let needs_start = self.lower.chars().next().is_some_and(is_word_char);
        let needs_end = self.lower.chars().next_back().is_some_and(is_word_char);
        let mut from = 0;
        while let Some(pos) = text[from..].find(&self.lower) {
            let start = from + pos;
            let end = start + self.lower.len();
            let ok_start =
                !needs_start || !text[..start].chars().next_back().is_some_and(is_word_char);
            let ok_end = !needs_end || !text[end..].chars().next().is_some_and(is_word_char);
            if ok_start && ok_end {
                return true;
            }
            from = start + text[start..].chars().next().map_or(1, char::len_utf8);
        }
        false
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Scripts written without spaces between words.
pub(crate) fn is_unspaced_script_char(c: char) -> bool {
    matches!(c as u32,
        0x0E00..=0x0EFF      // Thai, Lao
        | 0x1000..=0x109F    // Myanmar
        | 0x1780..=0x17FF    // Khmer
        | 0x3040..=0x30FF    // Hiragana, Katakana
        | 0x3400..=0x4DBF    // CJK extension A
        | 0x4E00..=0x9FFF    // CJK unified ideographs
        | 0xAC00..=0xD7AF    // Hangul syllables
        | 0xF900..=0xFAFF    // CJK compatibility ideographs
        | 0x20000..=0x2FFFF) // CJK extensions B+
}

#[derive(Debug, Clone)]
struct TopicRules {
    slug: String,
    any: Vec<Keyword>,
    none: Vec<Keyword>,
}

/// Every topic's keyword rules, compiled once per run.
#[derive(Debug, Clone, Default)]
pub struct TopicMatcher {
    topics: Vec<TopicRules>,
}

impl TopicMatcher {
    pub fn new(topics: &[TopicSpec]) -> TopicMatcher {
        TopicMatcher {
            topics: topics
                .iter()
                .map(|t| TopicRules {
                    slug: t.slug.clone(),
                    any: t.match_any.iter().filter_map(|k| Keyword::new(k)).collect(),
                    none: t
                        .match_none
                        .iter()
                        .filter_map(|k| Keyword::new(k))
                        .collect(),
                })
                .collect(),
        }
    }

    /// The topics whose rules `title` and `summary` satisfy, each with the first keyword
    /// of `match_any` that hit.
    pub fn matches(&self, title: &str, summary: Option<&str>) -> Vec<(String, String)> {
        let mut text = title.to_lowercase();
        if let Some(s) = summary {
            text.push('\n');
            text.push_str(&s.to_lowercase());
        }
        self.topics
            .iter()
            .filter_map(|t| {
                let hit = t.any.iter().find(|k| k.found_in(&text))?;
                if t.none.iter().any(|k| k.found_in(&text)) {
                    return None;
                }
                Some((t.slug.clone(), hit.original.clone()))
            })
            .collect()
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
}
