//! Failure messages: short enough for a CI log, located like rustc
//! (`--> specs/stop-execution.yaml:40:5`), with expected vs actual and a response excerpt.
//!
//! Everything taken from the endpoint (body, header values, JSON values, schema messages,
//! error texts) is redacted first and cut short after, so a long secret cut at the limit
//! cannot leak its first part, and a huge body cannot make a huge message.

use std::borrow::Cow;
use std::fmt::Write as _;

use colored::Colorize;

use super::mismatch::describe;
use super::redact::{MARKER, Redactor};
use super::text::{VALUE_MAX, clip, cut_point, one_line};
use super::{Failure, FailureClass, Problem, SetupCause};
use crate::check::Mismatch;
use crate::http::{Rendered, Response, max_body_text};
use crate::spec::Location;

/// Longest response excerpt, in characters.
const EXCERPT: usize = 300;
/// Longest problem or transport error text, in characters.
const PROBLEM_MAX: usize = 2 * VALUE_MAX;

/// The credential values the failing request carried (see `Rendered::sent_secrets`)
/// added to the target's redactor.
pub fn redactor_for<'a>(f: &Failure, target: &'a Redactor) -> Cow<'a, Redactor> {
    target.with_extra(&f.request.sent_secrets)
}

/// A short category: the JUnit failure type.
pub fn kind(f: &Failure) -> &'static str {
    match &f.problem {
        Problem::Mismatch { mismatches, .. } => {
            mismatches.first().map_or("mismatch", Mismatch::kind)
        }
        Problem::Transport(_) => match f.class() {
            FailureClass::Timeout => "timeout",
            _ => "transport",
        },
        Problem::Setup { .. } => "setup",
        Problem::Recorded(rec) => rec.kind,
    }
}

/// The first real problem on one line (the JUnit failure message): the first
/// mismatch, the transport error, or the setup problem. Redacted with `r`.
pub fn summary(f: &Failure, r: &Redactor) -> String {
    match &f.problem {
        Problem::Mismatch { mismatches, .. } => mismatches
            .first()
            .map_or_else(|| "the response does not match".into(), |m| describe(m, r)),
        Problem::Transport(error) => problem(&error.to_string(), r),
        Problem::Setup {
            step,
            operation,
            cause,
            response,
            ..
        } => format!(
            "setup step {}: {}",
            step + 1,
            problem(&setup_cause(operation, cause, response.as_ref()), r)
        ),
        Problem::Recorded(rec) => rec.summary.clone(),
    }
}

/// What a setup step's failure means, in words.
fn setup_cause(operation: &str, cause: &SetupCause, response: Option<&Response>) -> String {
    match cause {
        SetupCause::Transport(e) => e.to_string(),
        SetupCause::Status { wanted } => {
            let wanted = wanted.map_or("a 2xx status".to_owned(), |s| format!("status {s}"));
            let got = response.map_or(0, |r| r.status);
            format!("{operation} answered {got}, expected {wanted}")
        }
        SetupCause::NotJson { error } => format!("cannot capture: body is not JSON ({error})"),
        SetupCause::Capture { variable, pointer } => {
            format!("cannot capture `{variable}`: nothing at {pointer} in the response")
        }
        SetupCause::PollEnded {
            until,
            tries,
            within,
        } => {
            let until: Vec<String> = until.iter().map(u16::to_string).collect();
            let got = response.map_or(0, |r| r.status);
            format!(
                "{operation} still answered {got} after {tries} calls in {:?}, polled until status {}",
                within,
                until.join(" or ")
            )
        }
    }
}

/// The message: where the case is, what was sent, what is off, what came back;
/// `color` adds ANSI colours for a terminal. Every text from the endpoint is redacted
/// with `r` (see [`redactor_for`]) before it is shortened.
pub fn render(f: &Failure, case_at: &Location, color: bool, r: &Redactor) -> String {
    let paint = |s: String, f: fn(&str) -> colored::ColoredString| {
        if color { f(&s).to_string() } else { s }
    };
    if let Problem::Recorded(rec) = &f.problem {
        // Written (located, without colours) when the failure happened.
        return rec.message.clone();
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {case_at}",
        paint("-->".into(), |s| s.blue().bold())
    );
    let request = &f.request;
    match &f.problem {
        Problem::Mismatch {
            response,
            mismatches,
        } => {
            let _ = writeln!(
                out,
                "    {} → {} in {}{}",
                request_line(request, r),
                response.status,
                human(response.elapsed),
                request_id(response, r)
            );
            for m in mismatches {
                let _ = writeln!(out, "    {}", paint(describe(m, r), |s| s.red()));
            }
            response_lines(&mut out, request, response, r);
        }
        Problem::Transport(error) => {
            let _ = writeln!(out, "    {}", request_line(request, r));
            let _ = writeln!(
                out,
                "    {}",
                paint(problem(&error.to_string(), r), |s| s.red())
            );
            let _ = writeln!(out, "    {}", sent(request, r));
        }
        Problem::Setup {
            step,
            at,
            operation,
            cause,
            response,
        } => {
            let _ = writeln!(
                out,
                "    setup step {} at {at}: {}{}",
                step + 1,
                request_line(request, r),
                response
                    .as_ref()
                    .map_or(String::new(), |resp| request_id(resp, r))
            );
            let text = setup_cause(operation, cause, response.as_ref());
            let _ = writeln!(out, "    {}", paint(problem(&text, r), |s| s.red()));
            if let Some(resp) = response {
                if resp.truncated {
                    let _ = writeln!(
                        out,
                        "    {}",
                        paint(describe(&Mismatch::BodyTooLarge, r), |s| s.red())
                    );
                }
                response_lines(&mut out, request, resp, r);
            } else {
                let _ = writeln!(out, "    {}", sent(request, r));
            }
        }
        Problem::Recorded(_) => {}
    }
    out.truncate(out.trim_end().len());
    out
}

