//! The Huawei Cloud API Gateway request signer (`SDK-HMAC-SHA256` and the derived
//! `V11-HMAC-SHA256`), byte for byte as the official SDK signer, plus the verification
//! the reference mock runs with the very same code.
//!
//! Canonical request, as the official `huaweicloudsdkcore` builds it:
//!
//! ```text
//! METHOD \n canonical-uri \n canonical-query \n canonical-headers \n signed-headers \n hex(sha256(body))
//! ```
//!
//! * canonical URI: the path percent-decoded, split on `/`, each segment re-escaped
//!   (RFC 3986: only `A-Za-z0-9-_.~` literal), always ending in `/`;
//! * canonical query: decoded pairs sorted by key then value, escaped the same way;
//! * canonical headers: every header except keys containing `_`, names lower-cased,
//!   values trimmed, sorted by name, each line `name:value\n`;
//! * string to sign: `ALGORITHM \n X-Sdk-Date \n [scope \n] hex(sha256(canonical request))`;
//! * key: the SK, or for V11 the lowercase hex string of HKDF-SHA256(salt=AK, ikm=SK,
//!   info=`YYYYMMDD/region/service`, 32 bytes).

use std::time::{Duration, SystemTime};

use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use time::{
    OffsetDateTime, PrimitiveDateTime, format_description::BorrowedFormatItem,
    macros::format_description,
};

/// Name of the date header every signed request carries.
pub const SDK_DATE_HEADER: &str = "x-sdk-date";
/// Header whose value `UNSIGNED-PAYLOAD` makes the signer skip hashing the body, as the SDK does.
pub const CONTENT_SHA256_HEADER: &str = "x-sdk-content-sha256";
const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
const SDK_ALGORITHM: &str = "SDK-HMAC-SHA256";
const V11_ALGORITHM: &str = "V11-HMAC-SHA256";

/// RFC 3986 unreserved characters stay literal; everything else is escaped: the API
/// gateway's canonical-request rule, which the client also uses for what it sends, so what
/// is sent is what is signed.
pub const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

const SDK_DATE_FORMAT: &[BorrowedFormatItem<'static>] =
    format_description!("[year][month][day]T[hour][minute][second]Z");

type HmacSha256 = Hmac<Sha256>;

/// Which signing scheme to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Algorithm {
    /// `SDK-HMAC-SHA256`: the SK is the HMAC key.
    SdkHmacSha256,
    /// `V11-HMAC-SHA256`: the HMAC key is derived from AK, SK, the date, region and service.
    V11HmacSha256 { region: String, service: String },
}

impl Algorithm {
    /// The scheme name as it appears in the `Authorization` header and the string to sign.
    pub fn name(&self) -> &'static str {
        match self {
            Algorithm::SdkHmacSha256 => SDK_ALGORITHM,
            Algorithm::V11HmacSha256 { .. } => V11_ALGORITHM,
        }
    }
}

/// One request as it is about to go on the wire.
#[derive(Debug, Clone, Copy)]
pub struct SignInput<'a> {
    pub method: &'a str,
    /// As sent on the wire (already percent-encoded), without query.
    pub path: &'a str,
    /// Decoded key/value pairs.
    pub query: &'a [(String, String)],
    /// Every header present at signing time, incl. `Host` and `X-Sdk-Date`.
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
}

/// Every intermediate of a signature, so that tests and reports can show where two sides differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    pub canonical_request: String,
    pub string_to_sign: String,
    pub signed_headers: String,
    pub signature: String,
    /// The full `Authorization` header value.
    pub authorization: String,
}

