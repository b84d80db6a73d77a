//! The mock's PromQL evaluator: an expression parsed by `promql-parser` evaluated over
//! the synthetic series ([`super::series`]) at one instant or at every step of a range.
//! Exactly the subset docs/mock.md lists; any other valid expression is
//! [`EvalError::Unsupported`] (an honest 422), never a guess.
//!
//! As in Prometheus 3: an instant selector takes each series' latest sample at or before
//! the evaluation time within the 5-minute lookback; a range selector `[r]` takes the
//! samples in `(t - r, t]`; `offset` shifts both; `rate`/`increase` extrapolate as the
//! engine's `extrapolatedRate` does.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use promql_parser::label::Matchers;
use promql_parser::parser::{
    AggregateExpr, BinaryExpr, Call, Expr, LabelModifier, MatrixSelector, Offset, VectorSelector,
};

use super::ops::{self, Grouping};
use super::series::{Labels, SCRAPE_MS, Series, Store};
use super::value::{EvalError, Points, Sample, Value};

/// How far back an instant selector looks for a sample (Prometheus' default).
pub(crate) const LOOKBACK_MS: i64 = 300_000;
/// Deepest expression evaluated (the evaluator recurses once per level).
pub(crate) const MAX_DEPTH: usize = 256;
/// Samples one query may load; beyond, 422 as Prometheus' `query.max-samples` (whose
/// default is 50,000,000: the mock's store is small, its budget too).
pub(crate) const MAX_SAMPLES: usize = 2_000_000;

fn unsupported(what: &str) -> EvalError {
    EvalError::Unsupported(what.to_owned())
}

/// One query's evaluation: the store and what is left of the sample budget.
pub(crate) struct Evaluator<'a> {
    store: &'a Store,
    samples_left: usize,
}

impl<'a> Evaluator<'a> {
    pub fn new(store: &'a Store) -> Self {
        Evaluator {
            store,
            samples_left: MAX_SAMPLES,
        }
    }

    /// `expr` at `t_ms`.
    pub fn instant(&mut self, expr: &Expr, t_ms: i64) -> Result<Value, EvalError> {
        check_depth(expr)?;
        self.eval(expr, t_ms)
    }

    /// `expr` (a scalar or instant vector) at `start, start + step, …` up to `end`,
    /// as one series per label set (a scalar: one series without labels).
    pub fn range(
        &mut self,
        expr: &Expr,
        start: i64,
        end: i64,
        step: i64,
    ) -> Result<Vec<Points>, EvalError> {
        check_depth(expr)?;
        let mut series: BTreeMap<Labels, Vec<(i64, f64)>> = BTreeMap::new();
        let mut t = start;
        while t <= end {
            match self.eval(expr, t)? {
                Value::Scalar(v) => series.entry(Labels::new()).or_default().push((t, v)),
                Value::Vector(samples) => {
                    for s in samples {
                        series.entry(s.labels).or_default().push((t, s.value));
                    }
                }
                Value::Str(_) | Value::Matrix(_) => {
                    return Err(unsupported("a range query of a string or range vector"));
                }
            }
            // Saturating: the last step may lie past `end` near the end of time.
            match t.checked_add(step) {
                Some(next) => t = next,
                None => break,
            }
        }
        Ok(series
            .into_iter()
            .map(|(labels, points)| Points { labels, points })
            .collect())
    }

    fn eval(&mut self, expr: &Expr, t: i64) -> Result<Value, EvalError> {
        let value = match expr {
            Expr::NumberLiteral(n) => Value::Scalar(n.val),
            Expr::StringLiteral(s) => Value::Str(s.val.clone()),
            Expr::Paren(p) => self.eval(&p.expr, t)?,
            Expr::Unary(u) => match self.eval(&u.expr, t)? {
                Value::Scalar(v) => Value::Scalar(-v),
                Value::Vector(samples) => Value::Vector(ops::negate(samples)),
                _ => return Err(unsupported("unary minus on this operand")),
            },
            Expr::VectorSelector(vs) => Value::Vector(self.select(vs, t)?),
            Expr::MatrixSelector(ms) => Value::Matrix(self.select_range(ms, t)?),
            Expr::Aggregate(a) => self.aggregate(a, t)?,
            Expr::Binary(b) => self.binary(b, t)?,
            Expr::Call(c) => self.call(c, t)?,
            Expr::Subquery(_) => return Err(unsupported("subqueries")),
            Expr::Extension(_) => return Err(unsupported("extension expressions")),
        };
        if let Value::Vector(samples) = &value {
            check_unique(samples)?;
        }
        Ok(value)
    }

