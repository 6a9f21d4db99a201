//! Full-text search in scripts written without spaces between words.
//!
//! The word index (`items_fts`, FTS5 `unicode61`) cuts text at spaces and punctuation, so
//! "人工智能+制造" is two tokens and a search for `智能` finds nothing in it; a Latin word
//! written against Chinese text (`DeepSeek发布`) is no token of its own either. Items whose
//! title or summary hold such a script (see [`dossier_model::is_unspaced_script_char`]) are
//! therefore also indexed in `items_cjk`, the way search engines index CJK text: every
//! pair of neighbouring characters of such a run (`bi`), every single character (`uni`),
//! and the whole text with spaces put around the runs (`words`). A search is then
//! answered from the word index where that suffices, and from this one where it does not:
//!
//! - a search with no such characters matches the word index, or `words` (for the Latin
//!   word glued to Chinese text);
//! - a search with them matches `items_cjk` alone: its runs as phrases of pairs (`智能` is
//!   the pair itself, `人工智能` the phrase `人工 工智 智能`), single characters in `uni`,
//!   its other words in `words`. Only items holding such text can match one, and all of
//!   their text is in `items_cjk`.
//!
//! The pairs are made by [`grams`], registered on every connection as the SQL function
//! `dossier_cjk(part, title, summary)`, so that the index triggers keep `items_cjk` true
//! through every edit. Only items with such text cost anything beyond a scan of their
//! characters.

use dossier_model::is_unspaced_script_char;
use rusqlite::Connection;
use rusqlite::functions::FunctionFlags;

/// What `items_cjk` holds for one text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Grams {
    pub bi: String,
    pub uni: String,
    pub words: String,
}

/// The pairs, characters and spaced words of `text`; `None` when it holds no character of
/// a script written without spaces.
pub(crate) fn grams(text: &str) -> Option<Grams> {
    if !text.chars().any(is_unspaced_script_char) {
        return None;
    }
    let mut out = Grams {
        bi: String::new(),
        uni: String::new(),
        words: String::with_capacity(text.len() + 16),
    };
    let mut prev: Option<char> = None;
    for c in text.chars() {
        if is_unspaced_script_char(c) {
            if prev.is_none() {
                out.words.push(' ');
            }
            out.words.push(c);
            push_word(&mut out.uni, &[c]);
            if let Some(p) = prev {
                push_word(&mut out.bi, &[p, c]);
            }
            prev = Some(c);
        } else {
            if prev.is_some() {
                out.words.push(' ');
            }
            out.words.push(c);
            prev = None;
        }
    }
    Some(out)
}

fn push_word(out: &mut String, chars: &[char]) {
    if !out.is_empty() {
        out.push(' ');
    }
    out.extend(chars);
}

/// Registers `dossier_cjk(part, title, summary)`: the `bi`, `uni` or `words` column of the
/// item's text, or NULL when it has nothing for `items_cjk`.
pub(crate) fn register(conn: &Connection) -> rusqlite::Result<()> {
    conn.create_scalar_function(
        "dossier_cjk",
        3,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            // Called for every new item: read the texts in place, and give up on the
            // common case (no character at or past U+0E00, whose UTF-8 lead byte is
            // 0xE0 or more) before anything is copied.
            let text_of = |i: usize| -> rusqlite::Result<Option<&str>> {
                match ctx.get_raw(i) {
                    rusqlite::types::ValueRef::Text(t) => Ok(std::str::from_utf8(t).ok()),
                    _ => Ok(None),
                }
            };
            let (title, summary) = (text_of(1)?, text_of(2)?);
            let may_hold = |t: Option<&str>| t.is_some_and(|t| t.bytes().any(|b| b >= 0xE0));
            if !may_hold(title) && !may_hold(summary) {
                return Ok(None);
            }
            let text = [title, summary]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("\n");
            let part = text_of(0)?.unwrap_or_default();
            Ok(grams(&text).map(|g| match part {
                "bi" => g.bi,
                "uni" => g.uni,
                _ => g.words,
            }))
        },
    )
}

/// How a search is answered: an FTS5 query for the word index and one for `items_cjk`, or
/// one for `items_cjk` alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Plan {
    /// No character of an unspaced script: (word index query, `items_cjk` query).
    Words(String, String),
    /// Such characters: an `items_cjk` query.
    Cjk(String),
}

fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// Turns what a user typed into queries that cannot be a syntax error: every word and
/// every run quoted, all of them required. `None` when nothing is left to search for.
pub(crate) fn plan(text: &str) -> Option<Plan> {
    let mut words = Vec::new();
    let mut cjk = Vec::new();
    for term in text.split_whitespace() {
        let mut latin = String::new();
        let mut run: Vec<char> = Vec::new();
        let flush_run = |run: &mut Vec<char>, cjk: &mut Vec<String>| {
            match run.len() {
                0 => {}
                1 => cjk.push(format!("uni : {}", quoted(&run[0].to_string()))),
                _ => {
                    let pairs: Vec<String> = run.windows(2).map(|w| w.iter().collect()).collect();
                    cjk.push(format!("bi : {}", quoted(&pairs.join(" "))));
                }
            }
            run.clear();
        };
        for c in term.chars() {
            if is_unspaced_script_char(c) {
                if !latin.is_empty() {
                    words.push(std::mem::take(&mut latin));
                }
                run.push(c);
            } else {
                flush_run(&mut run, &mut cjk);
                latin.push(c);
            }
        }
        flush_run(&mut run, &mut cjk);
        if !latin.is_empty() {
            words.push(latin);
        }
    }
    // A word of nothing but punctuation has no token: it would match nothing, never fail.
    words.retain(|w| w.chars().any(char::is_alphanumeric));
    if cjk.is_empty() {
        if words.is_empty() {
            return None;
        }
        let q: Vec<String> = words.iter().map(|w| quoted(w)).collect();
        let q = q.join(" ");
        return Some(Plan::Words(q.clone(), format!("words : ({q})")));
    }
    let mut parts: Vec<String> = words
        .iter()
        .map(|w| format!("words : {}", quoted(w)))
        .collect();
    parts.extend(cjk);
    Some(Plan::Cjk(parts.join(" ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_become_pairs_characters_and_spaced_words() {
        let g = grams("DeepSeek发布人工智能+制造 plan").unwrap();
        assert_eq!(g.bi, "发布 布人 人工 工智 智能 制造");
        assert_eq!(g.uni, "发 布 人 工 智 能 制 造");
        assert_eq!(g.words, "DeepSeek 发布人工智能 + 制造  plan");
        assert_eq!(grams("Only Latin, café"), None);
    }

    #[test]
    fn searches_are_planned_by_script() {
        assert_eq!(
            plan("export \"controls\""),
            Some(Plan::Words(
                "\"export\" \"\"\"controls\"\"\"".into(),
                "words : (\"export\" \"\"\"controls\"\"\")".into()
            ))
        );
        assert_eq!(plan("智能"), Some(Plan::Cjk("bi : \"智能\"".into())));
        assert_eq!(
            plan("DeepSeek人工智能 能"),
            Some(Plan::Cjk(
                "words : \"DeepSeek\" bi : \"人工 工智 智能\" uni : \"能\"".into()
            ))
        );
        assert_eq!(plan("  -- ! "), None);
    }
}
