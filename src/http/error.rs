//! One error type for every handler, answered with a Chinese error page. Details of server
//! errors go to the log, never to the page; a database outage is a 503, not a hang.

use askama::Template;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::urls;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    /// A request no page of ours would send (a tampered hidden field).
    #[error("bad request")]
    BadRequest,
    #[error("forbidden")]
    Forbidden,
    #[error("csrf check failed")]
    Csrf,
    #[error("not signed in")]
    Unauthenticated { next: Option<String> },
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("internal: {0:#}")]
    Internal(#[from] anyhow::Error),
    /// A rule of the office refused the change: the message goes beside `field` (forms
    /// that save through `admin::save_in_tx` show it there; elsewhere it is a 409).
    #[error("refused: {message}")]
    Refused {
        field: &'static str,
        message: &'static str,
    },
}

pub type AppResult<T> = Result<T, AppError>;

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub status: u16,
    pub title: &'static str,
    pub message: &'static str,
    pub home: &'static str,
}

impl ErrorPage {
    pub fn for_status(status: StatusCode) -> ErrorPage {
        let (title, message) = match status.as_u16() {
            400 => ("请求无效", "提交的内容无法识别，请返回上一页重新操作。"),
            403 => (
                "无权访问",
                "您没有执行此操作的权限。如需办理，请联系系统管理员。",
            ),
            404 => (
                "页面不存在",
                "您访问的页面不存在或已被停用，请检查地址是否正确。",
            ),
            405 => ("操作不被支持", "此页面不支持该操作，请从页面上的按钮进入。"),
            408 => ("请求超时", "服务器处理时间过长，请稍后重试。"),
            413 => ("提交内容过大", "提交的内容超过了允许的大小，请精简后重试。"),
            415 | 422 => (
                "内容格式不正确",
                "提交的内容格式不正确，请返回上一页重新填写。",
            ),
            429 => ("操作过于频繁", "操作过于频繁，请稍后再试。"),
            503 => (
                "系统暂时无法使用",
                "数据库暂时无法连接，请稍后刷新页面重试。您提交的内容未被保存。",
            ),
            _ if status.is_server_error() => (
                "系统出错",
                "服务器内部出现错误，已记录日志。请稍后重试或联系系统管理员。",
            ),
            _ => ("请求未能完成", "请求未能完成，请返回上一页重新操作。"),
        };
        ErrorPage {
            status: status.as_u16(),
            title,
            message,
            home: urls::HOME,
        }
    }

    pub fn csrf() -> ErrorPage {
        ErrorPage {
            status: 403,
            title: "页面已过期",
            message: "为保障安全，此次提交未被接受：页面可能已过期，或来自其他网站。请返回、刷新页面后重新提交。",
            home: urls::HOME,
        }
    }

    pub fn into_response_with(self, status: StatusCode) -> Response {
        match self.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(e) => {
                tracing::error!(error = %e, "error page failed to render");
                (status, "error").into_response()
            }
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match self {
            AppError::NotFound => ErrorPage::for_status(StatusCode::NOT_FOUND)
                .into_response_with(StatusCode::NOT_FOUND),
            AppError::BadRequest => ErrorPage::for_status(StatusCode::BAD_REQUEST)
                .into_response_with(StatusCode::BAD_REQUEST),
            AppError::Forbidden => ErrorPage::for_status(StatusCode::FORBIDDEN)
                .into_response_with(StatusCode::FORBIDDEN),
            AppError::Csrf => ErrorPage::csrf().into_response_with(StatusCode::FORBIDDEN),
            AppError::Unauthenticated { next } => {
                let to = match next.as_deref().and_then(urls::safe_next) {
                    Some(next) if next != urls::HOME => format!(
                        "{}?next={}",
                        urls::LOGIN,
                        percent_encoding::utf8_percent_encode(
                            next,
                            percent_encoding::NON_ALPHANUMERIC
                        )
                    ),
                    _ => urls::LOGIN.to_string(),
                };
                Redirect::to(&to).into_response()
            }
            AppError::Db(e) if crate::db::is_outage(&e) => {
                if matches!(e, sqlx::Error::PoolTimedOut) {
                    metrics::counter!(crate::metrics::POOL_TIMEOUTS).increment(1);
                }
                tracing::warn!(error = %e, "database unavailable");
                ErrorPage::for_status(StatusCode::SERVICE_UNAVAILABLE)
                    .into_response_with(StatusCode::SERVICE_UNAVAILABLE)
            }
            AppError::Db(e) => {
                tracing::error!(error = %e, "database error");
                ErrorPage::for_status(StatusCode::INTERNAL_SERVER_ERROR)
                    .into_response_with(StatusCode::INTERNAL_SERVER_ERROR)
            }
            AppError::Refused { message, .. } => ErrorPage {
                status: 409,
                title: "操作未执行",
                message,
                home: urls::HOME,
            }
            .into_response_with(StatusCode::CONFLICT),
            AppError::Internal(e) => {
                tracing::error!(error = %format!("{e:#}"), "internal error");
                ErrorPage::for_status(StatusCode::INTERNAL_SERVER_ERROR)
                    .into_response_with(StatusCode::INTERNAL_SERVER_ERROR)
            }
        }
    }
}

/// The answer to any URL that no route serves.
pub async fn not_found() -> AppError {
    AppError::NotFound
}

/// Gives every error response that is not already a page (413 from the body limit, 408
/// from the timeout, 400/405/415 from extractors, …) the Chinese error page.
pub async fn error_pages(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if is_html {
        return res;
    }
    let (mut parts, _) = res.into_parts();
    let page = ErrorPage::for_status(status).into_response_with(status);
    let (page_parts, body): (_, Body) = page.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        page_parts.headers[header::CONTENT_TYPE].clone(),
    );
    Response::from_parts(parts, body)
}
