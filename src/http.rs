//! Sending one request: render a planned request with a case's variables, authenticate it
//! the way the target wants (token or AK/SK signature), send it on the shared pooled
//! client, and read the response, its body up to [`MAX_BODY_BYTES`]. Every request waits
//! for the run's rate limit first (`--max-rps`), when there is one.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use percent_encoding::utf8_percent_encode;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::auth::signer::{self, SignInput, UNRESERVED};
use crate::auth::{Credentials, Secret};
use crate::errors::error_chain;
use crate::plan::{BodyTemplate, PlannedRequest};
use crate::rate::RateLimit;
use crate::spec::model::AuthMode;
use crate::template::Vars;

/// A token that no endpoint can accept, for `auth: invalid` cases.
const INVALID_TOKEN: &str = "MIIinvalid-aom-conformance-token";
/// The SK used to sign `auth: invalid` requests in AK/SK mode.
const INVALID_SK: &str = "aom-conformance-wrong-secret-key";

/// The most of a response body the harness reads. AOM bodies are a few KB; an endpoint
/// that sends more is misbehaving, and reading on would only fill memory until the
/// timeout. A longer body is cut here ([`Response::truncated`]) and is a failure of its own.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// [`MAX_BODY_BYTES`] for messages: `4 MiB`.
pub fn max_body_text() -> String {
    format!("{} MiB", MAX_BODY_BYTES / (1024 * 1024))
}

/// Why no (complete) response came back.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TransportError {
    /// No response within the per-request timeout.
    #[error("no response within {0:?}")]
    Timeout(Duration),
    /// The status and headers arrived, the body did not finish within the per-request
    /// timeout (which covers the whole exchange, body included).
    #[error("status {status} arrived but the body did not finish within {timeout:?}")]
    BodyTimeout { status: u16, timeout: Duration },
    /// The status and headers arrived, then the connection broke while reading the body.
    #[error("status {status} arrived but reading the body failed: {error}")]
    Body { status: u16, error: String },
    /// The TCP/TLS connection could not be made.
    #[error("cannot connect: {0}")]
    Connect(String),
    /// The connection broke, or the response could not be read.
    #[error("request failed: {0}")]
    Other(String),
    /// The rendered request is not valid HTTP (bad header name/value, bad URL).
    #[error("cannot build the request: {0}")]
    Build(String),
}

impl TransportError {
    /// Whether the request may have reached the endpoint and been acted on: it was sent,
    /// but no complete answer came back (timeouts, broken connections, cut bodies).
    pub fn may_have_acted(&self) -> bool {
        !matches!(self, TransportError::Connect(_) | TransportError::Build(_))
    }
}

/// A request with every template rendered.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub method: &'static str,
    /// Percent-encoded path.
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    pub auth: AuthMode,
    /// Values of the credential headers [`Client::authorize`] added (`Authorization`
    /// and the signature in it, `X-Auth-Token`, `X-Security-Token`): per-request secrets
    /// that every message about this request or its answer redacts.
    pub sent_secrets: Vec<String>,
}

impl Rendered {
    pub fn render(req: &PlannedRequest, vars: &Vars) -> Rendered {
        let mut path = String::with_capacity(req.op.path.len() + 64);
        let mut literals = req.op.path_literals.iter();
        for t in &req.path {
            path.push_str(literals.next().map_or("", String::as_str));
            path.extend(utf8_percent_encode(&t.render(vars), UNRESERVED));
        }
        path.extend(literals.map(String::as_str));

        // Content-Type is documented as required on every operation, GET included.
        let mut headers = vec![("Content-Type".to_owned(), "application/json".to_owned())];
        for (name, value) in &req.headers {
            headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
            if let Some(v) = value {
                headers.push((name.clone(), v.render(vars)));
            }
        }
        let body = req.body.as_ref().map(|b| match b {
            BodyTemplate::Json(t) => serde_json::to_vec(&t.render(vars)).unwrap_or_default(),
            BodyTemplate::Raw(t) => t.render(vars).into_bytes(),
        });
        Rendered {
            method: req.op.method.as_str(),
            path,
            query: req
                .query
                .iter()
                .map(|(k, v)| (k.clone(), v.render(vars)))
                .collect(),
            headers,
            body,
            auth: req.auth,
            sent_secrets: Vec::new(),
        }
    }