    /// Counts `n` samples against the budget.
    fn take(&mut self, n: usize) -> Result<(), EvalError> {
        self.samples_left = self.samples_left.checked_sub(n).ok_or_else(|| {
            EvalError::Execution(
                "query processing would load too many samples into memory in query execution"
                    .to_owned(),
            )
        })?;
        Ok(())
    }

    /// The series `vs` selects (`@` and `or` inside braces are outside the subset).
    pub fn matching(&self, vs: &VectorSelector) -> Result<Vec<&'a Series>, EvalError> {
        if vs.at.is_some() {
            return Err(unsupported("the @ modifier"));
        }
        if !vs.matchers.or_matchers.is_empty() {
            return Err(unsupported("`or` between label matchers"));
        }
        let store: &'a Store = self.store;
        Ok(store
            .series
            .iter()
            .filter(|s| matches(vs.name.as_deref(), &vs.matchers, &s.labels))
            .collect())
    }

    fn select(&mut self, vs: &VectorSelector, t: i64) -> Result<Vec<Sample>, EvalError> {
        let at = t.saturating_sub(offset_ms(vs.offset.as_ref()));
        let series = self.matching(vs)?;
        // The latest sample at or before `at`: samples start at the epoch, one per scrape,
        // so it is always within the lookback once `at` is past the epoch.
        let ts = at.div_euclid(SCRAPE_MS) * SCRAPE_MS;
        if ts < 0 || at - ts > LOOKBACK_MS {
            return Ok(Vec::new());
        }
        self.take(series.len())?;
        Ok(series
            .into_iter()
            .map(|s| Sample {
                labels: s.labels.clone(),
                value: s.value_at(ts),
            })
            .collect())
    }

    /// Each selected series' samples in `(t - range, t]` (shifted by `offset`).
    fn select_range(&mut self, ms: &MatrixSelector, t: i64) -> Result<Vec<Points>, EvalError> {
        let end = t.saturating_sub(offset_ms(ms.vs.offset.as_ref()));
        let start = end.saturating_sub(duration_ms(&ms.range));
        let first = (start.div_euclid(SCRAPE_MS) + 1).max(0);
        let last = end.div_euclid(SCRAPE_MS);
        let per_series = usize::try_from(last - first + 1).unwrap_or(0);
        let series = self.matching(&ms.vs)?;
        self.take(per_series.saturating_mul(series.len()))?;
        Ok(series
            .into_iter()
            .map(|s| {
                let points = (first..=last)
                    .map(|k| (k * SCRAPE_MS, s.value_at(k * SCRAPE_MS)))
                    .collect();
                Points {
                    labels: s.labels.clone(),
                    points,
                }
            })
            .collect())
    }

    fn aggregate(&mut self, a: &AggregateExpr, t: i64) -> Result<Value, EvalError> {
        let op = a.op.to_string();
        if a.param.is_some() || !matches!(op.as_str(), "sum" | "avg" | "min" | "max" | "count") {
            return Err(EvalError::Unsupported(format!("the aggregation {op}")));
        }
        let Value::Vector(samples) = self.eval(&a.expr, t)? else {
            return Err(unsupported("an aggregation over a non-vector"));
        };
        let grouping = match &a.modifier {
            Some(LabelModifier::Exclude(l)) => Grouping::Without(&l.labels),
            Some(LabelModifier::Include(l)) => Grouping::By(&l.labels),
            None => Grouping::By(&[]),
        };
        Ok(Value::Vector(ops::aggregate(&op, samples, &grouping)?))
    }

    fn binary(&mut self, b: &BinaryExpr, t: i64) -> Result<Value, EvalError> {
        let op = b.op.to_string();
        let return_bool = b.modifier.as_ref().is_some_and(|m| m.return_bool);
        let lhs = self.eval(&b.lhs, t)?;
        let rhs = self.eval(&b.rhs, t)?;
        match (lhs, rhs) {
            (Value::Scalar(l), Value::Scalar(r)) => {
                Ok(Value::Scalar(ops::scalar_scalar(&op, l, r)?))
            }
            (Value::Vector(v), Value::Scalar(s)) => Ok(Value::Vector(ops::vector_scalar(
                &op,
                v,
                s,
                false,
                return_bool,
            )?)),
            (Value::Scalar(s), Value::Vector(v)) => Ok(Value::Vector(ops::vector_scalar(
                &op,
                v,
                s,
                true,
                return_bool,
            )?)),
            (Value::Vector(_), Value::Vector(_)) => Err(EvalError::Unsupported(format!(
                "the operator {op} between two vectors"
            ))),
            _ => Err(EvalError::Unsupported(format!(
                "the operator {op} between these operands"
            ))),
        }
    }

    fn call(&mut self, c: &Call, t: i64) -> Result<Value, EvalError> {
        let args = &c.args.args;
        match c.func.name {
            "vector" => match self.eval(arg(args, 0)?, t)? {
                Value::Scalar(v) => Ok(Value::Vector(vec![Sample {
                    labels: Labels::new(),
                    value: v,
                }])),
                _ => Err(unsupported("vector() of a non-scalar")),
            },
            "time" => Ok(Value::Scalar(t as f64 / 1000.0)),
            "scalar" => match self.eval(arg(args, 0)?, t)? {
                Value::Vector(s) if s.len() == 1 => Ok(Value::Scalar(s[0].value)),
                Value::Vector(_) => Ok(Value::Scalar(f64::NAN)),
                _ => Err(unsupported("scalar() of a non-vector")),
            },
            name @ ("rate" | "increase") => {
                let Expr::MatrixSelector(ms) = arg(args, 0)? else {
                    return Err(EvalError::Unsupported(format!("{name}() of a subquery")));
                };
                self.rate(ms, t, name == "rate")
            }
            "label_replace" => self.label_replace(args, t),
            other => Err(EvalError::Unsupported(format!("the function {other}()"))),
        }
    }

    /// `rate(ms)` or `increase(ms)` at `t`, `__name__` dropped.
    fn rate(&mut self, ms: &MatrixSelector, t: i64, is_rate: bool) -> Result<Value, EvalError> {
        let end = t.saturating_sub(offset_ms(ms.vs.offset.as_ref()));
        let range = duration_ms(&ms.range);
        let mut out = Vec::new();
        for Points { mut labels, points } in self.select_range(ms, t)? {
            if let Some(v) = extrapolated_rate(&points, end.saturating_sub(range), end, is_rate) {
                labels.remove("__name__");
                out.push(Sample { labels, value: v });
            }
        }
        Ok(Value::Vector(out))
    }

    /// `label_replace(v, dst, replacement, src, regex)`.
    fn label_replace(&mut self, args: &[Box<Expr>], t: i64) -> Result<Value, EvalError> {
        let Value::Vector(samples) = self.eval(arg(args, 0)?, t)? else {
            return Err(unsupported("label_replace() of a non-vector"));
        };
        let mut text = Vec::with_capacity(4);
        for i in 1..=4 {
            match self.eval(arg(args, i)?, t)? {
                Value::Str(s) => text.push(s),
                _ => return Err(unsupported("label_replace() with a non-string argument")),
            }
        }
        let [dst, replacement, src, regex] = <[String; 4]>::try_from(text)
            .map_err(|_| unsupported("label_replace() with these arguments"))?;
        Ok(Value::Vector(replace_labels(
            samples,
            &dst,
            &replacement,
            &src,
            &regex,
        )?))
    }
}

