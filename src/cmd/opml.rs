//! `dossier feeds import-opml|export-opml`: moving feeds in and out of the config.
//!
//! Import appends `[[feed]]` blocks to the config as text, so the operator's comments and
//! layout survive; the result is validated before it replaces the file (atomically).
//!
//! A topic's search feeds are exported like its other own feeds, plus `dossier:search` and
//! `dossier:query` attributes naming the provider and the query, so that other readers can
//! subscribe to them and dossier can tell them apart: import never turns one into a plain
//! `[[feed]]` (it would stop following the topic's queries), it names each on stderr.

use super::discover::toml_str;
use crate::config::{self, Config};
use crate::{EXIT_USAGE, Exit, output};
use anyhow::{Context, Result};
use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::Path;

fn outline_url(o: &dossier_extract::discover::OpmlFeed) -> Result<url::Url, String> {
    let raw = o.xml_url.as_str();
    if raw.is_empty() {
        return Err("its xmlUrl is empty".into());
    }
    // Types some readers give outlines that carry an xmlUrl but name no feed.
    let not_a_feed = match o.outline_type.as_deref().map(str::to_ascii_lowercase) {
        Some(t) if t == "source" => Some("a subscription list (type=\"source\")"),
        Some(t) if t == "vfolder" => Some("a search folder (type=\"vfolder\")"),
        _ => None,
    };
    if let Some(what) = not_a_feed {
        return Err(format!("`{raw}` is {what}, not a feed"));
    }
    // Old readers wrote subscriptions as `feed://host/…` or `feed:https://host/…`.
    let fixed = match raw.get(..5) {
        Some(p) if p.eq_ignore_ascii_case("feed:") => {
            let rest = &raw[5..];
            if rest.starts_with("//") {
                format!("http:{rest}")
            } else {
                rest.to_string()
            }
        }
        _ => raw.to_string(),
    };
    match url::Url::parse(&fixed) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => Ok(u),
        Ok(_) => Err(format!("`{raw}` is not an http or https URL")),
        Err(e) => Err(format!("`{raw}` is not a URL ({e})")),
    }
}

/// Adds the OPML file's feeds to the config and accounts for every outline that has an
/// `xmlUrl`: added, already there (in the config or earlier in the file), or invalid,
/// each invalid one named on stderr with its line, title and the reason. With `verbose`,
/// the ones already there are named too.
pub fn import_opml(file: &Path, cfg: &Config, verbose: bool) -> Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    // OPML declares its encoding like any XML document; exporters do not all write UTF-8.
    let opml = String::from_utf8_lossy(&dossier_extract::charset::to_utf8(&bytes, None).bytes)
        .into_owned();
    let outlines = dossier_extract::discover::read_opml(&opml);
    if outlines.is_empty() {
        return Err(Exit {
            code: EXIT_USAGE,
            message: format!("{}: no <outline xmlUrl=...> found", file.display()),
        }
        .into());
    }
    let mut names: HashSet<String> = cfg.feeds.iter().map(|f| f.name.clone()).collect();
    let mut urls: HashSet<String> = cfg.feeds.iter().map(|f| f.url.clone()).collect();
    let text = std::fs::read_to_string(&cfg.path)?;
    let (mut added, mut skipped, mut invalid, mut searches) = (0, 0, 0, 0);
    let mut block = String::new();
    for o in &outlines {
        let here = format!(
            "{}:{}: outline {}",
            file.display(),
            o.line,
            o.title
                .as_deref()
                .map_or_else(|| "(untitled)".to_string(), |t| format!("`{t}`"))
        );
        if let Some(why) = o.repaired {
            eprintln!("dossier: {here}: read although {why}");
        }
        if let Some(origin) = &o.search {
            searches += 1;
            eprintln!(
                "dossier: {here}: left out: a search feed (provider `{}`, query {:?}); \
                 searches are a [[search]] provider and a topic's `queries`, not a [[feed]]",
                origin.provider, origin.query
            );
            continue;
        }
        let parsed = match outline_url(o) {
            Ok(u) => u,
            Err(why) => {
                invalid += 1;
                eprintln!("dossier: {here}: skipped: {why}");
                continue;
            }
        };
        if urls.contains(parsed.as_str()) {
            skipped += 1;
            if verbose {
                eprintln!("dossier: {here}: `{parsed}` is already there");
            }
            continue;
        }
        urls.insert(parsed.to_string());
        let name = free_name(o.title.as_deref(), &parsed, &mut names);
        let _ = write!(
            block,
            "\n[[feed]]\nname = {}\nurl = {}\nkind = \"feed\"\n",
            toml_str(&name),
            toml_str(parsed.as_str())
        );
        added += 1;
    }
    if added > 0 {
        append_to_config(cfg, text, &block, file)?;
    }
    let searches = if searches > 0 {
        format!(", {searches} search feeds left out")
    } else {
        String::new()
    };
    output::text(&format!(
        "dossier: added {added} feeds to {}, skipped {skipped} already there, {invalid} invalid\
         {searches} ({} feed outlines in {})\n",
        cfg.path.display(),
        outlines.len(),
        file.display()
    ))?;
    Ok(())
}