/// Why a signed request was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The `Authorization` value does not have the `ALGORITHM k=v, k=v, k=v` shape or lacks a part.
    #[error("malformed Authorization header: {0}")]
    MalformedAuthorization(&'static str),
    /// The `Authorization` scheme is neither `SDK-HMAC-SHA256` nor `V11-HMAC-SHA256`.
    #[error("unsupported signing algorithm {0:?}")]
    UnsupportedAlgorithm(String),
    /// `SignedHeaders` leaves out a header the signature must cover (`host`, `x-sdk-date`).
    #[error("SignedHeaders must include {0}")]
    RequiredHeaderNotSigned(&'static str),
    /// `SignedHeaders` names a header the request does not carry.
    #[error("signed header {0:?} is missing from the request")]
    SignedHeaderMissing(String),
    /// `SignedHeaders` is not the sorted, lower-case, `_`-free list the signer would produce.
    #[error("SignedHeaders is not in canonical form")]
    NonCanonicalSignedHeaders,
    /// The `X-Sdk-Date` header is absent.
    #[error("X-Sdk-Date header is missing")]
    MissingDate,
    /// The `X-Sdk-Date` header is not `YYYYMMDDTHHMMSSZ`.
    #[error("X-Sdk-Date {0:?} is not of the form YYYYMMDDTHHMMSSZ")]
    InvalidDate(String),
    /// `X-Sdk-Date` is further from the verifier's clock than the allowed skew.
    #[error("X-Sdk-Date is more than {max_skew_secs} s away from the server clock")]
    StaleDate { max_skew_secs: u64 },
    /// The V11 credential scope date is not the date of `X-Sdk-Date`.
    #[error("credential scope date {scope} does not match X-Sdk-Date {date}")]
    ScopeDateMismatch { scope: String, date: String },
    /// The recomputed signature differs from the one sent.
    #[error("signature mismatch")]
    SignatureMismatch,
}

/// The parts of an `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedAuthorization {
    pub algorithm: Algorithm,
    pub access_key: String,
    /// V11 only: the `YYYYMMDD` of the credential scope.
    pub scope_date: Option<String>,
    /// As sent: `a;b;c`.
    pub signed_headers: String,
    pub signature: String,
}

/// Signs `input`; the date is read from its `X-Sdk-Date` header (empty when absent, which
/// no verifier accepts).
pub fn sign(input: &SignInput<'_>, ak: &str, sk: &str, algorithm: &Algorithm) -> Signed {
    let date = header_value(input.headers, SDK_DATE_HEADER).unwrap_or("");
    let canonical = canonical_request(input);
    let hashed = hex::encode(Sha256::digest(canonical.text.as_bytes()));
    let day = date.get(..8).unwrap_or(date);
    let (string_to_sign, key, authorization_prefix) = match algorithm {
        Algorithm::SdkHmacSha256 => (
            format!("{SDK_ALGORITHM}\n{date}\n{hashed}"),
            sk.as_bytes().to_vec(),
            format!("{SDK_ALGORITHM} Access={ak}"),
        ),
        Algorithm::V11HmacSha256 { region, service } => {
            let scope = format!("{day}/{region}/{service}");
            (
                format!("{V11_ALGORITHM}\n{date}\n{scope}\n{hashed}"),
                derive_v11_key(ak, sk, &scope).into_bytes(),
                format!("{V11_ALGORITHM} Credential={ak}/{scope}"),
            )
        }
    };
    let signature = hex::encode(hmac_sha256(&key, string_to_sign.as_bytes()));
    let authorization = format!(
        "{authorization_prefix}, SignedHeaders={}, Signature={signature}",
        canonical.signed_headers
    );
    Signed {
        canonical_request: canonical.text,
        string_to_sign,
        signed_headers: canonical.signed_headers,
        signature,
        authorization,
    }
}

/// The V11 signing key: the lowercase hex string of HKDF-SHA256(salt=AK, ikm=SK, info=scope).
pub fn derive_v11_key(ak: &str, sk: &str, scope: &str) -> String {
    let mut okm = [0u8; 32];
    Hkdf::<Sha256>::new(Some(ak.as_bytes()), sk.as_bytes())
        .expand(scope.as_bytes(), &mut okm)
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    hex::encode(okm)
}

/// `t` as an `X-Sdk-Date` value, e.g. `20261124T120000Z` (UTC).
pub fn sdk_date(t: SystemTime) -> String {
    OffsetDateTime::from(t)
        .format(SDK_DATE_FORMAT)
        .expect("a UTC date with a four-digit year always formats")
}

/// Parses an `X-Sdk-Date` value.
pub fn parse_sdk_date(value: &str) -> Result<SystemTime, SignatureError> {
    PrimitiveDateTime::parse(value, SDK_DATE_FORMAT)
        .map(|t| t.assume_utc().into())
        .map_err(|_| SignatureError::InvalidDate(value.to_owned()))
}