/// The header AOM and its API gateway put the request id in.
const REQUEST_ID: &str = "x-request-id";

/// The header that asks an endpoint for a fault.
const FAULT_HEADER: &str = "x-aom-mock-fault";

/// ` [X-Request-Id: …]` when the endpoint sent one: the first thing a support ticket asks
/// for.
fn request_id(resp: &Response, r: &Redactor) -> String {
    resp.headers.get(REQUEST_ID).map_or(String::new(), |v| {
        let id = String::from_utf8_lossy(v.as_bytes());
        format!(
            " [X-Request-Id: {}]",
            clip(&one_line(&r.redact(&id)), VALUE_MAX)
        )
    })
}

/// After the mismatches: where a redirect pointed, a fault header the endpoint ignored,
/// the body excerpt, and what was sent.
fn response_lines(out: &mut String, request: &Rendered, resp: &Response, r: &Redactor) {
    if let Some(to) = redirect(resp, r) {
        let _ = writeln!(out, "    {to}");
    }
    let fault = request
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(FAULT_HEADER));
    if let Some((name, value)) = fault.filter(|_| (200..300).contains(&resp.status)) {
        let _ = writeln!(
            out,
            "    the endpoint ignored the fault header ({name}: {}) and answered {}",
            clip(&one_line(&r.redact(value)), VALUE_MAX),
            resp.status
        );
    }
    let _ = writeln!(out, "    response: {}", excerpt(resp, r));
    let _ = writeln!(out, "    {}", sent(request, r));
}

/// `sent: Content-Type: …; X-Auth-Token: [REDACTED]; body {…}` on one line: credential
/// header values are replaced whole, everything else is redacted and cut short.
fn sent(request: &Rendered, r: &Redactor) -> String {
    let mut parts: Vec<String> = request
        .headers
        .iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case("host"))
        .map(|(k, v)| {
            let secret = crate::http::SECRET_HEADERS
                .iter()
                .any(|s| k.eq_ignore_ascii_case(s));
            let value = if secret {
                MARKER.to_owned()
            } else {
                clip(&one_line(&r.redact(v)), VALUE_MAX)
            };
            format!("{k}: {value}")
        })
        .collect();
    if let Some(body) = request.body.as_deref().filter(|b| !b.is_empty()) {
        let text = String::from_utf8_lossy(body);
        parts.push(format!(
            "body {}",
            clip(&one_line(&r.redact(&text)), VALUE_MAX)
        ));
    }
    clip(&format!("sent: {}", parts.join("; ")), 4 * VALUE_MAX)
}

/// `POST /v1/…` redacted and cut to [`VALUE_MAX`]: a captured id can be megabytes.
pub fn request_line(request: &Rendered, r: &Redactor) -> String {
    clip(&one_line(&r.redact(&request.line())), VALUE_MAX)
}

/// For a 3xx answer, where it pointed (redacted, cut short) and that it was not followed.
fn redirect(resp: &Response, r: &Redactor) -> Option<String> {
    if !(300..400).contains(&resp.status) {
        return None;
    }
    let to = resp
        .headers
        .get(reqwest::header::LOCATION)
        .map_or("(no Location header)".into(), |v| {
            String::from_utf8_lossy(v.as_bytes()).into_owned()
        });
    Some(format!(
        "redirected to {} (not followed: requests carry credentials, and AOM does not redirect)",
        clip(&one_line(&r.redact(&to)), VALUE_MAX)
    ))
}

/// A problem text (may quote the endpoint: a serde error, a URL, a reason): redacted,
/// on one line, cut to [`PROBLEM_MAX`].
fn problem(text: &str, r: &Redactor) -> String {
    let line = one_line(&r.redact(text));
    match cut_point(&line, PROBLEM_MAX) {
        None => line,
        Some(at) => format!("{}… ({} bytes)", &line[..at], text.len()),
    }
}

