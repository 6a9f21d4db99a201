//! What every request passes before a route sees it, in this order: the `Host` header
//! (403 unless it names this server: DNS rebinding), CORS preflight for listed origins
//! on `/api/` only, the bearer token (401), the method (GET and HEAD only, else 405);
//! and what every answer carries: the security headers, and CORS headers for a listed
//! origin.

use crate::error::ApiError;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::sync::Arc;

pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
    form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Who may ask: the names the `Host` header may carry, the token, the CORS origins.
#[derive(Debug, Clone, Default)]
pub struct Guard {
    /// Host names (without port), lowercase; IPv6 addresses in brackets.
    pub hosts: Vec<String>,
    /// SHA-256 of the token, when one is required.
    pub token: Option<[u8; 32]>,
    /// Origins (`scheme://host[:port]`) allowed to read `/api/` from a browser.
    pub cors_origins: Vec<String>,
}

impl Guard {
    pub fn digest(token: &str) -> [u8; 32] {
        Sha256::digest(token.as_bytes()).into()
    }

    fn host_allowed(&self, headers: &HeaderMap) -> bool {
        let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
            return false;
        };
        let name = strip_port(host).to_ascii_lowercase();
        self.hosts.contains(&name)
    }

    /// Whether the request carries the token (always, when none is required). The
    /// digests are compared in constant time, so timing tells nothing of the token.
    fn authorized(&self, headers: &HeaderMap) -> bool {
        let Some(want) = &self.token else {
            return true;
        };
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(|t| Guard::digest(t.trim()));
        let Some(given) = given else {
            return false;
        };
        given
            .iter()
            .zip(want)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }

    fn cors_origin(&self, path: &str, headers: &HeaderMap) -> Option<HeaderValue> {
        if !path.starts_with("/api/") {
            return None;
        }
        let origin = headers.get(header::ORIGIN)?;
        let text = origin.to_str().ok()?;
        self.cors_origins
            .iter()
            .any(|o| o == text)
            .then(|| origin.clone())
    }
}

/// `host:port`, `[v6]:port`, `host` → the host part.
fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.find(']').map_or(host, |end| &host[..=end]);
    }
    host.rsplit_once(':').map_or(host, |(h, _)| h)
}

pub async fn guard(State(g): State<Arc<Guard>>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let cors = g.cors_origin(&path, req.headers());
    let mut res = if !g.host_allowed(req.headers()) {
        refuse(
            &path,
            StatusCode::FORBIDDEN,
            "this server does not answer for that Host",
        )
    } else if cors.is_some() && req.method() == Method::OPTIONS {
        preflight()
    } else if !g.authorized(req.headers()) {
        let mut res = refuse(
            &path,
            StatusCode::UNAUTHORIZED,
            "this server needs `Authorization: Bearer <token>`",
        );
        res.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"dossier\""),
        );
        res
    } else if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut res = refuse(
            &path,
            StatusCode::METHOD_NOT_ALLOWED,
            "this server is read-only: GET and HEAD only",
        );
        res.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        res
    } else {
        next.run(req).await
    };
    let h = res.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    if let Some(origin) = cors {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        h.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("etag, dossier-unknown-numbers"),
        );
    }
    if !g.cors_origins.is_empty() && path.starts_with("/api/") {
        h.append(header::VARY, HeaderValue::from_static("origin"));
    }
    res
}

fn preflight() -> Response {
    let headers: [(HeaderName, &str); 3] = [
        (header::ACCESS_CONTROL_ALLOW_METHODS, "GET, HEAD"),
        (
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            "authorization, if-none-match",
        ),
        (header::ACCESS_CONTROL_MAX_AGE, "600"),
    ];
    let mut res = StatusCode::NO_CONTENT.into_response();
    for (name, value) in headers {
        res.headers_mut()
            .insert(name, HeaderValue::from_static(value));
    }
    res
}

fn refuse(path: &str, status: StatusCode, message: &str) -> Response {
    let e = ApiError {
        status,
        message: message.to_string(),
    };
    if path.starts_with("/api/") {
        e.into_response()
    } else {
        crate::error::PageError(e).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_not_part_of_the_name() {
        assert_eq!(strip_port("localhost:8080"), "localhost");
        assert_eq!(strip_port("127.0.0.1"), "127.0.0.1");
        assert_eq!(strip_port("[::1]:8080"), "[::1]");
        assert_eq!(strip_port("[::1]"), "[::1]");
    }

    #[test]
    fn the_token_must_match_exactly() {
        let g = Guard {
            token: Some(Guard::digest("s3cret")),
            ..Guard::default()
        };
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::AUTHORIZATION, v.parse().unwrap());
            g.authorized(&h)
        };
        assert!(with("Bearer s3cret"));
        assert!(!with("Bearer s3cre"));
        assert!(!with("Bearer s3cret2"));
        assert!(!with("Basic s3cret"));
        assert!(!g.authorized(&HeaderMap::new()));
    }
}