/// Splits an `Authorization` header value into its parts.
pub fn parse_authorization(value: &str) -> Result<ParsedAuthorization, SignatureError> {
    let (scheme, rest) =
        value
            .trim()
            .split_once(' ')
            .ok_or(SignatureError::MalformedAuthorization(
                "no parameters after the scheme",
            ))?;
    let params = AuthorizationParams::parse(rest)?;
    let signed_headers = params
        .signed_headers
        .ok_or(SignatureError::MalformedAuthorization(
            "SignedHeaders missing",
        ))?;
    let signature = params
        .signature
        .ok_or(SignatureError::MalformedAuthorization("Signature missing"))?;
    let (algorithm, access_key, scope_date) = match scheme {
        SDK_ALGORITHM => {
            let ak = params
                .access
                .ok_or(SignatureError::MalformedAuthorization("Access missing"))?;
            (Algorithm::SdkHmacSha256, ak, None)
        }
        V11_ALGORITHM => {
            let credential = params
                .credential
                .ok_or(SignatureError::MalformedAuthorization("Credential missing"))?;
            let (algorithm, ak, day) = v11_scope(&credential)?;
            (algorithm, ak, Some(day))
        }
        other => return Err(SignatureError::UnsupportedAlgorithm(other.to_owned())),
    };
    if access_key.is_empty() {
        return Err(SignatureError::MalformedAuthorization("empty access key"));
    }
    Ok(ParsedAuthorization {
        algorithm,
        access_key,
        scope_date,
        signed_headers,
        signature,
    })
}

/// The `key=value` parameters after the scheme. Each may appear once: of two, which one
/// counts would be a guess.
#[derive(Default)]
struct AuthorizationParams {
    access: Option<String>,
    credential: Option<String>,
    signed_headers: Option<String>,
    signature: Option<String>,
}

impl AuthorizationParams {
    fn parse(rest: &str) -> Result<Self, SignatureError> {
        let mut params = AuthorizationParams::default();
        for part in rest.split(',') {
            let (key, val) =
                part.trim()
                    .split_once('=')
                    .ok_or(SignatureError::MalformedAuthorization(
                        "a parameter is not key=value",
                    ))?;
            let slot = match key {
                "Access" => &mut params.access,
                "Credential" => &mut params.credential,
                "SignedHeaders" => &mut params.signed_headers,
                "Signature" => &mut params.signature,
                _ => return Err(SignatureError::MalformedAuthorization("unknown parameter")),
            };
            if slot.replace(val.to_owned()).is_some() {
                return Err(SignatureError::MalformedAuthorization("repeated parameter"));
            }
        }
        Ok(params)
    }
}

/// A V11 `Credential=AK/YYYYMMDD/region/service` → the algorithm (with its region and
/// service), the AK and the scope's day.
fn v11_scope(credential: &str) -> Result<(Algorithm, String, String), SignatureError> {
    let mut parts = credential.split('/');
    let (Some(ak), Some(day), Some(region), Some(service), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(SignatureError::MalformedAuthorization(
            "Credential is not AK/YYYYMMDD/region/service",
        ));
    };
    if region.is_empty() || service.is_empty() {
        return Err(SignatureError::MalformedAuthorization(
            "Credential has an empty region or service",
        ));
    }
    let algorithm = Algorithm::V11HmacSha256 {
        region: region.to_owned(),
        service: service.to_owned(),
    };
    Ok((algorithm, ak.to_owned(), day.to_owned()))
}

/// Checks `auth` against `input` by re-signing with `sk` over exactly the headers named in
/// `SignedHeaders`. `now` and `max_skew` bound the age of `X-Sdk-Date` (`None`: not checked,
/// for fixed-date vectors). The signature is compared in constant time.
pub fn verify(
    input: &SignInput<'_>,
    auth: &ParsedAuthorization,
    sk: &str,
    now: SystemTime,
    max_skew: Option<Duration>,
) -> Result<(), SignatureError> {
    let names: Vec<&str> = auth.signed_headers.split(';').collect();
    for required in ["host", SDK_DATE_HEADER] {
        if !names.contains(&required) {
            return Err(SignatureError::RequiredHeaderNotSigned(required));
        }
    }
    let mut signed_input_headers = Vec::with_capacity(names.len());
    for name in &names {
        let value = header_value(input.headers, name)
            .ok_or_else(|| SignatureError::SignedHeaderMissing((*name).to_owned()))?;
        signed_input_headers.push(((*name).to_owned(), value.to_owned()));
    }
    let date = header_value(input.headers, SDK_DATE_HEADER).ok_or(SignatureError::MissingDate)?;
    let sent_at = parse_sdk_date(date)?;
    if let Some(max_skew) = max_skew {
        let skew = now
            .duration_since(sent_at)
            .unwrap_or_else(|ahead| ahead.duration());
        if skew > max_skew {
            return Err(SignatureError::StaleDate {
                max_skew_secs: max_skew.as_secs(),
            });
        }
    }
    if let Some(scope) = &auth.scope_date {
        if Some(scope.as_str()) != date.get(..8) {
            return Err(SignatureError::ScopeDateMismatch {
                scope: scope.clone(),
                date: date.to_owned(),
            });
        }
    }
    let only_signed = SignInput {
        headers: &signed_input_headers,
        ..*input
    };
    let expected = sign(&only_signed, &auth.access_key, sk, &auth.algorithm);
    // A list the signer would not have produced (unsorted, duplicates, '_') cannot be ours.
    if expected.signed_headers != auth.signed_headers {
        return Err(SignatureError::NonCanonicalSignedHeaders);
    }
    if bool::from(
        expected
            .signature
            .as_bytes()
            .ct_eq(auth.signature.as_bytes()),
    ) {
        Ok(())
    } else {
        Err(SignatureError::SignatureMismatch)
    }
}

