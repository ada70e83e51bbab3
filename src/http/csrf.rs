//! Cross-site request forgery defence for every state-changing request: an `Origin` /
//! `Sec-Fetch-Site` check, and a per-session token that every form sends back (checked in
//! constant time). Before sign-in, the sign-in form's token is a double-submit cookie.
//! The check sits in front of every route, so no handler can forget it.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use super::error::{AppError, ErrorPage};
use super::extract::{CurrentUser, cookie};
use super::form::FormData;

/// Cookie holding the token of forms shown before sign-in.
pub const PRE_SESSION_COOKIE: &str = "px_csrf";
/// Name of the hidden form field.
pub const FIELD: &str = "_csrf";

pub async fn guard(req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    // Pages only ever GET and POST; any other method changes nothing anywhere.
    if req.method() != Method::POST {
        return ErrorPage::for_status(StatusCode::METHOD_NOT_ALLOWED)
            .into_response_with(StatusCode::METHOD_NOT_ALLOWED);
    }
    if !same_origin(&req) {
        tracing::warn!(path = %req.uri().path(), "cross-origin request refused");
        return AppError::Csrf.into_response();
    }
    let expected = match req.extensions().get::<CurrentUser>() {
        Some(user) => Some(user.csrf_token.clone()),
        None => cookie(req.headers(), PRE_SESSION_COOKIE).map(str::to_string),
    };
    // Without a session or a sign-in form's cookie nothing can match: refuse before reading
    // a body that may be large.
    if expected.is_none() {
        tracing::warn!(path = %req.uri().path(), "POST without a session or form cookie");
        return AppError::Csrf.into_response();
    }
    let (parts, body) = req.into_parts();
    // The route's body limit already wraps the body.
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(_) => {
            return ErrorPage::for_status(StatusCode::PAYLOAD_TOO_LARGE)
                .into_response_with(StatusCode::PAYLOAD_TOO_LARGE);
        }
    };
    // A file upload form carries its token as a part of its multipart body.
    let from_multipart = match super::form::multipart(
        parts.headers.get(header::CONTENT_TYPE),
        bytes.clone(),
    )
    .await
    {
        Some(Ok(fields)) => fields
            .into_iter()
            .find(|p| p.name == FIELD && p.file_name.is_none())
            .and_then(|p| String::from_utf8(p.data.to_vec()).ok()),
        _ => None,
    };
    let provided = parts
        .headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or(from_multipart)
        .or_else(|| {
            // Read as a form whatever the declared type: the token, not the content type,
            // is the guarantee, and a mislabelled form then gets its page back (the handler
            // reads it as empty) instead of a refusal.
            FormData::parse_query_bytes(&bytes)
                .first_utf8(FIELD)
                .map(str::to_string)
        });
    let ok = match (expected, provided) {
        (Some(e), Some(p)) if !e.is_empty() => e.as_bytes().ct_eq(p.as_bytes()).into(),
        _ => false,
    };
    if !ok {
        tracing::warn!(path = %parts.uri.path(), "missing or wrong CSRF token");
        return AppError::Csrf.into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// False when the browser says the request comes from another site.
fn same_origin(req: &Request) -> bool {
    let headers = req.headers();
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && !matches!(site, "same-origin" | "none")
    {
        return false;
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let origin_host = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    origin_host.is_some_and(|h| h.eq_ignore_ascii_case(host))
}
