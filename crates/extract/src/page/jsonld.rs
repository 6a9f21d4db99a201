//! JSON-LD, read as JSON: the page's own dates (`datePublished`, `dateCreated`,
//! `uploadDate`, `dateModified`) and the type that carries them.
//!
//! Only what the page says about itself counts: the walk descends into `@graph`,
//! `mainEntity` and similar wrappers, but not into the things a page links to (its
//! comments, reviews, authors, publisher, the works it cites), whose dates are theirs.
//! Depth and the number of dates read are bounded, so hostile nesting cannot exhaust
//! the stack.

use super::ladder::Hit;
use super::scan::Script;
use crate::dates::{self, DateContext};

/// JSON-LD types whose dates are the page's own.
const ARTICLE_TYPES: &[&str] = &[
    "article",
    "newsarticle",
    "blogposting",
    "reportagenewsarticle",
    "analysisnewsarticle",
    "opinionnewsarticle",
    "reviewnewsarticle",
    "backgroundnewsarticle",
    "scholarlyarticle",
    "techarticle",
    "report",
    "socialmediaposting",
    "liveblogposting",
    "discussionforumposting",
    "webpage",
    "itempage",
    "podcastepisode",
    "blog",
    "creativework",
    "medicalwebpage",
    "qapage",
    "collectionpage",
    "aboutpage",
    "review",
    "howto",
    "recipe",
    "event",
];

/// The dates a page's JSON-LD gives, each the first of its kind in document order.
#[derive(Debug, Default)]
pub(crate) struct LdDates {
    /// Published (or created) by an article-like type.
    pub article: Option<Hit>,
    /// Published by any other type (an embedded video, an organisation...).
    pub other: Option<Hit>,
    /// Modified, by an article-like type, before its published date was met.
    pub modified: Option<Hit>,
}

/// Reads every JSON-LD script; stops at the first article date, as nothing after it
/// can outrank it.
pub(crate) fn dates(scripts: &[Script], cx: &DateContext) -> LdDates {
    let mut out = LdDates::default();
    for script in scripts {
        if !is_json_ld(script) {
            continue;
        }
        let Some(json) = parse(&script.text) else {
            continue;
        };
        let mut found = Vec::new();
        walk(&json, None, 0, &mut found);
        for (ty, key, value) in found {
            let Some(d) = dates::parse_machine(&value, cx) else {
                continue;
            };
            // An embedded video's upload date is the video's, not the article's.
            let article = key != "uploadDate"
                && ty
                    .as_deref()
                    .is_some_and(|t| ARTICLE_TYPES.contains(&t.to_ascii_lowercase().as_str()));
            let date = Hit {
                date: d,
                detail: format!(
                    "{}{key}",
                    ty.as_deref().map(|t| format!("{t}.")).unwrap_or_default()
                ),
            };
            if key == "dateModified" {
                if out.modified.is_none() && article {
                    out.modified = Some(date);
                }
            } else if article {
                out.article = Some(date);
                return out;
            } else if out.other.is_none() {
                out.other = Some(date);
            }
        }
    }
    out
}

/// Typed as JSON-LD, or untyped JSON that names schema.org (some pages serve it so).
fn is_json_ld(script: &Script) -> bool {
    match script.kind.as_deref() {
        Some("application/ld+json") => true,
        None | Some("") | Some("application/json") => {
            script.text.trim_start().starts_with(['{', '[']) && script.text.contains("schema.org")
        }
        _ => false,
    }
}

/// JSON-LD as pages serve it: sometimes wrapped in HTML comments or CDATA.
fn parse(raw: &str) -> Option<serde_json::Value> {
    let t = raw.trim();
    let t = t.strip_prefix("<!--").unwrap_or(t);
    let t = t.strip_suffix("-->").unwrap_or(t);
    let t = t.trim().strip_prefix("//<![CDATA[").unwrap_or(t.trim());
    let t = t.strip_suffix("//]]>").unwrap_or(t);
    if t.len() > 2_000_000 {
        return None;
    }
    let t = t.trim();
    serde_json::from_str(t).ok().or_else(|| {
        // Raw line breaks and tabs inside strings, which JSON forbids and pages write:
        // outside strings they are white space, so spaces read the same there.
        t.contains(|c: char| c.is_ascii_control())
            .then(|| t.replace(|c: char| c.is_ascii_control(), " "))
            .and_then(|fixed| serde_json::from_str(&fixed).ok())
    })
}

