//! Credentials and request authentication: tokens, AK/SK signing ([`signer`]).
//!
//! The signer is shared by the harness client and the reference mock, so that what the
//! client signs and what the mock verifies can never drift apart.

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