struct Canonical {
    text: String,
    signed_headers: String,
}

fn canonical_request(input: &SignInput<'_>) -> Canonical {
    // Later duplicates win, as in the SDK's header dict.
    let mut headers: Vec<(String, &str)> = Vec::with_capacity(input.headers.len());
    for (name, value) in input.headers {
        if name.contains('_') {
            continue;
        }
        let name = name.to_ascii_lowercase();
        let value = value.trim();
        match headers.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => headers.push((name, value)),
        }
    }
    headers.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let signed_headers = headers
        .iter()
        .map(|(n, _)| n.as_str())
        .collect::<Vec<_>>()
        .join(";");

    // As the SDK's `_process_hash_payload`: an empty body always hashes as empty, even
    // when `X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD` is present (the SDK adds that header
    // for every non-JSON content type, body or not).
    let body_hash = match header_value(input.headers, CONTENT_SHA256_HEADER) {
        Some(UNSIGNED_PAYLOAD) if !input.body.is_empty() => UNSIGNED_PAYLOAD.to_owned(),
        _ => hex::encode(Sha256::digest(input.body)),
    };

    let mut text = String::with_capacity(256 + input.path.len());
    text.push_str(input.method);
    text.push('\n');
    text.push_str(&canonical_uri(input.path));
    text.push('\n');
    text.push_str(&canonical_query(input.query));
    text.push('\n');
    for (name, value) in &headers {
        text.push_str(name);
        text.push(':');
        text.push_str(value);
        text.push('\n');
    }
    text.push('\n');
    text.push_str(&signed_headers);
    text.push('\n');
    text.push_str(&body_hash);
    Canonical {
        text,
        signed_headers,
    }
}

/// The SDK decodes the whole path before splitting, so an encoded `/` separates segments too.
fn canonical_uri(path: &str) -> String {
    let decoded = percent_decode_str(path).decode_utf8_lossy();
    let mut uri = decoded.split('/').map(escape).collect::<Vec<_>>().join("/");
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

fn canonical_query(query: &[(String, String)]) -> String {
    let mut pairs: Vec<&(String, String)> = query.iter().collect();
    pairs.sort_unstable();
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", escape(k), escape(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn escape(s: &str) -> String {
    utf8_percent_encode(s, UNRESERVED).to_string()
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> impl AsRef<[u8]> {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(message);
    mac.finalize().into_bytes()
}

/// The last value of a header, name compared case-insensitively.
fn header_value<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .rev()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sdk_date_round_trips() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_521_600);
        assert_eq!(sdk_date(t), "20261124T120000Z");
        assert_eq!(parse_sdk_date("20261124T120000Z"), Ok(t));
        assert!(parse_sdk_date("2026-11-24T12:00:00Z").is_err());
    }

    #[test]
    fn canonical_uri_reescapes_and_appends_slash() {
        assert_eq!(canonical_uri("/v1/wf%201%3A2/x"), "/v1/wf%201%3A2/x/");
        assert_eq!(canonical_uri("/a b/"), "/a%20b/");
        assert_eq!(canonical_uri(""), "/");
    }

    #[test]
    fn parse_authorization_rejects_garbage() {
        assert!(parse_authorization("Bearer abc").is_err());
        assert!(parse_authorization("SDK-HMAC-SHA256 Access=a, SignedHeaders=host").is_err());
        assert!(matches!(
            parse_authorization("HMAC x=y"),
            Err(SignatureError::MalformedAuthorization(_))
        ));
        for scope in ["AK/20261124//AOM", "AK/20261124/cn-north-4/"] {
            let v = format!(
                "V11-HMAC-SHA256 Credential={scope}, SignedHeaders=host;x-sdk-date, Signature=00"
            );
            assert!(
                matches!(
                    parse_authorization(&v),
                    Err(SignatureError::MalformedAuthorization(_))
                ),
                "{scope}"
            );
        }
    }
}