/// `0.4ms`, `12.3ms`, `2.05s`.
fn human(d: std::time::Duration) -> String {
    if d.as_secs() == 0 {
        format!("{:.1}ms", d.as_secs_f64() * 1000.0)
    } else {
        format!("{:.2}s", d.as_secs_f64())
    }
}

/// The most of a body redacted for an excerpt (plus [`Redactor::reach`]): the excerpt
/// shows far less, and redacting 4 MiB for every failing case would be slow.
const EXCERPT_WINDOW: usize = 16 * 1024;

/// The body as the endpoint sent it (not re-serialized: key order, duplicates and
/// spacing are evidence), redacted, then put on one line and cut to [`EXCERPT`]
/// characters.
pub fn excerpt(resp: &Response, r: &Redactor) -> String {
    if resp.body.is_empty() {
        return "(empty body)".into();
    }
    let window = &resp.body[..resp.body.len().min(EXCERPT_WINDOW + r.reach())];
    let line = one_line(&r.redact(&String::from_utf8_lossy(window)));
    let cut = cut_point(&line, EXCERPT).or((window.len() < resp.body.len()).then_some(line.len()));
    let shown = &line[..cut.unwrap_or(line.len())];
    if resp.truncated {
        format!("{shown}… (over {})", max_body_text())
    } else if cut.is_some() {
        format!("{shown}… ({} bytes)", resp.body.len())
    } else {
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(body: &str) -> Response {
        Response {
            status: 400,
            headers: Default::default(),
            body: body.as_bytes().to_vec(),
            truncated: false,
            elapsed: Default::default(),
        }
    }

    #[test]
    fn the_excerpt_is_the_raw_body_on_one_line() {
        let r = Redactor::default();
        assert_eq!(
            excerpt(&resp("{\n  \"b\": 1,\n  \"a\": 2, \"a\": 3\n}\n"), &r),
            "{ \"b\": 1, \"a\": 2, \"a\": 3 }"
        );
        assert_eq!(excerpt(&resp("x\u{1b}[31my"), &r), "x\u{FFFD}[31my");
        assert_eq!(excerpt(&resp(""), &r), "(empty body)");
        let long = "z".repeat(1000);
        assert_eq!(
            excerpt(&resp(&long), &r),
            format!("{}… (1000 bytes)", "z".repeat(EXCERPT))
        );
        let mut big = resp("[1, 2");
        big.truncated = true;
        assert_eq!(excerpt(&big, &r), "[1, 2… (over 4 MiB)");
    }

    #[test]
    fn a_secret_at_the_cut_is_redacted_not_halved() {
        let secret = "S3CRET-".repeat(300);
        let r = Redactor::new([secret.clone()]);
        let body = format!("{{\"error_msg\": \"{} token {secret}\"}}", "x".repeat(250));
        let text = excerpt(&resp(&body), &r);
        assert!(text.contains("token [REDACTED]"), "{text}");
        assert!(!text.contains("S3CRET"), "{text}");
        // A cut falling inside the marker keeps the marker whole.
        assert_eq!(clip("abc[REDACTED]def", 5), "abc[REDACTED]… (16 bytes)");
        assert_eq!(clip("abc[REDACTED]", 5), "abc[REDACTED]");
        assert_eq!(clip("abcdef", 3), "abc… (6 bytes)");
        assert_eq!(clip("é".repeat(4).as_str(), 2), "éé… (8 bytes)");
    }

    #[test]
    fn multi_byte_text_is_cut_between_characters() {
        let r = Redactor::default();
        // The CN documentation's error messages are Chinese: 3 bytes a character, so the
        // window after the cut used to end inside one.
        for n in [299, 300, 301, 302, 1000] {
            let body = format!(r#"{{"error_msg":"{}"}}"#, "终止任务失败".repeat(n));
            let text = excerpt(&resp(&body), &r);
            assert!(
                text.ends_with(&format!("… ({} bytes)", body.len())),
                "{text}"
            );
        }
        for len in 195..210 {
            let text = "密".repeat(len);
            let clipped = clip(&text, VALUE_MAX);
            assert!(
                clipped.starts_with(&"密".repeat(VALUE_MAX.min(len))),
                "{clipped}"
            );
        }
        let binary: Vec<u8> = (0..2000u32).map(|i| (i * 37 % 256) as u8).collect();
        let mut b = resp("");
        b.body = binary;
        assert!(excerpt(&b, &r).contains("bytes)"));
        assert_eq!(
            problem(&"é".repeat(PROBLEM_MAX + 5), &r),
            format!(
                "{}… ({} bytes)",
                "é".repeat(PROBLEM_MAX),
                2 * (PROBLEM_MAX + 5)
            )
        );
    }
}