/// Collects `(type, key, value)` for every date key, depth-first.
fn walk(
    v: &serde_json::Value,
    ty: Option<&str>,
    depth: usize,
    out: &mut Vec<(Option<String>, &'static str, String)>,
) {
    if depth > 24 || out.len() > 256 {
        return;
    }
    match v {
        serde_json::Value::Array(items) => {
            for item in items {
                walk(item, ty, depth + 1, out);
            }
        }
        serde_json::Value::Object(map) => {
            let own_type = match map.get("@type") {
                Some(serde_json::Value::String(s)) => Some(s.as_str()),
                Some(serde_json::Value::Array(a)) => a.iter().find_map(|t| t.as_str()),
                _ => None,
            }
            .or(ty);
            for key in ["datePublished", "dateCreated", "uploadDate", "dateModified"] {
                if let Some(serde_json::Value::String(s)) = map.get(key) {
                    out.push((own_type.map(str::to_string), key, s.clone()));
                }
            }
            for (k, child) in map {
                // Dates of what the page links to (other articles, comments) are not its own.
                if matches!(
                    k.as_str(),
                    "@graph"
                        | "mainEntity"
                        | "mainEntityOfPage"
                        | "itemListElement"
                        | "hasPart"
                        | "video"
                        | "subjectOf"
                ) {
                    walk(child, own_type, depth + 1, out);
                } else if matches!(
                    child,
                    serde_json::Value::Object(_) | serde_json::Value::Array(_)
                ) && !matches!(
                    k.as_str(),
                    "comment"
                        | "review"
                        | "author"
                        | "publisher"
                        | "isPartOf"
                        | "about"
                        | "citation"
                        | "mentions"
                ) {
                    walk(child, None, depth + 1, out);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn ld(json: &str) -> LdDates {
        let cx = DateContext::new(Utc.with_ymd_and_hms(2026, 5, 22, 12, 0, 0).unwrap());
        let script = Script {
            kind: Some("application/ld+json".into()),
            text: json.into(),
            oversize: false,
        };
        dates(&[script], &cx)
    }

    #[test]
    fn the_article_date_wins_over_an_embedded_video() {
        let d = ld(r#"[{"@type":"VideoObject","uploadDate":"2026-01-01"},
                       {"@type":"NewsArticle","dateModified":"2026-05-03","datePublished":"2026-05-02"}]"#);
        let a = d.article.unwrap();
        assert_eq!(a.date.local_date.to_string(), "2026-05-02");
        assert_eq!(a.detail, "NewsArticle.datePublished");
        assert_eq!(d.other.unwrap().date.local_date.to_string(), "2026-01-01");
        assert!(d.modified.is_none(), "read only before the published date");
    }

    #[test]
    fn linked_things_keep_their_dates() {
        let d = ld(
            r#"{"@type":"BlogPosting","comment":[{"@type":"Comment","datePublished":"2026-05-09"}],
                      "author":{"@type":"Person","dateCreated":"2020-01-01"}}"#,
        );
        assert!(d.article.is_none() && d.other.is_none());
    }

    #[test]
    fn raw_line_breaks_in_strings_are_forgiven() {
        let d = ld(
            "{\"@type\":\"NewsArticle\",\"headline\":\"a\tb\nc\",\"datePublished\":\"2022-02-02T11:14:00+01:00\"}",
        );
        assert_eq!(d.article.unwrap().date.local_date.to_string(), "2022-02-02");
    }

    #[test]
    fn graph_and_wrapped_json_ld_are_read() {
        let d = ld(
            r#"<!-- {"@graph":[{"@type":"WebPage","datePublished":"2026-04-30T10:00:00+02:00"}]} -->"#,
        );
        assert_eq!(d.article.unwrap().date.local_date.to_string(), "2026-04-30");
    }
}
