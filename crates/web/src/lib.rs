//! `dossier serve`: a read-only HTTP server over the store, for writers on other
//! machines (a JSON API), for people (pages) and for feed readers (Atom).
//!
//! Built on axum, over the hyper, tower and tokio that the fetcher already brings, with
//! askama templates (checked when the crate compiles, escaped for HTML by default). The
//! server never writes: every store call goes through a small pool of read-only stores
//! ([`pool`]), so many readers share the store while a `run` writes. What a request must
//! pass (Host, token, method) is in [`guard`]; the routes, in one table, in [`routes`].

pub mod api;
pub mod atom;
pub mod chart;
pub mod cite;
pub mod diff;
pub mod error;
pub mod guard;
pub mod openapi;
pub mod pages;
pub mod params;
pub mod pool;
pub mod routes;

use crate::error::ApiError;
use crate::params::{Params, encode_cursor};
use crate::pool::StorePool;
use dossier_model::FeedSpec;
use dossier_normalize::stories::group;
use dossier_store::{
    ItemQuery, ItemRow, ReadStore, Sighting, SourceRecord, StoreError, Version, VersionStories,
};
use serde::Serialize;
use std::sync::Arc;

pub use crate::guard::Guard;
pub use crate::routes::{ROUTES, router};

/// The parameters of the items listing.
pub const ITEM_PARAMS: &[&str] = &["topic", "feed", "since", "until", "q", "limit", "cursor"];
/// Items per page unless `limit` says otherwise, and the most `limit` may ask for.
pub const DEFAULT_LIMIT: u64 = 100;
pub const MAX_LIMIT: u64 = 1000;

/// What every handler shares.
pub struct App {
    pub pool: Arc<StorePool>,
    /// The config's feeds, whose names, labels and search origins `feeds` shows.
    pub feeds: Vec<FeedSpec>,
}

pub type AppState = Arc<App>;

/// One page of the items listing.
#[derive(Debug, Serialize)]
pub struct ItemsPage {
    pub items: Vec<ItemRow>,
    /// Hands the next page to `cursor`; `None` on the last page.
    pub next_cursor: Option<String>,
}

impl App {
    /// A page of items, newest first, after the cursor when there is one. One row more
    /// than asked is read, to know whether there is a next page.
    pub async fn items_page(&self, p: &Params) -> Result<ItemsPage, ApiError> {
        let limit = p.limit(DEFAULT_LIMIT, MAX_LIMIT)?;
        let q = ItemQuery {
            topic: p.get("topic").map(str::to_string),
            feed: p.get("feed").map(str::to_string),
            since: p.date("since", false)?,
            until: p.date("until", true)?,
            search: p.get("q").map(str::to_string),
            limit: Some(limit + 1),
            after: p.cursor()?,
        };
        let mut items = self
            .pool
            .call(move |s| {
                let items = s.items(&q)?;
                // Only an empty listing may be of a topic or feed that is not there: the
                // cheap checks run then, and a listing costs only its query otherwise.
                if items.is_empty() && q.after.is_none() {
                    if let Some(t) = &q.topic {
                        s.versions(t)?;
                    }
                    if let Some(f) = &q.feed
                        && !s.feeds()?.iter().any(|r| &r.name == f || &r.label == f)
                    {
                        return Err(StoreError::UnknownFeed(f.clone()));
                    }
                }
                Ok(items)
            })
            .await?;
        let next_cursor = if items.len() as u64 > limit {
            items.truncate(limit as usize);
            items.last().map(|last| encode_cursor(&last.cursor()))
        } else {
            None
        };
        Ok(ItemsPage { items, next_cursor })
    }

    /// Version `n` of a topic (the latest for `None`): 404 when the topic or the version
    /// is not there.
    pub async fn version(&self, slug: &str, n: Option<i64>) -> Result<Version, ApiError> {
        let s = slug.to_string();
        self.pool
            .call(move |st| st.version(&s, n))
            .await?
            .ok_or_else(|| ApiError::no_version(slug, n))
    }

    /// A version and its stories, read by the version's number so that both agree.
    pub async fn stories(
        &self,
        slug: &str,
        n: Option<i64>,
    ) -> Result<(Version, VersionStories), ApiError> {
        let s = slug.to_string();
        self.pool
            .call(move |st| {
                let Some(v) = st.version(&s, n)? else {
                    return Ok(None);
                };
                Ok(st
                    .stories(&s, Some(v.version), group)?
                    .map(|found| (v, found)))
            })
            .await?
            .ok_or_else(|| ApiError::no_version(slug, n))
    }

    /// What the store knows of source `n` of a topic, with its item as it is now.
    pub async fn source(
        &self,
        slug: &str,
        n: i64,
    ) -> Result<(SourceRecord, Option<(ItemRow, Vec<Sighting>)>), ApiError> {
        let s = slug.to_string();
        self.pool
            .call(move |st| {
                let Some(record) = st.source(&s, n)? else {
                    return Ok(None);
                };
                let live = st.item(record.item_id)?;
                Ok(Some((record, live)))
            })
            .await?
            .ok_or_else(|| ApiError::not_found(format!("topic `{slug}` has no source {n}")))
    }
}

/// How the server is set up: what [`serve`] needs besides the listener.
pub struct Options {
    /// Where the store is; every store of the pool is opened there, read-only.
    pub at: dossier_store::Location,
    /// The config's feeds (for `feeds`).
    pub feeds: Vec<FeedSpec>,
    pub guard: Guard,
    /// Stores in the pool: store calls in flight at once.
    pub pool_size: usize,
    /// The longest a store call may take (waiting for a free store included).
    pub query_limit: std::time::Duration,
    /// The longest a whole request may take.
    pub request_limit: std::time::Duration,
}

/// Serves on `listener` until `shutdown` resolves, then finishes the requests in flight.
/// `first` is a store already opened at `opts.at` (so that a bad location is found
/// before the server starts).
pub async fn serve(
    listener: tokio::net::TcpListener,
    first: dossier_store::AnyStore,
    opts: Options,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let pool = StorePool::new(opts.at, first, opts.pool_size, opts.query_limit);
    let app = Arc::new(App {
        pool,
        feeds: opts.feeds,
    });
    let router = routes::router(app, opts.guard, opts.request_limit);
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}
