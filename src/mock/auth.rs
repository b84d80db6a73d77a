//! Request authentication: `X-Auth-Token` against the configured grants, or AK/SK
//! (`SDK-HMAC-SHA256`, `V11-HMAC-SHA256`) verified with the same signer the client uses.
//!
//! The middleware also reads the body (at most [`MAX_BODY_BYTES`], else 413): AK/SK needs
//! its hash, and buffering it here for every request keeps the limit in one place. On
//! success the caller's project grants go into the request extensions; the project in the
//! path is checked against them later (see `routes::Scope`), after path validation.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::SystemTime;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use percent_encoding::percent_decode_str;
use subtle::ConstantTimeEq;

use super::errors::{ApiError, GatewayAuthError};
use super::{App, MockConfig, RequestId};
use crate::auth::Secret;
use crate::auth::signer::{SignInput, parse_authorization, verify};

/// Largest request body the mock reads.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Documented maximum length of `X-Auth-Token`.
pub const MAX_TOKEN_LEN: usize = 40960;
const AUTH_TOKEN_HEADER: &str = "x-auth-token";

/// Who is calling: the projects their credential may use.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub projects: Arc<[String]>,
}

impl Caller {
    pub fn may_use(&self, project_id: &str) -> bool {
        self.projects.iter().any(|p| p == project_id)
    }
}

/// The configured credentials, indexed for lookup.
#[derive(Debug)]
pub(crate) struct Credentials {
    tokens: Vec<(Secret, Arc<[String]>)>,
    keys: HashMap<String, (Secret, Arc<[String]>)>,
}

impl Credentials {
    pub fn new(config: &MockConfig) -> Self {
        Credentials {
            tokens: config
                .tokens
                .iter()
                .map(|g| (g.token.clone(), Arc::from(g.projects.clone())))
                .collect(),
            keys: config
                .keys
                .iter()
                .map(|k| (k.ak.clone(), (k.sk.clone(), Arc::from(k.projects.clone()))))
                .collect(),
        }
    }

    /// Compares against every token without stopping early, in constant time per token.
    fn token(&self, presented: &[u8]) -> Option<Caller> {
        let mut found = None;
        for (token, projects) in &self.tokens {
            if bool::from(token.expose().as_bytes().ct_eq(presented)) {
                found = Some(projects);
            }
        }
        found.map(|projects| Caller {
            projects: Arc::clone(projects),
        })
    }
}

/// Why a request was turned away here.
pub(crate) enum Rejection {
    /// Not an authentication failure (body too large, malformed token header): always AOM-shaped.
    Request(ApiError),
    /// Missing or wrong credentials; the detail appears only in the gateway-shaped answer.
    Credentials(String),
}

impl From<ApiError> for Rejection {
    fn from(e: ApiError) -> Self {
        Rejection::Request(e)
    }
}

pub(crate) async fn authenticate(
    State(app): State<Arc<App>>,
    req: Request,
    next: Next,
) -> Response {
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    match admit(&app, req).await {
        Ok(req) => next.run(req).await,
        Err(Rejection::Request(e)) => e.into_response(),
        Err(Rejection::Credentials(detail)) if app.config.gateway_auth_errors => {
            GatewayAuthError { detail, request_id }.into_response()
        }
        Err(Rejection::Credentials(_)) => ApiError::auth_failed().into_response(),
    }
}

/// Headers that decide how a request is read or authenticated: a second copy would
/// make the mock's reading and the signature's (which keeps the last) disagree.
const SINGLE_HEADERS: &[&str] = &[
    "content-type",
    "x-auth-token",
    "authorization",
    "x-sdk-date",
    "x-aom-mock-fault",
];

/// Checks the request's headers and credentials, reading the body on the way; the
/// caller goes into the request's extensions. Families with their own error bodies call
/// it from their own middleware and answer a [`Rejection`] in their shape.
pub(crate) async fn admit(app: &App, req: Request) -> Result<Request, Rejection> {
    let (mut parts, body) = req.into_parts();
    check_headers(&parts.headers)?;
    let (caller, body) = if let Some(token) = parts.headers.get(AUTH_TOKEN_HEADER) {
        let caller = by_token(app, token.as_bytes())?;
        let body = read_body(body, app.config.body_read_timeout).await?;
        (caller, body)
    } else if let Some(authorization) = parts.headers.get(header::AUTHORIZATION) {
        by_signature(app, authorization, &parts, body).await?
    } else {
        return Err(Rejection::Credentials("x-auth-token not found".into()));
    };
    parts.extensions.insert(caller);
    Ok(Request::from_parts(parts, Body::from(body)))
}

