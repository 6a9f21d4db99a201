//! `dossier feeds discover`: the feeds a page offers, printed as `[[feed]]` tables to
//! paste into the config (or as JSON).

use crate::config::Config;
use crate::{EXIT_FAILED, Exit, output};
use anyhow::{Context, Result};
use dossier_fetch::Fetched;
use dossier_run::once::OneShot;
use serde::Serialize;
use std::collections::HashSet;
use std::fmt::Write as _;

const WELL_KNOWN: &[&str] = &[
    "/feed",
    "/rss",
    "/rss.xml",
    "/feed.xml",
    "/atom.xml",
    "/index.xml",
    "/feed.json",
    "/?feed=rss2",
];

#[derive(Serialize)]
struct Found {
    url: String,
    title: Option<String>,
    /// `link` (announced by the page) or `well-known` (found at a common path).
    found_by: &'static str,
    r#type: Option<String>,
}

/// Lists the feeds a site offers: `<link rel="alternate">` on the page, then a few
/// well-known paths (fetched without following redirects), with a config snippet.
pub fn discover(url: &str, json: bool, cfg: Option<&Config>) -> Result<()> {
    let settings = cfg.map(|c| c.fetch.clone()).unwrap_or_default();
    let fetch = OneShot::new(&settings).map_err(Exit::failed)?;
    let page = fetch
        .get(url, false)
        .map_err(|why| Exit::failed(format!("{url}: {why}")))?;
    let base = url::Url::parse(&page.final_url).context("page URL")?;
    let found = find_feeds(&fetch, &page, &base);
    if json {
        let mut out = String::new();
        for f in &found {
            out += &serde_json::to_string(f)?;
            out.push('\n');
        }
        output::text(&out)?;
    } else if found.is_empty() {
        eprintln!(
            "dossier: {url}: no feed found (no <link rel=\"alternate\"> and none at the usual paths)"
        );
    } else {
        let mut out = format!("# Feeds offered by {url}\n");
        for f in &found {
            let name = f
                .title
                .clone()
                .unwrap_or_else(|| base.host_str().unwrap_or("feed").to_string());
            let _ = write!(
                out,
                "\n[[feed]]\nname = {}\nurl = {}\nkind = \"feed\"\n",
                toml_str(&name),
                toml_str(&f.url)
            );
        }
        output::text(&out)?;
    }
    if found.is_empty() {
        return Err(Exit {
            code: EXIT_FAILED,
            message: String::new(),
        }
        .into());
    }
    Ok(())
}

/// The feeds a page offers: the page itself if it is one, else those its
/// `<link rel="alternate">`s announce, else feeds at the usual paths of its site.
fn find_feeds(fetch: &OneShot, page: &Fetched, base: &url::Url) -> Vec<Found> {
    let mut found: Vec<Found> = Vec::new();
    let mut seen = HashSet::new();

    // The page itself may be a feed.
    if let Ok(feed) = dossier_extract::parse_feed(
        &page.body,
        Some(&page.final_url),
        page.content_type.as_deref(),
    ) {
        seen.insert(page.final_url.clone());
        found.push(Found {
            url: page.final_url.clone(),
            title: feed.title,
            found_by: "link",
            r#type: page.content_type.clone(),
        });
    } else {
        let html = String::from_utf8_lossy(
            &dossier_extract::charset::to_utf8(&page.body, page.content_type.as_deref()).bytes,
        )
        .into_owned();
        for link in dossier_extract::discover::feed_links(&html, &page.final_url) {
            if seen.insert(link.url.clone()) {
                found.push(Found {
                    url: link.url,
                    title: link.title,
                    found_by: "link",
                    r#type: Some(link.media_type),
                });
            }
        }
    }
    if found.is_empty() {
        for path in WELL_KNOWN {
            let Ok(candidate) = base.join(path) else {
                continue;
            };
            if seen.contains(candidate.as_str()) {
                continue;
            }
            if let Ok(f) = fetch.get(candidate.as_str(), true)
                && let Ok(feed) = dossier_extract::parse_feed(
                    &f.body,
                    Some(&f.final_url),
                    f.content_type.as_deref(),
                )
            {
                seen.insert(candidate.to_string());
                found.push(Found {
                    url: candidate.to_string(),
                    title: feed.title,
                    found_by: "well-known",
                    r#type: f.content_type,
                });
            }
        }
    }
    found
}

/// A TOML basic string.
pub(super) fn toml_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The feed URL an OPML outline names, or why it names none.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_strings_are_escaped() {
        assert_eq!(toml_str("a \"q\" \\ b"), r#""a \"q\" \\ b""#);
    }
}
