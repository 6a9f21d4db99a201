//! The HTML pages, for people: server-rendered with askama (every value escaped unless a
//! template says `|safe`, which only the chart, drawn here from numbers, does), one
//! stylesheet, no script. Each page links to its JSON twin. A URL a feed gave becomes a
//! link only when it is `http` or `https`, and then with `rel="noopener noreferrer"`.

use crate::error::{ApiError, PageError};
use crate::params::{self, Params};
use crate::{AppState, atom, chart, diff};
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::Utc;
use dossier_store::{FeedRow, ReadStore, Source, Version, VersionSummary};
use std::sync::LazyLock;

pub const CSS: &str = include_str!("../static/app.css");

/// `/static/app-<digest>.css`: a new stylesheet is a new URL, so each can be cached for good.
pub static CSS_PATH: LazyLock<String> = LazyLock::new(|| {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(CSS.as_bytes());
    format!("/static/app-{}.css", crate::api::hex(&digest[..4]))
});

/// What every page's frame shows: its title, the stylesheet, its JSON twin.
pub struct Head {
    pub title: String,
    pub css: &'static str,
    pub json: String,
}

impl Head {
    fn new(title: impl Into<String>, json: impl Into<String>) -> Head {
        Head {
            title: title.into(),
            css: CSS_PATH.as_str(),
            json: json.into(),
        }
    }
}

/// A source as a page shows it: the contract's line, its `[n]` linking to the URL.
pub struct Line {
    pub n: i64,
    pub href: Option<String>,
    pub title: String,
    pub label: String,
    pub date: Option<String>,
    pub page: String,
}

impl Line {
    fn of(slug: &str, s: &Source) -> Line {
        Line {
            n: s.n,
            href: s.url.as_deref().and_then(web_href),
            title: dossier_store::cut_title(&s.title),
            label: s.label.clone(),
            date: s.published_at.map(|t| t.format("%Y-%m-%d").to_string()),
            page: format!("/topics/{slug}/sources/{}", s.n),
        }
    }
}

/// The URL when it may become a link: `http` or `https` only (never `javascript:`).
pub fn web_href(u: &str) -> Option<String> {
    let parsed = url::Url::parse(u).ok()?;
    matches!(parsed.scheme(), "http" | "https").then(|| parsed.to_string())
}

/// `&`, `<`, `>`, `"` and `'` as entities: for the Atom feed, written by hand.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters are not allowed in XML 1.0.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