    /// `POST /v1/…/terminate` for messages (no query values: they may carry ids only, but
    /// keeping messages short matters more).
    pub fn line(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// What came back.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    /// The body, at most [`MAX_BODY_BYTES`] of it.
    pub body: Vec<u8>,
    /// The endpoint sent more than [`MAX_BODY_BYTES`]: `body` is the first
    /// `MAX_BODY_BYTES` and the rest was not read.
    pub truncated: bool,
    pub elapsed: Duration,
}

/// Headers whose values are credentials.
pub const SECRET_HEADERS: &[&str] = &["authorization", "x-auth-token", "x-security-token"];

/// One pooled client for the whole run, bound to a target's endpoint and credentials.
#[derive(Clone)]
pub struct Client {
    inner: reqwest::Client,
    /// The endpoint, parsed once: each request's URL is a copy with its path and query
    /// set, so the host is not parsed again per request (whole-URL parsing, IDNA rules
    /// included, was a sixteenth of a large run's time).
    base: reqwest::Url,
    /// The endpoint's own path, without a trailing slash ("" for most).
    base_path: String,
    host: String,
    project_id: String,
    credentials: Credentials,
    timeout: Duration,
    rate_limit: Option<Arc<RateLimit>>,
}

/// Options for building the shared client.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    pub timeout: Duration,
    pub insecure: bool,
    /// The run's one limit, shared by every target's client (`--max-rps`).
    pub rate_limit: Option<Arc<RateLimit>>,
}

/// Leave to send one request under the run's rate limit: only [`Client::permit`] makes
/// one, and [`Client::send`] takes it, so no request can skip the limit.
#[must_use]
pub struct Permit(());

impl Client {
    pub fn new(
        endpoint: &str,
        project_id: &str,
        credentials: Credentials,
        opts: &ClientOptions,
    ) -> Result<Client, TransportError> {
        let url = reqwest::Url::parse(endpoint)
            .map_err(|e| TransportError::Build(format!("endpoint {endpoint:?}: {e}")))?;
        let host = match (url.host_str(), url.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_owned(),
            (None, _) => {
                return Err(TransportError::Build(format!(
                    "endpoint {endpoint:?} has no host"
                )));
            }
        };
        let inner = crate::net::client_builder(endpoint, opts.insecure)
            .user_agent(concat!("aom-conformance/", env!("CARGO_PKG_VERSION")))
            .timeout(opts.timeout)
            .connect_timeout(opts.timeout.min(Duration::from_secs(10)))
            .pool_max_idle_per_host(256)
            .build()
            .map_err(|e| TransportError::Build(e.to_string()))?;
        Ok(Client {
            inner,
            base_path: url.path().trim_end_matches('/').to_owned(),
            base: url,
            host,
            project_id: project_id.to_owned(),
            credentials,
            timeout: opts.timeout,
            rate_limit: opts.rate_limit.clone(),
        })
    }

    /// Waits for the rate limit, if the run has one (without one this is immediate).
    /// Cancel-safe: a caller may race it against an interrupt.
    pub async fn permit(&self) -> Permit {
        if let Some(limit) = &self.rate_limit {
            limit.wait().await;
        }
        Permit(())
    }

    /// Adds the credentials `req.auth` asks for (token or signature) and records their
    /// values in [`Rendered::sent_secrets`]. Done right before sending, so an AK/SK
    /// signature's `X-Sdk-Date` is fresh even for a cleanup queued minutes ago.
    pub fn authorize(&self, mut req: Rendered) -> Rendered {
        let mut headers = std::mem::take(&mut req.headers);
        self.authenticate(&req, &mut headers);
        for (k, v) in &headers {
            // The made-up `auth: invalid` token is no secret: showing it is evidence.
            if SECRET_HEADERS.iter().any(|s| k.eq_ignore_ascii_case(s)) && v != INVALID_TOKEN {
                req.sent_secrets.push(v.clone());
                if let Some((_, sig)) = v.split_once("Signature=") {
                    req.sent_secrets.push(sig.to_owned());
                }
            }
        }
        req.headers = headers;
        req
    }

