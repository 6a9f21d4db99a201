//! The JSON API under `/api/v1`: the contract's shapes, from the store's own serde types
//! (the ones `items --json`, `feeds --json` and `version … --json` print), so that an
//! object the API answers is byte for byte the line the command line prints.

use crate::cite::{self, Format};
use crate::error::ApiError;
use crate::params::{self, Params};
use crate::{App, AppState, diff};
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use dossier_model::DateSource;
use dossier_store::{
    FeedRow, ItemRow, ReadStore, Sighting, SourceRecord, TopicRow, VersionSummary,
};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// One item with every sighting of it: the `items --json` object, its `sightings` count
/// replaced by the list. Field for field [`ItemRow`]'s, in its order (a test holds them
/// together).
#[derive(Debug, Serialize)]
pub struct ItemDetail<'a> {
    id: i64,
    guid: &'a Option<String>,
    url: &'a Option<String>,
    original_url: &'a Option<String>,
    title: &'a str,
    summary: &'a Option<String>,
    author: &'a Option<String>,
    #[serde(serialize_with = "dossier_model::ser::opt_time")]
    published_at: Option<DateTime<Utc>>,
    date_source: DateSource,
    #[serde(serialize_with = "dossier_model::ser::time")]
    first_seen_at: DateTime<Utc>,
    feed: &'a str,
    label: &'a str,
    topics: &'a [String],
    duplicate_of: Option<i64>,
    sightings: &'a [Sighting],
    date_evidence: &'a Option<String>,
}

impl<'a> ItemDetail<'a> {
    pub fn new(i: &'a ItemRow, sightings: &'a [Sighting]) -> ItemDetail<'a> {
        ItemDetail {
            id: i.id,
            guid: &i.guid,
            url: &i.url,
            original_url: &i.original_url,
            title: &i.title,
            summary: &i.summary,
            author: &i.author,
            published_at: i.published_at,
            date_source: i.date_source,
            first_seen_at: i.first_seen_at,
            feed: &i.feed,
            label: &i.label,
            topics: &i.topics,
            duplicate_of: i.duplicate_of,
            sightings,
            date_evidence: &i.date_evidence,
        }
    }
}

fn no_params(q: &Option<String>) -> Result<(), ApiError> {
    Params::parse(q.as_deref(), &[]).map(|_| ())
}

pub async fn items(
    State(app): State<AppState>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let params = Params::parse(q.as_deref(), crate::ITEM_PARAMS)?;
    Ok(Json(app.items_page(&params).await?).into_response())
}

pub async fn item(
    State(app): State<AppState>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    no_params(&q)?;
    let id = params::number(&id, "item")?;
    let (row, sightings) = app
        .pool
        .call(move |s| s.item(id))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no item {id}")))?;
    Ok(Json(ItemDetail::new(&row, &sightings)).into_response())
}

#[derive(Serialize)]
struct Feeds {
    feeds: Vec<FeedRow>,
}

pub async fn feeds(
    State(app): State<AppState>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    no_params(&q)?;
    Ok(Json(Feeds {
        feeds: app.feeds().await?,
    })
    .into_response())
}

#[derive(Serialize)]
struct Topics {
    topics: Vec<TopicRow>,
}

pub async fn topics(
    State(app): State<AppState>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    no_params(&q)?;
    let topics = app.pool.call(|s| s.topics()).await?;
    Ok(Json(Topics { topics }).into_response())
}

#[derive(Serialize)]
struct Versions {
    versions: Vec<VersionSummary>,
}

pub async fn versions(
    State(app): State<AppState>,
    Path(slug): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    no_params(&q)?;
    let versions = app.pool.call(move |s| s.versions(&slug)).await?;
    Ok(Json(Versions { versions }).into_response())
}