/// Refuses expressions nested deeper than [`MAX_DEPTH`] before the recursive evaluation
/// sees them (`1+1+…+1` is as deep as it is long); measured without recursion.
fn check_depth(expr: &Expr) -> Result<(), EvalError> {
    let mut stack = vec![(expr, 1usize)];
    while let Some((e, depth)) = stack.pop() {
        if depth > MAX_DEPTH {
            return Err(EvalError::Unsupported(format!(
                "expressions nested more than {MAX_DEPTH} levels"
            )));
        }
        let children: Vec<&Expr> = match e {
            Expr::Aggregate(a) => [Some(&*a.expr), a.param.as_deref()]
                .into_iter()
                .flatten()
                .collect(),
            Expr::Unary(u) => vec![&*u.expr],
            Expr::Binary(b) => vec![&*b.lhs, &*b.rhs],
            Expr::Paren(p) => vec![&*p.expr],
            Expr::Subquery(q) => vec![&*q.expr],
            Expr::Call(c) => c.args.args.iter().map(AsRef::as_ref).collect(),
            _ => Vec::new(),
        };
        stack.extend(children.into_iter().map(|c| (c, depth + 1)));
    }
    Ok(())
}

fn arg(args: &[Box<Expr>], i: usize) -> Result<&Expr, EvalError> {
    args.get(i)
        .map(AsRef::as_ref)
        .ok_or_else(|| unsupported("a function call with missing arguments"))
}