/// What is wrong before a byte of the body is read: a repeated header, or a body
/// declared too large.
fn check_headers(headers: &HeaderMap) -> Result<(), Rejection> {
    if let Some(name) = SINGLE_HEADERS
        .iter()
        .find(|h| headers.get_all(**h).iter().nth(1).is_some())
    {
        return Err(
            ApiError::invalid_parameter(format!("The {name} header must appear once.")).into(),
        );
    }
    // Known too large before reading a byte: answer at once (no 100-continue, no 1 MiB read).
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(ApiError::payload_too_large(MAX_BODY_BYTES).into());
    }
    Ok(())
}

/// The caller an `X-Auth-Token` belongs to.
fn by_token(app: &App, token: &[u8]) -> Result<Caller, Rejection> {
    if token.is_empty() || token.len() > MAX_TOKEN_LEN {
        return Err(ApiError::invalid_parameter(format!(
            "X-Auth-Token must be 1-{MAX_TOKEN_LEN} characters long."
        ))
        .into());
    }
    app.credentials
        .token(token)
        .ok_or_else(|| Rejection::Credentials("decrypt token fail".into()))
}

/// The caller whose AK signed the request, and the body, which the signature covers.
async fn by_signature(
    app: &App,
    authorization: &HeaderValue,
    parts: &Parts,
    body: Body,
) -> Result<(Caller, Bytes), Rejection> {
    let fail = |why: &dyn std::fmt::Display| {
        Rejection::Credentials(format!("verify aksk signature fail, {why}"))
    };
    let authorization = authorization.to_str().map_err(|e| fail(&e))?;
    let parsed = parse_authorization(authorization).map_err(|e| fail(&e))?;
    let (sk, projects) = app
        .credentials
        .keys
        .get(&parsed.access_key)
        .ok_or_else(|| fail(&"unknown access key"))?;
    let body = read_body(body, app.config.body_read_timeout).await?;
    let headers = header_pairs(&parts.headers);
    let query = query_pairs(parts.uri.query());
    let input = SignInput {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: &query,
        headers: &headers,
        body: &body,
    };
    verify(
        &input,
        &parsed,
        sk.expose(),
        SystemTime::now(),
        app.config.max_sdk_date_skew,
    )
    .map_err(|e| fail(&e))?;
    let caller = Caller {
        projects: Arc::clone(projects),
    };
    Ok((caller, body))
}

/// Reads the body within `timeout`: a client that stops sending mid-body would otherwise
/// hold its connection (and delay shutdown) forever.
async fn read_body(body: Body, timeout: std::time::Duration) -> Result<Bytes, ApiError> {
    let read = Limited::new(body, MAX_BODY_BYTES).collect();
    match tokio::time::timeout(timeout, read).await {
        Err(_) => Err(ApiError::body_timeout(timeout)),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e)) if e.is::<LengthLimitError>() => {
            Err(ApiError::payload_too_large(MAX_BODY_BYTES))
        }
        Ok(Err(_)) => Err(ApiError::unreadable_body()),
    }
}

/// Headers as the signer takes them; repeated headers keep their last value, as the SDK's
/// header dict does.
fn header_pairs(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// The last value of query parameter `name`, decoded (a repeated parameter: the last
/// one counts, as in most web frameworks).
pub(crate) fn query_param(uri: &axum::http::Uri, name: &str) -> Option<String> {
    query_pairs(uri.query())
        .into_iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// Decoded query pairs. `+` is a space: the official SDKs send form-encoded queries.
pub(crate) fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    let decode = |s: &str| {
        percent_decode_str(&s.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    };
    query
        .unwrap_or("")
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_pairs_decode_form_encoding() {
        assert_eq!(
            query_pairs(Some("a=~%2A%21&b=x+y&c=x%20y&flag&")),
            vec![
                ("a".into(), "~*!".into()),
                ("b".into(), "x y".into()),
                ("c".into(), "x y".into()),
                ("flag".into(), String::new()),
            ]
        );
        assert!(query_pairs(None).is_empty());
    }
}
