//! What a request that cannot be answered gets: a status and a message naming what was
//! wrong (the parameter, the topic, the version, the item), as `{"error": "…"}` under
//! `/api/` and as a small page elsewhere.
//!
//! No request may make the server answer 500: a store that fails, or that is too slow,
//! answers 503 (logged with the cause, which the client is not shown: it may name paths
//! or SQL), and a handler that panics is caught by the pool or the catch-all layer.

use crate::pool::PoolError;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use dossier_store::StoreError;

#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::NOT_FOUND,
            message: message.into(),
        }
    }

    pub fn unavailable(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            message: message.into(),
        }
    }

    pub fn no_topic(slug: &str) -> ApiError {
        ApiError::not_found(format!("unknown topic `{slug}`"))
    }

    pub fn no_version(slug: &str, n: Option<i64>) -> ApiError {
        ApiError::not_found(match n {
            Some(n) => format!("topic `{slug}` has no version {n}"),
            None => format!("topic `{slug}` has no version yet"),
        })
    }
}

impl From<PoolError> for ApiError {
    fn from(e: PoolError) -> ApiError {
        match e {
            PoolError::Store(StoreError::UnknownTopic(slug)) => ApiError::no_topic(&slug),
            PoolError::Store(StoreError::UnknownFeed(name)) => {
                ApiError::not_found(format!("unknown feed `{name}`"))
            }
            PoolError::Store(e) => {
                tracing::error!("store: {e}");
                ApiError::unavailable("the store cannot answer now; try again later")
            }
            PoolError::Timeout => {
                tracing::warn!("a store call ran past the time limit");
                ApiError::unavailable("the store did not answer in time; try again later")
            }
            PoolError::Panicked => {
                tracing::error!("a store call panicked");
                ApiError::unavailable("the store cannot answer now; try again later")
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.message });
        (self.status, Json(body)).into_response()
    }
}

/// An [`ApiError`] answered as a page, for people.
#[derive(Debug)]
pub struct PageError(pub ApiError);

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> PageError {
        PageError(e)
    }
}

impl From<PoolError> for PageError {
    fn from(e: PoolError) -> PageError {
        PageError(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let page = crate::pages::error_page(&self.0);
        (self.0.status, page).into_response()
    }
}