/// Whether a series with `labels` is selected by the metric name and matchers (a label a
/// series lacks matches as the empty string).
fn matches(name: Option<&str>, matchers: &Matchers, labels: &Labels) -> bool {
    let get = |k: &str| labels.get(k).map_or("", String::as_str);
    name.is_none_or(|n| get("__name__") == n)
        && matchers.matchers.iter().all(|m| m.is_match(get(&m.name)))
}

fn duration_ms(d: &Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 4)
}

fn offset_ms(offset: Option<&Offset>) -> i64 {
    match offset {
        Some(Offset::Pos(d)) => duration_ms(d),
        Some(Offset::Neg(d)) => -duration_ms(d),
        None => 0,
    }
}

/// Prometheus' `extrapolatedRate` for a counter over `(start, end]` (ms): the increase
/// between the first and last sample (resets corrected), extrapolated towards the window's
/// edges by at most 1.1 average sample intervals (else half of one), and not below zero;
/// per second for `rate`. `None` with fewer than two samples. The factor is applied as
/// `× extrapolated ÷ sampled ÷ range` (Prometheus computes the quotient first): for the
/// synthetic counters the result is then exact.
fn extrapolated_rate(points: &[(i64, f64)], start: i64, end: i64, is_rate: bool) -> Option<f64> {
    let (&(first_t, first_v), &(last_t, _)) = (points.first()?, points.last()?);
    if points.len() < 2 {
        return None;
    }
    let mut increase = 0.0;
    for w in points.windows(2) {
        let (prev, cur) = (w[0].1, w[1].1);
        increase += if cur < prev { cur } else { cur - prev };
    }
    let secs = |ms: i64| ms as f64 / 1000.0;
    let sampled = secs(last_t - first_t);
    let average = sampled / (points.len() - 1) as f64;
    let mut to_start = secs(first_t - start);
    let mut to_end = secs(end - last_t);
    let threshold = average * 1.1;
    if to_start >= threshold {
        to_start = average / 2.0;
    }
    // A counter is never negative: extrapolate no further back than its zero point.
    if increase > 0.0 && first_v >= 0.0 {
        to_start = to_start.min(sampled * (first_v / increase));
    }
    if to_end >= threshold {
        to_end = average / 2.0;
    }
    let mut value = increase * (sampled + to_start + to_end) / sampled;
    if is_rate {
        value /= secs(end - start);
    }
    Some(value)
}

/// Prometheus' `label_replace`: where `regex` (anchored) matches the value of `src`, `dst`
/// becomes the expansion of `replacement` (removed when that is empty).
fn replace_labels(
    samples: Vec<Sample>,
    dst: &str,
    replacement: &str,
    src: &str,
    regex: &str,
) -> Result<Vec<Sample>, EvalError> {
    let re = regex::Regex::new(&format!("^(?s:{regex})$")).map_err(|_| {
        EvalError::Execution(format!(
            "invalid regular expression in label_replace(): {regex}"
        ))
    })?;
    let valid_name = dst
        .chars()
        .enumerate()
        .all(|(i, c)| c == '_' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit()));
    if dst.is_empty() || !valid_name {
        return Err(EvalError::Execution(format!(
            "invalid destination label name in label_replace(): {dst}"
        )));
    }
    Ok(samples
        .into_iter()
        .map(|mut s| {
            let value = s.labels.get(src).map_or("", String::as_str).to_owned();
            if let Some(caps) = re.captures(&value) {
                let mut out = String::new();
                caps.expand(replacement, &mut out);
                if out.is_empty() {
                    s.labels.remove(dst);
                } else {
                    s.labels.insert(dst.to_owned(), out);
                }
            }
            s
        })
        .collect())
}

