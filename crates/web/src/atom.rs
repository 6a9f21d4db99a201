//! `/topics/{slug}.atom`: a topic's versions as an Atom feed, so that a dossier can be
//! followed in any feed reader. One entry per version, newest first; each lists the
//! sources new in that version and the story each joined ("with [a][b]" when the story
//! already had older sources).
//!
//! Ids are stable: `tag:dossier,<the version's day>:<slug>/v<n>` names a version for
//! good, since a version never changes once cut.

use crate::error::ApiError;
use crate::{App, pages::xml_escape};
use dossier_model::fmt_time;
use dossier_normalize::stories::group;
use dossier_store::{ReadStore, Version, VersionStories};
use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;

/// Every version of a topic with its stories, newest first.
pub async fn versions_with_stories(
    app: &App,
    slug: &str,
) -> Result<Vec<(Version, VersionStories)>, ApiError> {
    let s = slug.to_string();
    Ok(app
        .pool
        .call(move |st| {
            let mut out = Vec::new();
            for summary in st.versions(&s)?.iter().rev() {
                let n = Some(summary.version);
                if let (Some(v), Some(found)) = (st.version(&s, n)?, st.stories(&s, n, group)?) {
                    out.push((v, found));
                }
            }
            Ok(out)
        })
        .await?)
}

/// The feed. `base` is `http://host` as the request named this server; `title` the
/// topic's.
pub fn feed(slug: &str, title: &str, base: &str, versions: &[(Version, VersionStories)]) -> String {
    let updated = versions.first().map_or_else(
        || "1970-01-01T00:00:00Z".to_string(),
        |(v, _)| fmt_time(v.created_at),
    );
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    let _ = write!(
        out,
        "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n<id>tag:dossier,2026:{slug}</id>\n\
         <title>{}</title>\n<updated>{updated}</updated>\n<author><name>dossier</name></author>\n\
         <link rel=\"self\" href=\"{base}/topics/{slug}.atom\"/>\n\
         <link rel=\"alternate\" type=\"text/html\" href=\"{base}/topics/{slug}\"/>\n",
        xml_escape(title)
    );
    for (i, (v, stories)) in versions.iter().enumerate() {
        let older = versions.get(i + 1).map(|(o, _)| o);
        entry(&mut out, slug, base, v, stories, older);
    }
    out + "</feed>\n"
}

fn entry(
    out: &mut String,
    slug: &str,
    base: &str,
    v: &Version,
    stories: &VersionStories,
    older: Option<&Version>,
) {
    let before: BTreeSet<i64> =
        older.map_or_else(BTreeSet::new, |o| o.sources.iter().map(|s| s.n).collect());
    let new: Vec<_> = v
        .sources
        .iter()
        .filter(|s| !before.contains(&s.n))
        .collect();
    let story_of: HashMap<i64, usize> = stories
        .stories
        .iter()
        .enumerate()
        .flat_map(|(i, st)| st.sources.iter().map(move |n| (*n, i)))
        .collect();
    let mut html = format!(
        "<p>{} · {} new</p><ul>",
        xml_escape(&v.heading()),
        new.len()
    );
    for s in &new {
        let _ = write!(html, "<li>{}", xml_escape(s.line().trim_end()));
        if let Some(story) = story_of.get(&s.n).map(|i| &stories.stories[*i]) {
            let with: String = story
                .sources
                .iter()
                .filter(|n| before.contains(n))
                .map(|n| format!("[{n}]"))
                .collect();
            let _ = write!(html, " — story: {}", xml_escape(&story.title));
            if !with.is_empty() {
                let _ = write!(html, ", with {with}");
            }
        }
        html += "</li>";
    }
    html += "</ul>";
    let day = v.created_at.format("%Y-%m-%d");
    let at = fmt_time(v.created_at);
    let _ = write!(
        out,
        "<entry>\n<id>tag:dossier,{day}:{slug}/v{n}</id>\n<title>{title} — version {n}</title>\n\
         <updated>{at}</updated>\n<published>{at}</published>\n\
         <link rel=\"alternate\" type=\"text/html\" href=\"{base}/topics/{slug}/versions/{n}\"/>\n\
         <content type=\"html\">{content}</content>\n</entry>\n",
        n = v.version,
        title = xml_escape(&v.title),
        content = xml_escape(&html),
    );
}