    /// Sends `req` as it is (see [`Client::authorize`]), under the rate limit `permit`
    /// was waited for ([`Client::permit`]). Redirects are never followed: AOM and IAM do
    /// not redirect, and a followed redirect would carry the credentials to wherever it
    /// points. A 3xx is returned like any other answer.
    pub async fn send(&self, _permit: Permit, req: &Rendered) -> Result<Response, TransportError> {
        let url = self.url(req);
        let method = reqwest::Method::from_bytes(req.method.as_bytes())
            .map_err(|e| TransportError::Build(e.to_string()))?;
        let mut map = HeaderMap::with_capacity(req.headers.len());
        for (k, v) in &req.headers {
            if k.eq_ignore_ascii_case("host") {
                continue; // set by the client from the URL; only signed here
            }
            let name = HeaderName::from_bytes(k.as_bytes())
                .map_err(|_| TransportError::Build(format!("bad header name {k:?}")))?;
            let value = HeaderValue::from_str(v)
                .map_err(|_| TransportError::Build(format!("bad value for header {k:?}")))?;
            map.append(name, value);
        }
        let mut builder = self.inner.request(method, url).headers(map);
        if let Some(b) = &req.body {
            builder = builder.body(b.clone());
        }
        let started = Instant::now();
        let mut resp = builder.send().await.map_err(|e| self.classify(e))?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        // Chunk by chunk, so an endless body stops at the limit. reqwest's total timeout
        // still applies to every chunk.
        let hint = resp.content_length().unwrap_or(0).min(64 * 1024);
        let mut body = Vec::with_capacity(usize::try_from(hint).unwrap_or(0));
        let mut truncated = false;
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| self.classify_body(status, e))?
        {
            let room = MAX_BODY_BYTES - body.len();
            if chunk.len() > room {
                body.extend_from_slice(&chunk[..room]);
                truncated = true;
                break; // dropping `resp` closes the connection: the rest is never read
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Response {
            status,
            headers,
            body,
            truncated,
            elapsed: started.elapsed(),
        })
    }

    /// The path as sent and signed: behind the endpoint's own path, if it has one.
    fn path_sent(&self, req: &Rendered) -> String {
        format!("{}{}", self.base_path, req.path)
    }

    /// The endpoint, the path and the query, percent-encoded.
    fn url(&self, req: &Rendered) -> reqwest::Url {
        let mut url = self.base.clone();
        url.set_path(&self.path_sent(req));
        let mut query = String::new();
        for (i, (k, v)) in req.query.iter().enumerate() {
            if i > 0 {
                query.push('&');
            }
            query.extend(utf8_percent_encode(k, UNRESERVED));
            query.push('=');
            query.extend(utf8_percent_encode(v, UNRESERVED));
        }
        url.set_query((!req.query.is_empty()).then_some(query.as_str()));
        url
    }

    fn classify(&self, e: reqwest::Error) -> TransportError {
        if e.is_timeout() {
            TransportError::Timeout(self.timeout)
        } else if e.is_connect() {
            TransportError::Connect(error_chain(&e))
        } else {
            TransportError::Other(error_chain(&e))
        }
    }

    /// An error while reading the body: the status is known, so say so.
    fn classify_body(&self, status: u16, e: reqwest::Error) -> TransportError {
        if e.is_timeout() {
            TransportError::BodyTimeout {
                status,
                timeout: self.timeout,
            }
        } else {
            TransportError::Body {
                status,
                error: error_chain(&e),
            }
        }
    }