/// Two samples with one label set make the vector ambiguous: Prometheus refuses it.
fn check_unique(samples: &[Sample]) -> Result<(), EvalError> {
    let mut seen = BTreeSet::new();
    if samples.iter().all(|s| seen.insert(&s.labels)) {
        Ok(())
    } else {
        Err(EvalError::Execution(
            "vector cannot contain metrics with the same labelset".to_owned(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2021-08-28T04:13:32Z, a multiple of the scrape interval (ms).
    const T: i64 = 1_630_124_010_000;

    fn eval_at(query: &str, t: i64) -> Result<Value, EvalError> {
        let store = Store::synthetic();
        let expr = promql_parser::parser::parse(query).expect("parses");
        Evaluator::new(&store).instant(&expr, t)
    }

    /// The vector `query` gives at `t`, as (label pairs, value).
    fn vector(query: &str, t: i64) -> Vec<(Vec<(String, String)>, f64)> {
        match eval_at(query, t) {
            Ok(Value::Vector(samples)) => samples
                .into_iter()
                .map(|s| (s.labels.into_iter().collect(), s.value))
                .collect(),
            other => panic!("{query}: {other:?}"),
        }
    }

    fn labels(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn aggregations_equal_hand_computed_results() {
        assert_eq!(vector("sum(up)", T), [(labels(&[]), 2.0)]);
        assert_eq!(
            vector("avg by (job) (up)", T),
            [
                (labels(&[("job", "node")]), 0.5),
                (labels(&[("job", "prometheus")]), 1.0)
            ]
        );
        assert_eq!(
            vector("count(aom_node_status != 0)", T),
            [(labels(&[]), 1.0)]
        );
        assert_eq!(
            vector("max without (nodeName) (aom_node_cpu_usage) - 25.5", T),
            [(labels(&[]), 49.0)]
        );
        assert_eq!(
            vector(r#"up{job=~"n.*", instance!~".*-2.*"}"#, T),
            [(
                labels(&[
                    ("__name__", "up"),
                    ("instance", "node-1:9100"),
                    ("job", "node")
                ]),
                1.0
            )]
        );
        assert_eq!(
            vector("aom_node_cpu_usage > bool 50", T),
            [
                (labels(&[("nodeName", "node-1")]), 0.0),
                (labels(&[("nodeName", "node-2")]), 1.0)
            ]
        );
    }

    #[test]
    fn rate_and_increase_equal_hand_computed_results() {
        // Counters grow 2, 1 and 0.5 per second: rate is exactly that, at any instant.
        let by_code = "sum by (code) (rate(aom_http_requests_total[5m]))";
        let expected = [
            (labels(&[("code", "200")]), 3.0),
            (labels(&[("code", "500")]), 0.5),
        ];
        assert_eq!(vector(by_code, T), expected);
        assert_eq!(vector(by_code, T + 7_000), expected);
        let increase = r#"increase(aom_http_requests_total{code="500"}[5m] offset 1m)"#;
        let got = vector(increase, T);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].1, 150.0);
        // 60 s after the epoch: samples at 0..=60 s, 0 → 120 for 2/s; the counter's zero
        // point stops extrapolation at the first sample: 120 over the 300 s window.
        let early = r#"rate(aom_http_requests_total{code="200",method="GET"}[5m])"#;
        assert_eq!(vector(early, 60_000)[0].1, 0.4);
    }

    #[test]
    fn a_range_is_evaluated_at_every_step() {
        let store = Store::synthetic();
        let expr = promql_parser::parser::parse("sum(aom_node_cpu_usage)").unwrap();
        let series = Evaluator::new(&store)
            .range(&expr, T, T + 30_000, 15_000)
            .unwrap();
        assert_eq!(
            series,
            [Points {
                labels: Labels::new(),
                points: vec![(T, 100.0), (T + 15_000, 100.0), (T + 30_000, 100.0)],
            }]
        );
    }

    #[test]
    fn what_cannot_be_executed_says_why() {
        let bad_regex = r#"label_replace(vector(1), "dst", "$1", "src", "(")"#;
        assert!(
            matches!(eval_at(bad_regex, T), Err(EvalError::Execution(m)) if m.contains("regular expression"))
        );
        let twins = r#"label_replace(aom_node_cpu_usage, "nodeName", "same", "", "")"#;
        assert!(
            matches!(eval_at(twins, T), Err(EvalError::Execution(m)) if m.contains("same labelset"))
        );
        assert!(
            matches!(eval_at("rate(up[1000d])", T), Err(EvalError::Execution(m)) if m.contains("too many samples"))
        );
        for outside in [
            "topk(1, up)",
            "up * up",
            "up @ 100",
            "max_over_time(up[5m:1m])",
            "abs(up)",
        ] {
            assert!(
                matches!(eval_at(outside, T), Err(EvalError::Unsupported(_))),
                "{outside}"
            );
        }
        let replaced = vector(
            r#"label_replace(vector(1), "dst", "a-$1", "src", "(.*)")"#,
            T,
        );
        assert_eq!(replaced, [(labels(&[("dst", "a-")]), 1.0)]);
    }
}
