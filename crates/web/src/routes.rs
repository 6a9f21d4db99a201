//! Every route, in one table: the router is built from it, and an API description can be
//! checked against [`ROUTES`]. Captures with a suffix (`{n}.txt`, `{slug}.atom`) and
//! ranges (`{a}..{b}`) share a capture with their plain form and are told apart by the
//! handler, since the router matches whole segments only.

use crate::guard::{Guard, guard};
use crate::{AppState, api, pages};
use axum::Router;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use std::sync::Arc;
use std::time::Duration;

/// The paths as the router sees them, with the forms each also answers.
pub const ROUTES: &[(&str, &str)] = &[
    ("/api/v1/openapi.json", "this API, described in OpenAPI 3.1"),
    ("/api/v1/items", "items, filtered and paged"),
    ("/api/v1/items/{id}", "one item with its sightings"),
    ("/api/v1/feeds", "the feeds with their health"),
    ("/api/v1/topics", "the topics"),
    ("/api/v1/topics/{slug}/versions", "a topic's versions"),
    (
        "/api/v1/topics/{slug}/versions/{n}",
        "a version; {n}.txt: its text",
    ),
    (
        "/api/v1/topics/{slug}/versions/{n}/stories",
        "a version's stories",
    ),
    (
        "/api/v1/topics/{slug}/versions/{n}/cite",
        "citations of chosen sources",
    ),
    (
        "/api/v1/topics/{slug}/versions/{n}/check",
        "the citation check of a draft",
    ),
    (
        "/api/v1/topics/{slug}/diff/{range}",
        "{a}..{b}: what changed between two versions",
    ),
    (
        "/api/v1/topics/{slug}/sources/{n}",
        "one source number's record",
    ),
    ("/", "dashboard"),
    ("/feeds", "feeds page"),
    ("/items", "search page"),
    (
        "/topics/{slug}",
        "topic page; {slug}.atom: its versions as Atom",
    ),
    ("/topics/{slug}/versions/{n}", "version page"),
    ("/topics/{slug}/sources/{n}", "source page"),
    ("/topics/{slug}/diff/{range}", "diff page"),
    ("/static/{file}", "the stylesheet"),
    ("/favicon.ico", "no icon (browsers ask for one unbidden)"),
];

fn handler(path: &str) -> MethodRouter<AppState> {
    match path {
        "/api/v1/openapi.json" => get(crate::openapi::document),
        "/api/v1/items" => get(api::items),
        "/api/v1/items/{id}" => get(api::item),
        "/api/v1/feeds" => get(api::feeds),
        "/api/v1/topics" => get(api::topics),
        "/api/v1/topics/{slug}/versions" => get(api::versions),
        "/api/v1/topics/{slug}/versions/{n}" => get(api::version),
        "/api/v1/topics/{slug}/versions/{n}/stories" => get(api::stories),
        "/api/v1/topics/{slug}/versions/{n}/cite" => get(api::cite),
        "/api/v1/topics/{slug}/versions/{n}/check" => get(api::check),
        "/api/v1/topics/{slug}/diff/{range}" => get(api::diff),
        "/api/v1/topics/{slug}/sources/{n}" => get(api::source),
        "/" => get(pages::dashboard),
        "/feeds" => get(pages::feeds),
        "/items" => get(pages::items),
        "/topics/{slug}" => get(pages::topic),
        "/topics/{slug}/versions/{n}" => get(pages::version),
        "/topics/{slug}/sources/{n}" => get(pages::source),
        "/topics/{slug}/diff/{range}" => get(pages::diff),
        "/static/{file}" => get(pages::stylesheet),
        "/favicon.ico" => get(pages::favicon),
        other => unreachable!("route {other} has no handler"),
    }
}

/// The whole server: routes, guard, and the backstops (a panicking handler and a request
/// past `limit` answer 503, never 500 or a dropped connection).
pub fn router(app: AppState, g: Guard, limit: Duration) -> Router {
    let mut r = Router::new();
    for (path, _) in ROUTES {
        r = r.route(path, handler(path));
    }
    r.fallback(not_found)
        .with_state(app)
        .layer(axum::middleware::from_fn_with_state(Arc::new(g), guard))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            |_: Box<dyn std::any::Any + Send>| {
                tracing::error!("a request handler panicked");
                crate::error::ApiError::unavailable("this request cannot be answered now")
                    .into_response()
            },
        ))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            limit,
        ))
}

async fn not_found(uri: Uri) -> Response {
    let e = crate::error::ApiError::not_found(format!("nothing at {}", uri.path()));
    if uri.path().starts_with("/api/") {
        e.into_response()
    } else {
        crate::error::PageError(e).into_response()
    }
}