/// A name for an imported feed: its outline's title (or its URL), without the
/// `reactive:` prefix kept for topic feeds, numbered if another feed has it.
fn free_name(title: Option<&str>, url: &url::Url, names: &mut HashSet<String>) -> String {
    let title = title.map_or_else(|| url.to_string(), str::to_string);
    let title = title
        .strip_prefix("reactive:")
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .unwrap_or(&title)
        .to_string();
    let mut name = title.clone();
    let mut n = 2;
    while names.contains(&name) {
        name = format!("{title} ({n})");
        n += 1;
    }
    names.insert(name.clone());
    name
}

/// Appends imported `[[feed]]` tables to the config file, validating the result before
/// the file is replaced (atomically): a bad import must not break a working config.
fn append_to_config(cfg: &Config, mut text: String, block: &str, from: &Path) -> Result<()> {
    if !text.ends_with('\n') {
        text.push('\n');
    }
    let _ = write!(text, "\n# Imported from {}\n{block}", from.display());
    config::parse(&text, &cfg.path)?;
    let tmp = cfg.path.with_extension("toml.tmp");
    std::fs::write(&tmp, &text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, &cfg.path)
        .with_context(|| format!("cannot replace {}", cfg.path.display()))?;
    Ok(())
}

fn xml_attr(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The namespace of the attributes that mark a topic's search feeds in an export.
const OPML_NS: &str = "urn:x-dossier:opml";

/// Prints every configured feed as OPML 2.0, topic feeds grouped under their topic, a
/// search feed marked with its provider and query.
pub fn export_opml(cfg: &Config) -> Result<()> {
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\" xmlns:dossier=\"{OPML_NS}\">\n  <head><title>dossier feeds</title></head>\n  <body>\n",
    );
    let outline = |f: &dossier_model::FeedSpec, indent: &str| {
        let search = f.search.as_ref().map_or_else(String::new, |o| {
            format!(
                " dossier:search=\"{}\" dossier:query=\"{}\"",
                xml_attr(&o.provider),
                xml_attr(&o.query)
            )
        });
        format!(
            "{indent}<outline type=\"rss\" text=\"{0}\" title=\"{0}\" xmlUrl=\"{1}\"{search}/>\n",
            xml_attr(&f.name),
            xml_attr(&f.url)
        )
    };
    for t in &cfg.topics {
        let own: Vec<_> = cfg
            .feeds
            .iter()
            .filter(|f| f.owner_topic.as_deref() == Some(&t.slug))
            .collect();
        if own.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "    <outline text=\"{}\" title=\"{}\">",
            xml_attr(&t.slug),
            xml_attr(&t.title)
        );
        for f in own {
            out += &outline(f, "      ");
        }
        out += "    </outline>\n";
    }
    for f in cfg.feeds.iter().filter(|f| f.owner_topic.is_none()) {
        out += &outline(f, "    ");
    }
    out += "  </body>\n</opml>\n";
    output::text(&out)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outline(url: &str, ty: Option<&str>) -> dossier_extract::discover::OpmlFeed {
        dossier_extract::discover::OpmlFeed {
            line: 1,
            title: None,
            xml_url: url.into(),
            outline_type: ty.map(str::to_string),
            repaired: None,
            search: None,
        }
    }

    #[test]
    fn outline_urls_are_checked_and_feed_schemes_mapped() {
        let ok = |u: &str| outline_url(&outline(u, Some("rss"))).map(|u| u.to_string());
        assert_eq!(
            ok("https://a.example/rss"),
            Ok("https://a.example/rss".into())
        );
        assert_eq!(
            ok("feed://a.example/rss"),
            Ok("http://a.example/rss".into())
        );
        assert_eq!(
            ok("feed:https://a.example/rss"),
            Ok("https://a.example/rss".into())
        );
        assert_eq!(ok(""), Err("its xmlUrl is empty".into()));
        assert_eq!(
            ok("hhttps://a.example/rss"),
            Err("`hhttps://a.example/rss` is not an http or https URL".into())
        );
        assert!(
            ok("not a url")
                .unwrap_err()
                .starts_with("`not a url` is not a URL")
        );
        assert_eq!(
            outline_url(&outline("http://localhost/list", Some("source"))).unwrap_err(),
            "`http://localhost/list` is a subscription list (type=\"source\"), not a feed"
        );
        assert_eq!(
            outline_url(&outline("vfolder", Some("vfolder"))).unwrap_err(),
            "`vfolder` is a search folder (type=\"vfolder\"), not a feed"
        );
        assert!(outline_url(&outline("https://a.example/", Some("bozoTypeAttr"))).is_ok());
    }
}
