//! `/api/v1/openapi.json`: the API described in OpenAPI 3.1, the file `openapi.json` at
//! the crate's root, compiled in. The integration tests keep it true: every path it
//! documents is requested with real parameters and each answer validated against its
//! schema, and its paths are the router's.

use crate::error::ApiError;
use crate::params::Params;
use axum::extract::RawQuery;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// The document, as served.
pub const DOCUMENT: &str = include_str!("../openapi.json");

pub async fn document(RawQuery(q): RawQuery) -> Result<Response, ApiError> {
    Params::parse(q.as_deref(), &[])?;
    let mut res = DOCUMENT.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(res)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_document_is_json_and_openapi_3_1() {
        let doc: serde_json::Value = serde_json::from_str(super::DOCUMENT).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        assert!(doc["paths"]["/api/v1/openapi.json"].is_object());
    }
}
