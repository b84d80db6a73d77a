//! IAM password → token: `POST {iam}/v3/auth/tokens` with the password method, scoped to
//! the project; the token comes back in the `X-Subject-Token` header. Fetched once per
//! run and shared by every case.
//!
//! IAM answers can echo the request (user, domain) and always carry the token itself in
//! the body's catalog, so no IAM response body is ever put into a message. The error
//! texts may still quote what IAM sent (a redirect's `Location`, a transport error's
//! URL): the caller redacts them with the run's secrets before printing.

use std::time::Duration;

use serde_json::json;

use super::Secret;

/// Where to get an IAM token (password method, project-scoped).
#[derive(Debug, Clone)]
pub struct IamLogin {
    /// e.g. `https://iam.cn-north-4.myhuaweicloud.com`
    pub endpoint: String,
    pub user: String,
    pub domain: String,
    pub password: Secret,
}

/// Why no token could be obtained. Ends the run before any case (exit 3).
#[derive(Debug, thiserror::Error)]
pub enum IamError {
    /// The IAM endpoint did not answer.
    #[error("cannot reach IAM endpoint {endpoint}: {reason}")]
    Unreachable { endpoint: String, reason: String },
    /// IAM answered with an error status (wrong password, locked user, unknown project…).
    #[error(
        "IAM at {endpoint} refused the password login for user {user:?} (HTTP {status}); check the user, account (domain), password and project id"
    )]
    Rejected {
        endpoint: String,
        user: String,
        status: u16,
    },
    /// IAM answered with a redirect. It never does; following one would send the
    /// password wherever it points, so it is not followed.
    #[error(
        "IAM at {endpoint} answered HTTP {status} redirecting to {location}; not followed (the request carries the password)"
    )]
    Redirected {
        endpoint: String,
        status: u16,
        location: String,
    },
    /// IAM answered 2xx without an `X-Subject-Token` header.
    #[error("IAM at {endpoint} answered HTTP {status} without an X-Subject-Token header")]
    NoToken { endpoint: String, status: u16 },
}

/// Exchanges the password for a project-scoped token.
pub async fn fetch_token(
    login: &IamLogin,
    project_id: &str,
    timeout: Duration,
    insecure: bool,
) -> Result<Secret, IamError> {
    let unreachable = |reason: String| IamError::Unreachable {
        endpoint: login.endpoint.clone(),
        reason,
    };
    let client = crate::net::client_builder(&login.endpoint, insecure)
        .timeout(timeout)
        .build()
        .map_err(|e| unreachable(e.to_string()))?;
    let body = json!({
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {
                        "name": login.user,
                        "password": login.password.expose(),
                        "domain": { "name": login.domain }
                    }
                }
            },
            "scope": { "project": { "id": project_id } }
        }
    });
    let resp = client
        .post(format!("{}/v3/auth/tokens", login.endpoint))
        .header("Content-Type", "application/json;charset=utf8")
        .json(&body)
        .send()
        .await
        .map_err(|e| unreachable(crate::errors::error_chain(&e)))?;
    let status = resp.status().as_u16();
    if resp.status().is_redirection() {
        let location = resp.headers().get(reqwest::header::LOCATION);
        return Err(IamError::Redirected {
            endpoint: login.endpoint.clone(),
            status,
            location: location.map_or("nowhere (no Location header)".into(), |v| {
                format!("{:?}", String::from_utf8_lossy(v.as_bytes()))
            }),
        });
    }
    if !resp.status().is_success() {
        return Err(IamError::Rejected {
            endpoint: login.endpoint.clone(),
            user: login.user.clone(),
            status,
        });
    }
    resp.headers()
        .get("x-subject-token")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .map(Secret::new)
        .ok_or(IamError::NoToken {
            endpoint: login.endpoint.clone(),
            status,
        })
}
