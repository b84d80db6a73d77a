//! The family's request parameters: read from the URL query of every method and, for
//! POST, also from an `application/x-www-form-urlencoded` body (as Prometheus' Go
//! `FormValue` reads them: body values first). Times are Unix seconds (fractions to the
//! millisecond) or RFC 3339; `step` is seconds or a Prometheus duration (`15s`, `1m`).
//! Every problem is the documented 400 `bad_param`: `Err(())` here.

use promql_parser::util::parse_duration;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Most points a range query may return per series (Prometheus' limit).
pub(crate) const MAX_POINTS: i64 = 11_000;
/// Longest expression or selector the mock parses: the parser builds one tree level per
/// operator, and a much longer `1+1+…` would exhaust a server thread's stack.
pub(crate) const MAX_QUERY_BYTES: usize = 4_096;

/// The decoded parameters of one request, in the order they count.
#[derive(Debug, Default)]
pub(crate) struct Params(pub Vec<(String, String)>);

impl Params {
    /// The first value of `key`.
    pub fn first(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `key`, in order (`match[]`).
    pub fn all(&self, key: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The non-empty `query`, at most [`MAX_QUERY_BYTES`] long.
    pub fn query(&self) -> Result<&str, ()> {
        self.first("query")
            .filter(|q| !q.trim().is_empty() && q.len() <= MAX_QUERY_BYTES)
            .ok_or(())
    }

    /// Every `match[]` selector, in order; each at most [`MAX_QUERY_BYTES`] long.
    pub fn selectors(&self) -> Result<Vec<&str>, ()> {
        let all = self.all("match[]");
        if all.iter().any(|s| s.len() > MAX_QUERY_BYTES) {
            return Err(());
        }
        Ok(all)
    }

    /// `name` as a time in ms: `Ok(None)` when absent.
    pub fn time(&self, name: &str) -> Result<Option<i64>, ()> {
        self.first(name).map(parse_time).transpose()
    }

    /// `start`, `end` and `step` of a range query, checked as Prometheus checks them:
    /// all present, `end >= start`, `step > 0`, at most [`MAX_POINTS`] points.
    pub fn range(&self) -> Result<(i64, i64, i64), ()> {
        let start = self.time("start")?.ok_or(())?;
        let end = self.time("end")?.ok_or(())?;
        let step = parse_step(self.first("step").ok_or(())?)?;
        let span = end.checked_sub(start).ok_or(())?;
        if span < 0 || step <= 0 || span / step > MAX_POINTS {
            return Err(());
        }
        Ok((start, end, step))
    }
}

/// Unix seconds (with up to millisecond fractions) or RFC 3339, as ms.
pub(crate) fn parse_time(text: &str) -> Result<i64, ()> {
    if let Ok(secs) = text.trim().parse::<f64>() {
        return seconds_to_ms(secs);
    }
    let t = OffsetDateTime::parse(text.trim(), &Rfc3339).map_err(|_| ())?;
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).map_err(|_| ())
}

/// Seconds or a Prometheus duration, as ms.
pub(crate) fn parse_step(text: &str) -> Result<i64, ()> {
    if let Ok(secs) = text.trim().parse::<f64>() {
        return seconds_to_ms(secs);
    }
    let d = parse_duration(text.trim()).map_err(|_| ())?;
    i64::try_from(d.as_millis()).map_err(|_| ())
}

/// Finite seconds within ±292 million years (what a ms `i64` holds, with room for ranges).
fn seconds_to_ms(secs: f64) -> Result<i64, ()> {
    const LIMIT: f64 = 9.2e15; // seconds
    if !secs.is_finite() || secs.abs() > LIMIT {
        return Err(());
    }
    Ok((secs * 1000.0).round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        Params(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn times_and_steps_in_every_documented_and_upstream_form() {
        assert_eq!(parse_time("1630124012"), Ok(1_630_124_012_000));
        assert_eq!(parse_time("1630124012.5"), Ok(1_630_124_012_500));
        assert_eq!(parse_time("2021-08-28T04:13:32Z"), Ok(1_630_124_012_000));
        assert_eq!(parse_time("yesterday"), Err(()));
        assert_eq!(parse_time("NaN"), Err(()));
        assert_eq!(parse_step("15"), Ok(15_000));
        assert_eq!(parse_step("15s"), Ok(15_000));
        assert_eq!(parse_step("1m30s"), Ok(90_000));
        assert_eq!(parse_step("fast"), Err(()));
    }

    #[test]
    fn range_rules() {
        let ok = params(&[("start", "0"), ("end", "60"), ("step", "15s")]);
        assert_eq!(ok.range(), Ok((0, 60_000, 15_000)));
        for bad in [
            params(&[("start", "60"), ("end", "0"), ("step", "15")]),
            params(&[("start", "0"), ("end", "60"), ("step", "0")]),
            params(&[("start", "0"), ("end", "11001"), ("step", "1")]),
            params(&[("start", "0"), ("end", "60")]),
        ] {
            assert_eq!(bad.range(), Err(()), "{bad:?}");
        }
        assert!(
            params(&[("start", "0"), ("end", "11000"), ("step", "1")])
                .range()
                .is_ok()
        );
        assert_eq!(params(&[("query", " ")]).query(), Err(()));
        let long = "1".repeat(MAX_QUERY_BYTES + 1);
        assert_eq!(params(&[("query", &long)]).query(), Err(()));
        assert_eq!(params(&[("match[]", &long)]).selectors(), Err(()));
        let repeated = params(&[("match[]", "a"), ("x", "1"), ("match[]", "b")]);
        assert_eq!(repeated.all("match[]"), ["a", "b"]);
    }
}