    /// Adds the credentials the case asks for.
    fn authenticate(&self, req: &Rendered, headers: &mut Vec<(String, String)>) {
        match (&self.credentials, req.auth) {
            (_, AuthMode::None) | (Credentials::None, AuthMode::Default) => {}
            (Credentials::Token(t), AuthMode::Default) => {
                headers.push(("X-Auth-Token".into(), t.expose().to_owned()));
            }
            (Credentials::Token(_) | Credentials::None, AuthMode::Invalid) => {
                headers.push(("X-Auth-Token".into(), INVALID_TOKEN.into()));
            }
            (Credentials::AkSk(k), mode) => {
                let sk = match mode {
                    AuthMode::Invalid => Secret::new(INVALID_SK),
                    _ => k.sk.clone(),
                };
                headers.push(("Host".into(), self.host.clone()));
                headers.push(("X-Sdk-Date".into(), signer::sdk_date(SystemTime::now())));
                headers.push(("X-Project-Id".into(), self.project_id.clone()));
                if let Some(st) = &k.security_token {
                    headers.push(("X-Security-Token".into(), st.expose().to_owned()));
                }
                let body = req.body.as_deref().unwrap_or(&[]);
                let path = self.path_sent(req);
                let signed = signer::sign(
                    &SignInput {
                        method: req.method,
                        path: &path,
                        query: &req.query,
                        headers,
                        body,
                    },
                    &k.ak,
                    sk.expose(),
                    &k.algorithm,
                );
                headers.push(("Authorization".into(), signed.authorization));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Operation, PlannedRequest};
    use crate::spec::model::Method;
    use crate::template::Template;
    use std::sync::Arc;

    #[test]
    fn path_parameters_are_escaped_between_the_literal_parts() {
        let op = Arc::new(Operation {
            name: "StopExecution".into(),
            method: Method::POST,
            path: "/v1/{project_id}/cms/workflow/{workflow_id}/executions/{execution_id}/terminate"
                .into(),
            path_params: vec![
                "project_id".into(),
                "workflow_id".into(),
                "execution_id".into(),
            ],
            path_literals: vec![
                "/v1/".into(),
                "/cms/workflow/".into(),
                "/executions/".into(),
                "/terminate".into(),
            ],
            responses: Default::default(),
            response_headers: Vec::new(),
            requires: Vec::new(),
            errors: Default::default(),
            family: None,
            doc_gaps: Vec::new(),
            file: "x.yaml".into(),
        });
        let req = PlannedRequest {
            op,
            path: vec![
                Template::literal("p"),
                Template::literal("wf 1:2"),
                Template::literal("a/b~c"),
            ],
            query: vec![("action".into(), Template::literal("x y"))],
            headers: vec![
                ("Content-Type".into(), None),
                ("X-A".into(), Some(Template::literal("1"))),
            ],
            body: None,
            auth: AuthMode::Default,
        };
        let r = Rendered::render(&req, &Vars::default());
        assert_eq!(
            r.path,
            "/v1/p/cms/workflow/wf%201%3A2/executions/a%2Fb~c/terminate"
        );
        assert_eq!(r.query, vec![("action".to_owned(), "x y".to_owned())]);
        // `null` removed the default Content-Type.
        assert_eq!(r.headers, vec![("X-A".to_owned(), "1".to_owned())]);
    }

    fn options() -> ClientOptions {
        ClientOptions {
            timeout: Duration::from_secs(1),
            insecure: false,
            rate_limit: None,
        }
    }

    /// The URL built from the endpoint parsed once is the one parsing the whole text gives
    /// (what reqwest sent before), for escaped paths, repeated and odd query values, and
    /// endpoints with a path, a port or a trailing slash.
    #[test]
    fn urls_from_the_parsed_endpoint_equal_whole_url_parsing() {
        let rendered = |path: &str, query: &[(&str, &str)]| Rendered {
            method: "GET",
            path: path.to_owned(),
            query: query
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            headers: Vec::new(),
            body: None,
            auth: AuthMode::None,
            sent_secrets: Vec::new(),
        };
        let requests = [
            rendered(
                "/v1/p/cms/workflow/wf%201%3A2/executions/a%2Fb~c/terminate",
                &[],
            ),
            rendered(
                "/v1/p/x",
                &[("match[]", "up{job=\"a b\"}"), ("match[]", "ü&=#")],
            ),
            rendered("/v1/p/%E4%B8%AD/..%2F", &[("empty", "")]),
        ];
        for endpoint in [
            "http://127.0.0.1:8080",
            "https://aom.cn-north-4.myhuaweicloud.com/",
            "http://localhost/prefix/",
            "http://[::1]:9/a%20b",
        ] {
            let client = Client::new(endpoint, "p", Credentials::None, &options()).unwrap();
            for r in &requests {
                let mut text = format!("{}{}", endpoint.trim_end_matches('/'), r.path);
                for (i, (k, v)) in r.query.iter().enumerate() {
                    text.push(if i == 0 { '?' } else { '&' });
                    text.extend(utf8_percent_encode(k, UNRESERVED));
                    text.push('=');
                    text.extend(utf8_percent_encode(v, UNRESERVED));
                }
                let whole = reqwest::Url::parse(&text).unwrap();
                assert_eq!(
                    client.url(r).as_str(),
                    whole.as_str(),
                    "{endpoint} {}",
                    r.path
                );
            }
        }
    }

    /// Behind an endpoint with a path of its own, the path signed is the path sent.
    #[test]
    fn the_signed_path_includes_the_endpoints_own_path() {
        let keys = Credentials::AkSk(crate::auth::AccessKeyPair {
            ak: "AK".into(),
            sk: Secret::new("SK"),
            security_token: None,
            algorithm: signer::Algorithm::SdkHmacSha256,
        });
        let client = Client::new("http://127.0.0.1:9/prefix/", "p", keys, &options()).unwrap();
        let req = client.authorize(Rendered {
            method: "GET",
            path: "/v1/p/x".into(),
            query: Vec::new(),
            headers: Vec::new(),
            body: None,
            auth: AuthMode::Default,
            sent_secrets: Vec::new(),
        });
        assert_eq!(client.url(&req).path(), "/prefix/v1/p/x");
        let (signed_headers, authorization) = req.headers.split_at(req.headers.len() - 1);
        let sign = |path: &str| {
            let input = SignInput {
                method: "GET",
                path,
                query: &[],
                headers: signed_headers,
                body: &[],
            };
            signer::sign(&input, "AK", "SK", &signer::Algorithm::SdkHmacSha256).authorization
        };
        assert_eq!(authorization[0].1, sign("/prefix/v1/p/x"));
        assert_ne!(authorization[0].1, sign("/v1/p/x"));
    }
}
