//! The signer against the official SDK signer's vectors (`../shared/vectors/apig-signing.json`),
//! byte for byte, and `verify` against the same vectors, intact and altered.

use std::time::{Duration, SystemTime};

use aom_conformance::auth::signer::{
    Algorithm, SignInput, SignatureError, derive_v11_key, parse_authorization, sign, verify,
};
use serde_json::Value;

struct Vector {
    name: String,
    algorithm: Algorithm,
    method: String,
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    raw: Value,
}

fn load() -> (String, String, Vec<Vector>) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/vectors/apig-signing.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    let doc: Value = serde_json::from_str(&text).expect("vectors file is JSON");
    let s = |v: &Value, k: &str| {
        v[k].as_str()
            .unwrap_or_else(|| panic!("{k} missing"))
            .to_owned()
    };
    let vectors = doc["vectors"]
        .as_array()
        .expect("vectors array")
        .iter()
        .map(|v| Vector {
            name: s(v, "name"),
            algorithm: match v["algorithm"].as_str() {
                Some("SDK-HMAC-SHA256") => Algorithm::SdkHmacSha256,
                Some("V11-HMAC-SHA256") => Algorithm::V11HmacSha256 {
                    region: s(v, "region"),
                    service: s(v, "service"),
                },
                other => panic!("unknown algorithm {other:?}"),
            },
            method: s(v, "method"),
            path: s(v, "path"),
            query: v["query"]
                .as_array()
                .expect("query array")
                .iter()
                .map(|p| {
                    (
                        p[0].as_str().unwrap().to_owned(),
                        p[1].as_str().unwrap().to_owned(),
                    )
                })
                .collect(),
            headers: v["headers"]
                .as_object()
                .expect("headers object")
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
                .collect(),
            body: v["body"]
                .as_str()
                .map(|b| b.as_bytes().to_vec())
                .unwrap_or_default(),
            raw: v.clone(),
        })
        .collect();
    (s(&doc, "ak"), s(&doc, "sk"), vectors)
}

fn input(v: &Vector) -> SignInput<'_> {
    SignInput {
        method: &v.method,
        path: &v.path,
        query: &v.query,
        headers: &v.headers,
        body: &v.body,
    }
}

#[test]
fn every_vector_byte_for_byte() {
    let (ak, sk, vectors) = load();
    assert!(vectors.len() >= 5, "expected the five published vectors");
    for v in &vectors {
        let signed = sign(&input(v), &ak, &sk, &v.algorithm);
        let want = |k: &str| {
            v.raw[k]
                .as_str()
                .unwrap_or_else(|| panic!("{}: {k} missing", v.name))
        };
        assert_eq!(
            signed.canonical_request,
            want("canonical_request"),
            "{}: canonical request",
            v.name
        );
        assert_eq!(
            signed.string_to_sign,
            want("string_to_sign"),
            "{}: string to sign",
            v.name
        );
        assert_eq!(
            signed.signed_headers,
            want("signed_headers"),
            "{}: signed headers",
            v.name
        );
        assert_eq!(
            signed.authorization,
            want("authorization"),
            "{}: Authorization",
            v.name
        );
        if let Some(key) = v.raw["derived_key_hex"].as_str() {
            let scope = signed
                .string_to_sign
                .lines()
                .nth(2)
                .expect("V11 scope line");
            assert_eq!(
                derive_v11_key(&ak, &sk, scope),
                key,
                "{}: derived key",
                v.name
            );
        }
    }
}

