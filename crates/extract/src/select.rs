//! Selector feeds (`kind = "web"`): items picked out of a page with CSS selectors.
//!
//! A selector may end in `@attr` to read that attribute instead of the text. Parsing the
//! page is CPU work on a `!Send` tree, so this is plain synchronous code the pipeline runs
//! off the async reactor.

use scraper::Selector;

/// A configured selector: the CSS part and the optional attribute to read.
#[derive(Debug, Clone)]
pub struct FieldSelector {
    pub css: Selector,
    pub attr: Option<String>,
}

/// Splits `h2 a@href` into its CSS and its attribute. An `@` inside brackets or quotes
/// belongs to the CSS (`a[href^="mailto:x@y"]`).
fn split_attr(spec: &str) -> (&str, Option<&str>) {
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut at = None;
    for (i, c) in spec.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '[' | '(') => depth += 1,
            (None, ']' | ')') => depth -= 1,
            (None, '@') if depth == 0 => at = Some(i),
            _ => {}
        }
    }
    match at {
        Some(i) => (spec[..i].trim(), Some(spec[i + 1..].trim())),
        None => (spec.trim(), None),
    }
}

impl FieldSelector {
    pub fn parse(spec: &str) -> Result<FieldSelector, String> {
        let (css, attr) = split_attr(spec);
        if let Some(a) = attr {
            if a.is_empty()
                || !a
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':'))
            {
                return Err(format!(
                    "selector `{spec}`: `@{a}` is not an attribute name"
                ));
            }
        }
        if css.is_empty() {
            return Err(format!("selector `{spec}` is empty"));
        }
        let css =
            Selector::parse(css).map_err(|e| format!("selector `{spec}` does not parse: {e}"))?;
        Ok(FieldSelector {
            css,
            attr: attr.map(str::to_string),
        })
    }
}

/// Checks a configured selector, for config validation.
pub fn check_selector(spec: &str) -> Result<(), String> {
    FieldSelector::parse(spec).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_suffix_is_split_off() {
        assert_eq!(
            split_attr("a.more@data-href"),
            ("a.more", Some("data-href"))
        );
        assert_eq!(split_attr("h2 a"), ("h2 a", None));
        assert_eq!(
            split_attr("a[href^=\"mailto:x@y\"]"),
            ("a[href^=\"mailto:x@y\"]", None)
        );
        assert_eq!(
            split_attr("a[title='@']@href"),
            ("a[title='@']", Some("href"))
        );
    }

    #[test]
    fn bad_selectors_are_named() {
        let e = check_selector("h2 a[").unwrap_err();
        assert!(e.starts_with("selector `h2 a[` does not parse"), "{e}");
        assert!(check_selector("a@").is_err());
        assert!(check_selector("time@datetime").is_ok());
    }
}