fn html(t: &impl Template) -> Response {
    match t.render() {
        Ok(body) => Html(body).into_response(),
        Err(e) => {
            tracing::error!("template: {e}");
            ApiError::unavailable("this page cannot be shown now").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    head: Head,
    message: &'a str,
}

pub fn error_page(e: &ApiError) -> Html<String> {
    let page = ErrorPage {
        head: Head::new(e.status.to_string(), "/api/v1/topics"),
        message: &e.message,
    };
    Html(page.render().unwrap_or_else(|_| "error".into()))
}

pub struct TopicLine {
    pub slug: String,
    pub title: String,
    pub items: i64,
    pub latest: Option<VersionSummary>,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Dashboard {
    head: Head,
    topics: Vec<TopicLine>,
    health: Health,
}

/// Feed health at a glance: how many are in each state, the failing ones by name.
pub struct Health {
    pub ok: usize,
    pub failing: Vec<FeedRow>,
    pub held: usize,
    pub never: usize,
}

fn failing(f: &FeedRow) -> bool {
    f.error_class.is_some() || f.consecutive_failures > 0 || f.disabled.is_some()
}

/// The feeds, failing first (most consecutive failures first), then the others as listed.
fn failing_first(mut feeds: Vec<FeedRow>) -> Vec<FeedRow> {
    feeds.sort_by_key(|f| (!failing(f), -f.consecutive_failures));
    feeds
}

fn health(feeds: Vec<FeedRow>) -> Health {
    let now = Utc::now();
    let mut h = Health {
        ok: 0,
        failing: Vec::new(),
        held: 0,
        never: 0,
    };
    for f in failing_first(feeds) {
        if failing(&f) {
            h.failing.push(f);
        } else if f.held_until.is_some_and(|t| t > now) {
            h.held += 1;
        } else if f.last_fetch_at.is_none() {
            h.never += 1;
        } else {
            h.ok += 1;
        }
    }
    h
}

pub async fn dashboard(
    State(app): State<AppState>,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    Params::parse(q.as_deref(), &[])?;
    let topics = app
        .pool
        .call(|s| {
            let mut out = Vec::new();
            for t in s.topics()? {
                let latest = s.versions(&t.slug)?.pop();
                out.push(TopicLine {
                    slug: t.slug,
                    title: t.title,
                    items: t.items,
                    latest,
                });
            }
            Ok(out)
        })
        .await?;
    let health = health(app.feeds().await?);
    Ok(html(&Dashboard {
        head: Head::new("dossier", "/api/v1/topics"),
        topics,
        health,
    }))
}

#[derive(Template)]
#[template(path = "feeds.html")]
struct FeedsPage {
    head: Head,
    feeds: Vec<FeedRow>,
}

pub async fn feeds(
    State(app): State<AppState>,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    Params::parse(q.as_deref(), &[])?;
    let feeds = failing_first(app.feeds().await?);
    Ok(html(&FeedsPage {
        head: Head::new("Feeds", "/api/v1/feeds"),
        feeds,
    }))
}

/// One older version on a topic page, with what it added.
pub struct VersionLine {
    pub summary: VersionSummary,
    pub diff: Option<String>,
}

#[derive(Template)]
#[template(path = "topic.html")]
struct TopicPage {
    head: Head,
    slug: String,
    version: Option<Version>,
    lines: Vec<Line>,
    chart: Option<String>,
    versions: Vec<VersionLine>,
}

/// `/topics/{slug}`, and `/topics/{slug}.atom` (the router has no suffixes in captures).
pub async fn topic(
    State(app): State<AppState>,
    Path(slug): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    Params::parse(q.as_deref(), &[])?;
    if let Some(slug) = slug.strip_suffix(".atom") {
        return atom_feed(&app, slug, &headers).await;
    }
    let s = slug.clone();
    let (title, versions, latest) = app
        .pool
        .call(move |st| {
            let Some(t) = st.topics()?.into_iter().find(|t| t.slug == s) else {
                return Err(dossier_store::StoreError::UnknownTopic(s));
            };
            Ok((t.title, st.versions(&s)?, st.version(&s, None)?))
        })
        .await?;
    let lines = latest
        .iter()
        .flat_map(|v| v.sources.iter().map(|s| Line::of(&slug, s)))
        .collect();
    let chart = latest
        .as_ref()
        .and_then(|v| chart::per_day(v.sources.iter().filter_map(|s| s.published_at)));
    let versions = versions
        .into_iter()
        .rev()
        .map(|v| VersionLine {
            diff: (v.version > 1)
                .then(|| format!("/topics/{slug}/diff/{}..{}", v.version - 1, v.version)),
            summary: v,
        })
        .collect();
    Ok(html(&TopicPage {
        head: Head::new(title, format!("/api/v1/topics/{slug}/versions/latest")),
        slug,
        version: latest,
        lines,
        chart,
        versions,
    }))
}

async fn atom_feed(
    app: &crate::App,
    slug: &str,
    headers: &HeaderMap,
) -> Result<Response, PageError> {
    let s = slug.to_string();
    let title = app
        .pool
        .call(move |st| {
            st.topics()?
                .into_iter()
                .find(|t| t.slug == s)
                .map(|t| t.title)
                .ok_or(dossier_store::StoreError::UnknownTopic(s))
        })
        .await?;
    let versions = atom::versions_with_stories(app, slug).await?;
    // The guard let the request in, so its Host is one of this server's names.
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let body = atom::feed(slug, &title, &format!("http://{host}"), &versions);
    let mut res = body.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/atom+xml; charset=utf-8"),
    );
    Ok(res)
}

pub struct StoryBlock {
    pub date: String,
    pub title: String,
    pub lines: Vec<Line>,
}

#[derive(Template)]
#[template(path = "version.html")]
struct VersionPage {
    head: Head,
    slug: String,
    version: Version,
    stories: Vec<StoryBlock>,
    lines: Vec<Line>,
}

pub async fn version(
    State(app): State<AppState>,
    Path((slug, n)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    Params::parse(q.as_deref(), &[])?;
    let n = params::version_number(&n)?;
    let (version, found) = app.stories(&slug, n).await?;
    let line = |n: &i64| {
        version
            .sources
            .binary_search_by_key(n, |s| s.n)
            .ok()
            .map(|at| Line::of(&slug, &version.sources[at]))
    };
    let stories = found
        .stories
        .iter()
        .map(|st| StoryBlock {
            date: st
                .published_at
                .map_or_else(|| "undated".into(), |t| t.format("%Y-%m-%d").to_string()),
            title: dossier_store::cut_title(&st.title),
            lines: st.sources.iter().filter_map(line).collect(),
        })
        .collect();
    let lines = version.sources.iter().map(|s| Line::of(&slug, s)).collect();
    Ok(html(&VersionPage {
        head: Head::new(
            format!("{} — version {}", version.title, version.version),
            format!("/api/v1/topics/{slug}/versions/{}", version.version),
        ),
        slug,
        version,
        stories,
        lines,
    }))
}

#[derive(Template)]
#[template(path = "source.html")]
struct SourcePage {
    head: Head,
    slug: String,
    n: i64,
    copies: Vec<(i64, String, Line)>,
    joined: Vec<(String, String)>,
    duplicates: Vec<i64>,
    item: Option<dossier_store::ItemRow>,
    item_href: Option<String>,
    sightings: Vec<dossier_store::Sighting>,
}

pub async fn source(
    State(app): State<AppState>,
    Path((slug, n)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    Params::parse(q.as_deref(), &[])?;
    let n = params::number(&n, "source")?;
    let (record, live) = app.source(&slug, n).await?;
    let copies = record
        .copies
        .iter()
        .map(|c| {
            let when = c.created_at.format("%Y-%m-%d %H:%M UTC").to_string();
            (c.version, when, Line::of(&slug, &c.source))
        })
        .collect();
    let joined = record
        .joined
        .iter()
        .map(|j| {
            (
                j.kind().to_string(),
                j.detail().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let (item, sightings) = match live {
        Some((row, s)) => (Some(row), s),
        None => (None, Vec::new()),
    };
    Ok(html(&SourcePage {
        head: Head::new(
            format!("[{n}] of {slug}"),
            format!("/api/v1/topics/{slug}/sources/{n}"),
        ),
        item_href: item
            .as_ref()
            .and_then(|i| i.url.as_deref())
            .and_then(web_href),
        slug,
        n,
        copies,
        joined,
        duplicates: record.duplicates,
        item,
        sightings,
    }))
}

/// A changed field of a source: its name, what it was, what it is.
pub type FieldChange = (String, String, String);

#[derive(Template)]
#[template(path = "diff.html")]
struct DiffPage {
    head: Head,
    slug: String,
    a: i64,
    b: i64,
    added: Vec<Line>,
    dropped: Vec<Line>,
    changed: Vec<(i64, Vec<FieldChange>)>,
}

pub async fn diff(
    State(app): State<AppState>,
    Path((slug, range)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    Params::parse(q.as_deref(), &[])?;
    let (a, b) = diff::parse_range(&range)?;
    let (va, vb) = (app.version(&slug, a).await?, app.version(&slug, b).await?);
    let d = diff::diff(&va, &vb);
    let pick = |v: &Version, ns: &[i64]| -> Vec<Line> {
        v.sources
            .iter()
            .filter(|s| ns.contains(&s.n))
            .map(|s| Line::of(&slug, s))
            .collect()
    };
    let show = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "—".into(),
        other => other.to_string(),
    };
    let changed = d
        .changed
        .iter()
        .map(|c| {
            let fields = c
                .fields
                .iter()
                .map(|(k, [was, is])| (k.to_string(), show(was), show(is)))
                .collect();
            (c.n, fields)
        })
        .collect();
    Ok(html(&DiffPage {
        head: Head::new(
            format!("{} — {}..{}", vb.title, va.version, vb.version),
            format!("/api/v1/topics/{slug}/diff/{}..{}", va.version, vb.version),
        ),
        added: pick(&vb, &d.added),
        dropped: pick(&va, &d.dropped),
        slug,
        a: va.version,
        b: vb.version,
        changed,
    }))
}

pub struct ItemLine {
    pub id: i64,
    pub href: Option<String>,
    pub title: String,
    pub label: String,
    pub date: String,
}

#[derive(Template)]
#[template(path = "items.html")]
struct ItemsPage {
    head: Head,
    q: String,
    items: Vec<ItemLine>,
    next: Option<String>,
}

pub async fn items(
    State(app): State<AppState>,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    let params = Params::parse(q.as_deref(), &["q", "topic", "cursor"])?;
    let page = app.items_page(&params).await?;
    let text = params.get("q").unwrap_or("").to_string();
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for k in ["q", "topic"] {
        if let Some(v) = params.get(k) {
            query.append_pair(k, v);
        }
    }
    let base = query.finish();
    let next = page.next_cursor.as_ref().map(|c| {
        let mut more = url::form_urlencoded::Serializer::new(base.clone());
        more.append_pair("cursor", c);
        format!("/items?{}", more.finish())
    });
    let items = page
        .items
        .iter()
        .map(|i| ItemLine {
            id: i.id,
            href: i.url.as_deref().and_then(web_href),
            title: dossier_store::cut_title(&i.title),
            label: i.label.clone(),
            date: i.day().unwrap_or_else(|| "undated".into()),
        })
        .collect();
    Ok(html(&ItemsPage {
        head: Head::new("Items", format!("/api/v1/items?{base}")),
        q: text,
        items,
        next,
    }))
}

pub async fn stylesheet(Path(file): Path<String>) -> Response {
    if format!("/static/{file}") != *CSS_PATH {
        return PageError(ApiError::not_found(format!("no file `{file}`"))).into_response();
    }
    let mut res = CSS.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    res
}

/// Browsers ask for `/favicon.ico` whatever a page's `<link rel="icon">` says (the pages
/// name an empty icon): an empty answer, cached for a day, instead of a 404 in the log.
pub async fn favicon() -> Response {
    (
        StatusCode::NO_CONTENT,
        [(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=86400"),
        )],
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_urls_become_links() {
        assert_eq!(
            web_href("https://x.example/a?b=1").as_deref(),
            Some("https://x.example/a?b=1")
        );
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "data:text/html,x",
            "/relative",
            "vbscript:x",
        ] {
            assert_eq!(web_href(bad), None, "{bad}");
        }
        assert_eq!(
            xml_escape("<a href=\"x\">&'</a>\u{1}"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;"
        );
    }
}