#[test]
fn every_vector_verifies_and_alterations_do_not() {
    let (ak, sk, vectors) = load();
    let now = SystemTime::now();
    for v in &vectors {
        let signed = sign(&input(v), &ak, &sk, &v.algorithm);
        let auth = parse_authorization(&signed.authorization).expect("own header parses");
        assert_eq!(auth.access_key, ak);
        assert_eq!(
            verify(&input(v), &auth, &sk, now, None),
            Ok(()),
            "{}",
            v.name
        );
        assert_eq!(
            verify(&input(v), &auth, "WRONGSK", now, None),
            Err(SignatureError::SignatureMismatch),
            "{}: wrong SK",
            v.name
        );
        // The fixed 2026 date is far from any real clock.
        assert!(matches!(
            verify(&input(v), &auth, &sk, now, Some(Duration::from_secs(900))),
            Err(SignatureError::StaleDate { .. })
        ));

        for i in 0..v.headers.len() {
            let mut headers = v.headers.clone();
            // Still a well-formed date, so only the signature can catch it.
            headers[i].1 = match headers[i].1.as_str() {
                "20261124T120000Z" => "20261124T120001Z".to_owned(),
                other => format!("{other}x"),
            };
            let altered = SignInput {
                headers: &headers,
                ..input(v)
            };
            assert_eq!(
                verify(&altered, &auth, &sk, now, None),
                Err(SignatureError::SignatureMismatch),
                "{}: altered header {}",
                v.name,
                headers[i].0
            );
        }
        let path = v.path.replace("/cms/", "/cms2/");
        let altered = SignInput {
            path: &path,
            ..input(v)
        };
        assert_eq!(
            verify(&altered, &auth, &sk, now, None),
            Err(SignatureError::SignatureMismatch)
        );
        let mut query = v.query.clone();
        query.push(("extra".into(), "1".into()));
        let altered = SignInput {
            query: &query,
            ..input(v)
        };
        assert_eq!(
            verify(&altered, &auth, &sk, now, None),
            Err(SignatureError::SignatureMismatch)
        );
        let body = [v.body.as_slice(), b" "].concat();
        let altered = SignInput {
            body: &body,
            ..input(v)
        };
        assert_eq!(
            verify(&altered, &auth, &sk, now, None),
            Err(SignatureError::SignatureMismatch)
        );
    }
}

#[test]
fn signature_must_cover_host_and_date() {
    let (ak, sk, vectors) = load();
    let v = &vectors[0];
    for left_out in ["host", "x-sdk-date"] {
        let headers: Vec<_> = v
            .headers
            .iter()
            .filter(|(k, _)| !k.eq_ignore_ascii_case(left_out))
            .cloned()
            .collect();
        let signed = sign(
            &SignInput {
                headers: &headers,
                ..input(v)
            },
            &ak,
            &sk,
            &v.algorithm,
        );
        let auth = parse_authorization(&signed.authorization).unwrap();
        // The request on the wire still carries every header.
        assert!(
            matches!(
                verify(&input(v), &auth, &sk, SystemTime::now(), None),
                Err(SignatureError::RequiredHeaderNotSigned(h)) if h == left_out
            ),
            "{left_out} left out"
        );
    }
}

#[test]
fn headers_with_underscore_are_not_signed() {
    let (ak, sk, vectors) = load();
    let v = &vectors[0];
    let mut headers = v.headers.clone();
    headers.push(("X_Custom".into(), "anything".into()));
    let signed = sign(
        &SignInput {
            headers: &headers,
            ..input(v)
        },
        &ak,
        &sk,
        &v.algorithm,
    );
    assert_eq!(
        signed.authorization,
        v.raw["authorization"].as_str().unwrap()
    );
}

#[test]
fn v11_scope_date_must_match_x_sdk_date() {
    let (ak, sk, vectors) = load();
    let v = vectors
        .iter()
        .find(|v| v.name == "derived-v11-hmac-sha256")
        .expect("V11 vector");
    let signed = sign(&input(v), &ak, &sk, &v.algorithm);
    let forged = signed.authorization.replace("/20261124/", "/20261125/");
    let auth = parse_authorization(&forged).unwrap();
    assert!(matches!(
        verify(&input(v), &auth, &sk, SystemTime::now(), None),
        Err(SignatureError::ScopeDateMismatch { .. })
    ));
}

/// The SDK adds `X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD` for non-JSON content types, but
/// hashes an empty body as empty regardless (`_process_hash_payload`); with a body, the
/// header's value stands in for the hash.
#[test]
fn unsigned_payload_applies_only_to_a_non_empty_body() {
    let headers = vec![
        ("Content-Type".to_owned(), "text/plain".to_owned()),
        (
            "Host".to_owned(),
            "aom.cn-north-4.myhuaweicloud.com".to_owned(),
        ),
        (
            "X-Sdk-Content-Sha256".to_owned(),
            "UNSIGNED-PAYLOAD".to_owned(),
        ),
        ("X-Sdk-Date".to_owned(), "20261124T120000Z".to_owned()),
    ];
    let sign_body = |body: &[u8]| {
        sign(
            &SignInput {
                method: "POST",
                path: "/v1/p/cms/workflow/wf-1/executions/ex-1/terminate",
                query: &[],
                headers: &headers,
                body,
            },
            "TESTAK",
            "TESTSK",
            &Algorithm::SdkHmacSha256,
        )
        .canonical_request
    };
    let empty = sign_body(b"");
    assert!(
        empty.ends_with("\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        "{empty}"
    );
    let with_body = sign_body(b"hello");
    assert!(with_body.ends_with("\nUNSIGNED-PAYLOAD"), "{with_body}");
}
