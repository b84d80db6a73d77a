//! The synthetic series every project and Prometheus instance of the mock serves: a small,
//! fixed, documented set (docs/mock.md, "Prometheus query: synthetic series"), so every
//! query result can be computed by hand. Read-only: the family has no write path.
//!
//! Samples exist every [`SCRAPE_MS`] from the Unix epoch on, at timestamps that are whole
//! multiples of it. A gauge has one value at every sample; a counter grows linearly,
//! `per_second × seconds since the epoch`, so `rate` over any window is `per_second` and
//! `increase` over `[r]` is `per_second × r`.

use std::collections::{BTreeMap, BTreeSet};

/// Label name → value; `__name__` is the metric name.
pub(crate) type Labels = BTreeMap<String, String>;

/// The scrape interval: one sample per series every 15 s.
pub(crate) const SCRAPE_MS: i64 = 15_000;

/// How a series' value moves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Kind {
    Gauge(f64),
    /// A counter: `per_second × t` at `t` seconds since the epoch.
    Counter {
        per_second: f64,
    },
}

#[derive(Debug)]
pub(crate) struct Series {
    pub labels: Labels,
    pub kind: Kind,
}

impl Series {
    /// The value of the sample at `ts_ms` (a multiple of [`SCRAPE_MS`]).
    pub fn value_at(&self, ts_ms: i64) -> f64 {
        match self.kind {
            Kind::Gauge(v) => v,
            // Whole seconds times a per-second rate: exact in f64 for these magnitudes.
            Kind::Counter { per_second } => per_second * (ts_ms / 1000) as f64,
        }
    }
}

/// One metric's metadata, as `/metadata` lists it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Metadata {
    pub metric: &'static str,
    pub kind: &'static str,
    pub help: &'static str,
    pub unit: &'static str,
}

/// The synthetic series, as data: labels (`__name__` first) and kind.
const SERIES: &[(&[(&str, &str)], Kind)] = &[
    (
        &[
            ("__name__", "up"),
            ("instance", "localhost:9090"),
            ("job", "prometheus"),
        ],
        Kind::Gauge(1.0),
    ),
    (
        &[
            ("__name__", "up"),
            ("instance", "node-1:9100"),
            ("job", "node"),
        ],
        Kind::Gauge(1.0),
    ),
    (
        &[
            ("__name__", "up"),
            ("instance", "node-2:9100"),
            ("job", "node"),
        ],
        Kind::Gauge(0.0),
    ),
    (
        &[
            ("__name__", "aom_node_status"),
            ("clusterId", "cluster-1"),
            ("hostID", "host-1"),
            ("nameSpace", "default"),
            ("nodeIP", "192.168.0.1"),
            ("nodeName", "node-1"),
        ],
        Kind::Gauge(0.0),
    ),
    (
        &[
            ("__name__", "aom_node_status"),
            ("clusterId", "cluster-1"),
            ("hostID", "host-2"),
            ("nameSpace", "default"),
            ("nodeIP", "192.168.0.2"),
            ("nodeName", "node-2"),
        ],
        Kind::Gauge(1.0),
    ),
    (
        &[("__name__", "aom_node_cpu_usage"), ("nodeName", "node-1")],
        Kind::Gauge(25.5),
    ),
    (
        &[("__name__", "aom_node_cpu_usage"), ("nodeName", "node-2")],
        Kind::Gauge(74.5),
    ),
    (
        &[
            ("__name__", "aom_http_requests_total"),
            ("code", "200"),
            ("method", "GET"),
            ("service", "api"),
        ],
        Kind::Counter { per_second: 2.0 },
    ),
    (
        &[
            ("__name__", "aom_http_requests_total"),
            ("code", "200"),
            ("method", "POST"),
            ("service", "api"),
        ],
        Kind::Counter { per_second: 1.0 },
    ),
    (
        &[
            ("__name__", "aom_http_requests_total"),
            ("code", "500"),
            ("method", "GET"),
            ("service", "api"),
        ],
        Kind::Counter { per_second: 0.5 },
    ),
];

const METADATA: &[Metadata] = &[
    Metadata {
        metric: "aom_http_requests_total",
        kind: "counter",
        help: "HTTP requests served (synthetic).",
        unit: "",
    },
    Metadata {
        metric: "aom_node_cpu_usage",
        kind: "gauge",
        help: "CPU usage of the node in percent (synthetic).",
        unit: "",
    },
    Metadata {
        metric: "aom_node_status",
        kind: "gauge",
        help: "Node status: 0 normal, 1 abnormal (synthetic).",
        unit: "",
    },
    Metadata {
        metric: "up",
        kind: "gauge",
        help: "1 if the scrape target answered, 0 if not (synthetic).",
        unit: "",
    },
];

/// The Prometheus instances the mock knows; `0` is the documented default instance,
/// which addresses the same data as the project-level paths.
const INSTANCES: &[&str] = &["0"];

/// The family's store: the synthetic series and their metadata.
#[derive(Debug)]
pub(crate) struct Store {
    pub series: Vec<Series>,
    pub metadata: &'static [Metadata],
}

impl Store {
    pub fn synthetic() -> Store {
        let series = SERIES
            .iter()
            .map(|(labels, kind)| Series {
                labels: labels
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
                kind: *kind,
            })
            .collect();
        Store {
            series,
            metadata: METADATA,
        }
    }

    pub fn knows_instance(&self, id: &str) -> bool {
        INSTANCES.contains(&id)
    }

    /// Every label name of `series`, sorted.
    pub fn label_names(series: &[&Series]) -> Vec<String> {
        let names: BTreeSet<&String> = series.iter().flat_map(|s| s.labels.keys()).collect();
        names.into_iter().cloned().collect()
    }

    /// The values label `name` takes in `series`, sorted; empty for a label none has.
    pub fn label_values(series: &[&Series], name: &str) -> Vec<String> {
        let values: BTreeSet<&String> = series.iter().filter_map(|s| s.labels.get(name)).collect();
        values.into_iter().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_grow_linearly_and_gauges_hold() {
        let store = Store::synthetic();
        let counter = store
            .series
            .iter()
            .find(|s| s.kind == Kind::Counter { per_second: 0.5 })
            .unwrap();
        assert_eq!(counter.value_at(30_000), 15.0);
        assert_eq!(store.series[0].value_at(30_000), 1.0);
        let all: Vec<&Series> = store.series.iter().collect();
        assert!(Store::label_names(&all).contains(&"__name__".to_owned()));
        assert_eq!(Store::label_values(&all, "job"), ["node", "prometheus"]);
        assert!(Store::label_values(&all, "nope").is_empty());
    }
}
