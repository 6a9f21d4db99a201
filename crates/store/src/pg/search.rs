//! Full-text search on PostgreSQL with the SQLite store's semantics.
//!
//! PostgreSQL's own text search would stem, drop stop words and read e-mail addresses and
//! version numbers as tokens: another search than `items --search` on SQLite. So dossier
//! cuts the text itself, as the SQLite indexes do (FTS5 `unicode61 remove_diacritics 2`,
//! and the character pairs of `items_cjk`, see `crate::cjk`), and hands PostgreSQL a
//! ready `tsvector` and `tsquery`, written as literals so that nothing re-parses them:
//!
//! - a token is a run of letters and digits, lower-cased, its diacritics removed
//!   (`Café` is `cafe`); scripts written without spaces break a run and are indexed as
//!   overlapping pairs of characters (`人工智能` is `人工 工智 智能`) and as single
//!   characters;
//! - a searched word is the phrase of its tokens (`U.S.` is `u <-> s`), a run of such
//!   characters the phrase of its pairs (one character: that character), and every word
//!   and run of a search is required.
//!
//! Title and summary are one vector with a gap between them, so that no phrase spans the
//! two, as no FTS5 phrase spans two columns.

use dossier_model::is_unspaced_script_char;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// PostgreSQL keeps positions up to this; later ones would all read as this one.
const MAX_POSITION: u32 = 16_383;
/// PostgreSQL keeps at most this many positions per lexeme.
const MAX_POSITIONS_PER_LEXEME: usize = 255;
/// Longer tokens are left out (PostgreSQL refuses lexemes past 2 KiB; no search types one).
const MAX_TOKEN_BYTES: usize = 1_000;

/// The tokens of `text` as the index cuts it: (Latin-and-other tokens, runs of characters
/// of scripts written without spaces).
fn cut(text: &str) -> (Vec<String>, Vec<Vec<char>>) {
    let mut words = Vec::new();
    let mut runs = Vec::new();
    let mut word = String::new();
    let mut run: Vec<char> = Vec::new();
    for c in text.chars() {
        if is_unspaced_script_char(c) {
            flush_word(&mut word, &mut words);
            run.push(c);
        } else {
            if !run.is_empty() {
                runs.push(std::mem::take(&mut run));
            }
            if c.is_alphanumeric() {
                fold_into(c, &mut word);
            } else if !is_combining_mark(c) {
                flush_word(&mut word, &mut words);
            }
        }
    }
    flush_word(&mut word, &mut words);
    if !run.is_empty() {
        runs.push(run);
    }
    (words, runs)
}

/// `c` lower-cased and without its diacritics, appended to `word`.
fn fold_into(c: char, word: &mut String) {
    if c.is_ascii() {
        word.push(c.to_ascii_lowercase());
        return;
    }
    for lower in c.to_lowercase() {
        word.extend(lower.nfd().filter(|d| !is_combining_mark(*d)));
    }
}

fn flush_word(word: &mut String, words: &mut Vec<String>) {
    if !word.is_empty() {
        words.push(std::mem::take(word));
    }
}

/// The pairs of neighbouring characters of a run.
fn pairs(run: &[char]) -> impl Iterator<Item = String> + '_ {
    run.windows(2).map(|w| w.iter().collect())
}

/// Lexemes and their positions, in PostgreSQL's `tsvector` literal form.
#[derive(Default)]
struct Vector {
    lexemes: BTreeMap<String, Vec<u32>>,
    next: u32,
}

impl Vector {
    fn push(&mut self, token: String) {
        self.next = (self.next + 1).min(MAX_POSITION);
        if token.len() > MAX_TOKEN_BYTES {
            return;
        }
        let at = self.lexemes.entry(token).or_default();
        if at.len() < MAX_POSITIONS_PER_LEXEME && at.last() != Some(&self.next) {
            at.push(self.next);
        }
    }

    /// A position no token takes: phrases do not run across it.
    fn gap(&mut self) {
        self.next = (self.next + 1).min(MAX_POSITION);
    }

    fn add_text(&mut self, text: &str) {
        let (words, runs) = cut(text);
        for w in words {
            self.push(w);
        }
        for run in &runs {
            self.gap();
            for p in pairs(run) {
                self.push(p);
            }
        }
        for run in &runs {
            self.gap();
            for c in run {
                self.push(c.to_string());
            }
        }
    }