/// `…/versions/{n}` and `…/versions/{n}.txt`: the router has no suffixes in captures,
/// so one route takes both.
pub async fn version(
    State(app): State<AppState>,
    Path((slug, n)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    no_params(&q)?;
    let (n, text) = match n.strip_suffix(".txt") {
        Some(n) => (n, true),
        None => (n.as_str(), false),
    };
    let n = params::version_number(n)?;
    let v = app.version(&slug, n).await?;
    let (body, kind) = if text {
        (v.render().into_bytes(), "text/plain; charset=utf-8")
    } else {
        (json_bytes(&v), "application/json")
    };
    Ok(frozen(body, kind, n.is_some(), &headers))
}

pub async fn stories(
    State(app): State<AppState>,
    Path((slug, n)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    no_params(&q)?;
    let n = params::version_number(&n)?;
    let (_, stories) = app.stories(&slug, n).await?;
    Ok(frozen(
        json_bytes(&stories),
        "application/json",
        n.is_some(),
        &headers,
    ))
}

pub async fn diff(
    State(app): State<AppState>,
    Path((slug, range)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    no_params(&q)?;
    let (a, b) = diff::parse_range(&range)?;
    let (va, vb) = (app.version(&slug, a).await?, app.version(&slug, b).await?);
    Ok(Json(diff::diff(&va, &vb)).into_response())
}

/// `/api/v1/topics/{slug}/sources/{n}`: the store's record of the number, with the
/// item it names as it is now (and its sightings).
#[derive(Serialize)]
struct SourceAnswer<'a> {
    topic: &'a str,
    #[serde(flatten)]
    record: &'a SourceRecord,
    item: Option<ItemDetail<'a>>,
}

pub async fn source(
    State(app): State<AppState>,
    Path((slug, n)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    no_params(&q)?;
    let n = params::number(&n, "source")?;
    let (record, live) = app.source(&slug, n).await?;
    let item = live.as_ref().map(|(row, s)| ItemDetail::new(row, s));
    Ok(Json(SourceAnswer {
        topic: &slug,
        record: &record,
        item,
    })
    .into_response())
}

pub async fn cite(
    State(app): State<AppState>,
    Path((slug, n)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let params = Params::parse(q.as_deref(), &["numbers", "format"])?;
    let format = Format::parse(params.get("format"))?;
    let numbers = cite::parse_numbers(params.required("numbers")?)?;
    let n = params::version_number(&n)?;
    let v = app.version(&slug, n).await?;
    Ok(cite::answer(&v, &numbers, format))
}

pub async fn check(
    State(app): State<AppState>,
    Path((slug, n)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let params = Params::parse(q.as_deref(), &["text"])?;
    let text = params.required("text")?;
    let n = params::version_number(&n)?;
    let v = app.version(&slug, n).await?;
    Ok(Json(cite::check(&v, text)).into_response())
}

pub fn json_bytes<T: Serialize>(v: &T) -> Vec<u8> {
    // Serializing the store's own types to memory cannot fail.
    serde_json::to_vec(v).unwrap_or_default()
}

/// A numbered version's answer never changes: a strong ETag (its body's digest), a year's
/// caching, and 304 to a matching `If-None-Match`. `latest` moves, so it is revalidated.
pub fn frozen(body: Vec<u8>, kind: &'static str, numbered: bool, req: &HeaderMap) -> Response {
    let mut headers = vec![(header::CONTENT_TYPE, HeaderValue::from_static(kind))];
    if !numbered {
        headers.push((header::CACHE_CONTROL, HeaderValue::from_static("no-cache")));
        return with_headers(body.into_response(), headers);
    }
    let digest = Sha256::digest(&body);
    let tag = format!("\"{}\"", hex(&digest[..16]));
    headers.push((
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    ));
    if let Ok(v) = HeaderValue::from_str(&tag) {
        headers.push((header::ETAG, v));
    }
    let matches = req
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim() == tag || t.trim() == "*");
    let res = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        body.into_response()
    };
    with_headers(res, headers)
}

fn with_headers(mut res: Response, headers: Vec<(header::HeaderName, HeaderValue)>) -> Response {
    for (k, v) in headers {
        res.headers_mut().insert(k, v);
    }
    res
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl App {
    /// The feeds as `feeds --json` shows them: the config's, with the store's health.
    pub async fn feeds(&self) -> Result<Vec<FeedRow>, ApiError> {
        let stored = self.pool.call(|s| s.feeds()).await?;
        Ok(dossier_store::view::configured_feeds(stored, &self.feeds))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The detail object has the listing's keys, in its order.
    #[test]
    fn an_items_detail_has_the_listings_keys() {
        let row = ItemRow {
            id: 1,
            guid: None,
            url: None,
            original_url: None,
            title: "t".into(),
            summary: None,
            author: None,
            published_at: None,
            date_source: DateSource::FirstSeen,
            first_seen_at: Utc::now(),
            feed: "f".into(),
            label: "f".into(),
            topics: vec![],
            duplicate_of: None,
            sightings: 0,
            date_evidence: None,
            sort_at: Utc::now(),
        };
        let keys = |s: String| -> Vec<String> {
            s.trim_matches(|c| c == '{' || c == '}')
                .split(',')
                .filter_map(|kv| kv.split_once(':').map(|(k, _)| k.to_string()))
                .collect()
        };
        let listed = keys(serde_json::to_string(&row).unwrap());
        let detail = keys(serde_json::to_string(&ItemDetail::new(&row, &[])).unwrap());
        assert_eq!(listed, detail);
    }
}
