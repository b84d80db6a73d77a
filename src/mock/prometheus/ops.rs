//! The operators of the mock's PromQL subset over evaluated values: aggregations
//! (`sum`, `avg`, `min`, `max`, `count`, with `by`/`without`), binary operators between
//! scalars and between a vector and a scalar (arithmetic, and comparisons with or
//! without `bool`), unary minus. Semantics follow Prometheus' engine: arithmetic and
//! `bool` comparisons drop `__name__`, a filtering comparison keeps the vector's value.

use std::collections::BTreeMap;

use super::series::Labels;
use super::value::{EvalError, Sample};

const NAME: &str = "__name__";

/// `by (labels)` or `without (labels)`.
pub(crate) enum Grouping<'a> {
    By(&'a [String]),
    Without(&'a [String]),
}

/// The labels `sample` is grouped by.
fn group_key(labels: &Labels, grouping: &Grouping<'_>) -> Labels {
    match grouping {
        Grouping::By(names) => labels
            .iter()
            .filter(|(k, _)| names.contains(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        Grouping::Without(names) => labels
            .iter()
            .filter(|(k, _)| *k != NAME && !names.contains(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    }
}

/// `op` (`sum`, `avg`, `min`, `max`, `count`) over `samples`, one output per group,
/// ordered by labels.
pub(crate) fn aggregate(
    op: &str,
    samples: Vec<Sample>,
    grouping: &Grouping<'_>,
) -> Result<Vec<Sample>, EvalError> {
    // (sum, count, min, max) per group.
    let mut groups: BTreeMap<Labels, (f64, f64, f64, f64)> = BTreeMap::new();
    for s in samples {
        let acc =
            groups
                .entry(group_key(&s.labels, grouping))
                .or_insert((0.0, 0.0, f64::NAN, f64::NAN));
        acc.0 += s.value;
        acc.1 += 1.0;
        // Prometheus: a NaN is replaced by any number (`min`/`max` skip NaN if they can).
        acc.2 = if acc.2.is_nan() || s.value < acc.2 {
            s.value
        } else {
            acc.2
        };
        acc.3 = if acc.3.is_nan() || s.value > acc.3 {
            s.value
        } else {
            acc.3
        };
    }
    let pick = |(sum, count, min, max): (f64, f64, f64, f64)| match op {
        "sum" => Ok(sum),
        "avg" => Ok(sum / count),
        "count" => Ok(count),
        "min" => Ok(min),
        "max" => Ok(max),
        other => Err(EvalError::Unsupported(format!("the aggregation {other}"))),
    };
    groups
        .into_iter()
        .map(|(labels, acc)| {
            Ok(Sample {
                labels,
                value: pick(acc)?,
            })
        })
        .collect()
}

/// The comparison operators.
fn is_comparison(op: &str) -> bool {
    matches!(op, "==" | "!=" | ">" | "<" | ">=" | "<=")
}

/// `l op r` for two numbers: the arithmetic result, or for a comparison 1/0.
fn apply(op: &str, l: f64, r: f64) -> Result<f64, EvalError> {
    let truth = |b: bool| if b { 1.0 } else { 0.0 };
    Ok(match op {
        "+" => l + r,
        "-" => l - r,
        "*" => l * r,
        "/" => l / r,
        // Go's math.Mod and Rust's `%` on floats agree: the sign of the dividend.
        "%" => l % r,
        "^" => l.powf(r),
        "==" => truth(l == r),
        "!=" => truth(l != r),
        ">" => truth(l > r),
        "<" => truth(l < r),
        ">=" => truth(l >= r),
        "<=" => truth(l <= r),
        other => {
            return Err(EvalError::Unsupported(format!(
                "the operator {other} between these operands"
            )));
        }
    })
}

/// Two scalars (a comparison between scalars always carries `bool`: the parser says so).
pub(crate) fn scalar_scalar(op: &str, l: f64, r: f64) -> Result<f64, EvalError> {
    apply(op, l, r)
}

/// A vector and a scalar; `scalar_left` when the scalar is the left operand.
pub(crate) fn vector_scalar(
    op: &str,
    samples: Vec<Sample>,
    scalar: f64,
    scalar_left: bool,
    return_bool: bool,
) -> Result<Vec<Sample>, EvalError> {
    let comparison = is_comparison(op);
    let mut out = Vec::with_capacity(samples.len());
    for mut s in samples {
        let (l, r) = if scalar_left {
            (scalar, s.value)
        } else {
            (s.value, scalar)
        };
        let result = apply(op, l, r)?;
        if comparison && !return_bool {
            // A filter: the vector's own value is kept, whichever side it is on.
            if result == 1.0 {
                out.push(s);
            }
            continue;
        }
        s.labels.remove(NAME);
        s.value = result;
        out.push(s);
    }
    Ok(out)
}

/// `-v`: every value negated, `__name__` dropped.
pub(crate) fn negate(samples: Vec<Sample>) -> Vec<Sample> {
    samples
        .into_iter()
        .map(|mut s| {
            s.labels.remove(NAME);
            s.value = -s.value;
            s
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(labels: &[(&str, &str)], value: f64) -> Sample {
        Sample {
            labels: labels
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            value,
        }
    }

    #[test]
    fn aggregations_group_by_and_without() {
        let up = vec![
            sample(&[("__name__", "up"), ("job", "a"), ("i", "1")], 1.0),
            sample(&[("__name__", "up"), ("job", "a"), ("i", "2")], 0.0),
            sample(&[("__name__", "up"), ("job", "b"), ("i", "3")], 1.0),
        ];
        let by = ["job".to_owned()];
        let avg = aggregate("avg", up.clone(), &Grouping::By(&by)).unwrap();
        assert_eq!(
            avg,
            [sample(&[("job", "a")], 0.5), sample(&[("job", "b")], 1.0)]
        );
        let without = ["i".to_owned()];
        let count = aggregate("count", up.clone(), &Grouping::Without(&without)).unwrap();
        assert_eq!(
            count,
            [sample(&[("job", "a")], 2.0), sample(&[("job", "b")], 1.0)]
        );
        let all = aggregate("max", up.clone(), &Grouping::By(&[])).unwrap();
        assert_eq!(all, [sample(&[], 1.0)]);
        assert!(aggregate("stddev", up, &Grouping::By(&[])).is_err());
    }

    #[test]
    fn comparisons_filter_or_answer_bool_and_arithmetic_drops_the_name() {
        let v = vec![
            sample(&[("__name__", "m"), ("k", "x")], 1.0),
            sample(&[("__name__", "m"), ("k", "y")], 5.0),
        ];
        let kept = vector_scalar(">", v.clone(), 2.0, false, false).unwrap();
        assert_eq!(kept, [sample(&[("__name__", "m"), ("k", "y")], 5.0)]);
        let kept = vector_scalar("<", v.clone(), 2.0, true, false).unwrap();
        assert_eq!(kept, [sample(&[("__name__", "m"), ("k", "y")], 5.0)]);
        let bools = vector_scalar(">", v.clone(), 2.0, false, true).unwrap();
        assert_eq!(
            bools,
            [sample(&[("k", "x")], 0.0), sample(&[("k", "y")], 1.0)]
        );
        let times = vector_scalar("*", v, 2.0, true, false).unwrap();
        assert_eq!(
            times,
            [sample(&[("k", "x")], 2.0), sample(&[("k", "y")], 10.0)]
        );
        assert_eq!(scalar_scalar("^", 2.0, 10.0).unwrap(), 1024.0);
    }
}