    fn literal(&self) -> String {
        let mut out = String::new();
        for (lexeme, positions) in &self.lexemes {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&quote(lexeme));
            out.push(':');
            for (i, p) in positions.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let _ = write!(out, "{p}");
            }
        }
        out
    }
}

/// A lexeme quoted for a `tsvector` or `tsquery` literal. Tokens are letters and digits
/// only, but a quote or a backslash is escaped all the same.
fn quote(lexeme: &str) -> String {
    let mut out = String::with_capacity(lexeme.len() + 2);
    out.push('\'');
    for c in lexeme.chars() {
        if c == '\'' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// The `tsvector` literal of an item's title and summary.
pub(crate) fn vector(title: &str, summary: Option<&str>) -> String {
    let mut v = Vector::default();
    v.add_text(title);
    if let Some(summary) = summary {
        v.gap();
        v.add_text(summary);
    }
    v.literal()
}

/// The `tsquery` literal of what a user typed: every word and every run required, each a
/// phrase of its tokens. `None` when nothing is left to search for (only punctuation).
pub(crate) fn query(text: &str) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    let phrase = |tokens: Vec<String>| -> String {
        let quoted: Vec<String> = tokens.iter().map(|t| quote(t)).collect();
        if quoted.len() == 1 {
            quoted.into_iter().next().unwrap_or_default()
        } else {
            format!("( {} )", quoted.join(" <-> "))
        }
    };
    for term in text.split_whitespace() {
        // A term is cut as the text is: its Latin pieces one by one, its runs apart.
        let mut latin = String::new();
        let flush_latin = |latin: &mut String, parts: &mut Vec<String>| {
            let (words, _) = cut(latin);
            if !words.is_empty() {
                parts.push(phrase(words));
            }
            latin.clear();
        };
        let mut run: Vec<char> = Vec::new();
        for c in term.chars() {
            if is_unspaced_script_char(c) {
                flush_latin(&mut latin, &mut parts);
                run.push(c);
            } else {
                if !run.is_empty() {
                    parts.push(run_phrase(&run, &phrase));
                    run.clear();
                }
                latin.push(c);
            }
        }
        flush_latin(&mut latin, &mut parts);
        if !run.is_empty() {
            parts.push(run_phrase(&run, &phrase));
        }
    }
    (!parts.is_empty()).then(|| parts.join(" & "))
}

fn run_phrase(run: &[char], phrase: &dyn Fn(Vec<String>) -> String) -> String {
    if run.len() == 1 {
        phrase(vec![run[0].to_string()])
    } else {
        phrase(pairs(run).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_cut_folded_and_paired() {
        let v = vector("Café U.S. DeepSeek发布人工智能", None);
        for lexeme in [
            "'cafe':1",
            "'u':2",
            "'s':3",
            "'deepseek':4",
            "'发布':6",
            "'智能':10",
            "'能':17",
        ] {
            assert!(v.contains(lexeme), "{lexeme} in {v}");
        }
        assert!(!v.contains("deepseek发"), "scripts are cut apart: {v}");
    }

    #[test]
    fn title_and_summary_are_apart() {
        let v = vector("alpha", Some("beta"));
        assert_eq!(v, "'alpha':1 'beta':3");
    }

    #[test]
    fn searches_are_phrases_of_the_same_tokens() {
        assert_eq!(query("Café"), Some("'cafe'".into()));
        assert_eq!(
            query("U.S. export"),
            Some("( 'u' <-> 's' ) & 'export'".into())
        );
        assert_eq!(query("智能"), Some("'智能'".into()));
        assert_eq!(
            query("DeepSeek人工智能 能"),
            Some("'deepseek' & ( '人工' <-> '工智' <-> '智能' ) & '能'".into())
        );
        assert_eq!(query("  -- ! "), None);
        assert_eq!(query("it's"), Some("( 'it' <-> 's' )".into()));
    }

    #[test]
    fn quotes_cannot_break_a_literal() {
        assert_eq!(quote("a'b\\c"), "'a\\'b\\\\c'");
    }
}
