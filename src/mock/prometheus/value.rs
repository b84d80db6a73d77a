//! PromQL values as the evaluator produces them, and their JSON as the query API writes
//! it: sample values as strings (`"1"`, `"+Inf"`, `"NaN"`, shortest round-trip decimal
//! like Prometheus' `FormatFloat(f, 'f', -1, 64)`), timestamps in seconds — an integer
//! when whole (as in the AOM examples), else with milliseconds.

use serde_json::{Value as Json, json};

use super::series::Labels;

/// One sample of an instant vector.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Sample {
    pub labels: Labels,
    pub value: f64,
}

/// One series of a range vector: `(timestamp ms, value)` in time order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Points {
    pub labels: Labels,
    pub points: Vec<(i64, f64)>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Scalar(f64),
    Str(String),
    Vector(Vec<Sample>),
    Matrix(Vec<Points>),
}

/// Why an expression that parsed could not be evaluated: both are AOM's 422 `excution`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EvalError {
    /// Valid PromQL outside the subset the mock implements (docs/mock.md).
    Unsupported(String),
    /// Evaluation failed as it would in Prometheus (bad regex, duplicate series, too
    /// many samples).
    Execution(String),
}

/// A sample value as Prometheus writes it.
pub(crate) fn format_value(v: f64) -> String {
    if v.is_nan() {
        "NaN".to_owned()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.to_owned()
    } else {
        // Rust's Display is the shortest round-trip form, never in exponent notation.
        v.to_string()
    }
}

/// A timestamp in seconds: an integer when whole, else with its milliseconds.
pub(crate) fn timestamp(ms: i64) -> Json {
    if ms % 1000 == 0 {
        json!(ms / 1000)
    } else {
        json!(ms as f64 / 1000.0)
    }
}

fn pair(ms: i64, v: f64) -> Json {
    json!([timestamp(ms), format_value(v)])
}

/// `data` of an instant query evaluated at `t_ms`.
pub(crate) fn instant_data(value: &Value, t_ms: i64) -> Json {
    match value {
        Value::Scalar(v) => json!({"resultType": "scalar", "result": pair(t_ms, *v)}),
        Value::Str(s) => json!({"resultType": "string", "result": [timestamp(t_ms), s]}),
        Value::Vector(samples) => {
            let result: Vec<Json> = samples
                .iter()
                .map(|s| json!({"metric": s.labels, "value": pair(t_ms, s.value)}))
                .collect();
            json!({"resultType": "vector", "result": result})
        }
        Value::Matrix(series) => matrix_data(series),
    }
}

/// `data` holding a matrix (a range query, or a range selector queried at an instant).
pub(crate) fn matrix_data(series: &[Points]) -> Json {
    let result: Vec<Json> = series
        .iter()
        .map(|s| {
            let values: Vec<Json> = s.points.iter().map(|(t, v)| pair(*t, *v)).collect();
            json!({"metric": s.labels, "values": values})
        })
        .collect();
    json!({"resultType": "matrix", "result": result})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_timestamps_are_written_as_prometheus_does() {
        assert_eq!(format_value(1.0), "1");
        assert_eq!(format_value(0.5), "0.5");
        assert_eq!(format_value(1e21), "1000000000000000000000");
        assert_eq!(format_value(f64::INFINITY), "+Inf");
        assert_eq!(format_value(f64::NEG_INFINITY), "-Inf");
        assert_eq!(format_value(f64::NAN), "NaN");
        assert_eq!(timestamp(1_630_124_012_000), json!(1_630_124_012));
        assert_eq!(timestamp(1_630_124_012_500), json!(1_630_124_012.5));
    }
}
