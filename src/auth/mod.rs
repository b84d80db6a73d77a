//! Credentials and request authentication: tokens, AK/SK signing ([`signer`]).
//!
//! The signer is shared by the harness client and the reference mock, so that what the
//! client signs and what the mock verifies can never drift apart.

pub mod iam;
pub mod signer;

use std::fmt;

/// A secret string (token, SK, password). Its `Debug` and `Display` never show the value;
/// call [`Secret::expose`] where the value must really be used.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    /// The secret value itself: only for putting it on the wire or into a redactor.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// How requests to a target authenticate.
#[derive(Debug, Clone, Default)]
pub enum Credentials {
    /// No credentials (only useful against an endpoint without auth).
    #[default]
    None,
    /// An IAM token sent as `X-Auth-Token`.
    Token(Secret),
    /// Access key / secret key: requests are signed by [`signer`].
    AkSk(AccessKeyPair),
}

/// An AK/SK pair and how to sign with it.
#[derive(Debug, Clone)]
pub struct AccessKeyPair {
    pub ak: String,
    pub sk: Secret,
    /// Temporary credentials come with a security token (`X-Security-Token`).
    pub security_token: Option<Secret>,
    pub algorithm: signer::Algorithm,
}

impl Credentials {
    /// Every secret these credentials hold, for the redactor.
    pub fn secrets(&self) -> Vec<String> {
        match self {
            Credentials::None => Vec::new(),
            Credentials::Token(t) => vec![t.expose().to_owned()],
            Credentials::AkSk(k) => {
                let mut v = vec![k.sk.expose().to_owned()];
                if let Some(t) = &k.security_token {
                    v.push(t.expose().to_owned());
                }
                v
            }
        }
    }

    /// A short description that is safe to print.
    pub fn mode(&self) -> &'static str {
        match self {
            Credentials::None => "none",
            Credentials::Token(_) => "token",
            Credentials::AkSk(_) => "ak/sk",
        }
    }
}
