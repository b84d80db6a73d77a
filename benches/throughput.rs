//! The mock's throughput (`cargo bench --bench throughput`; prints, asserts nothing):
//! `AOMC_BENCH_EXECUTIONS` (default 100,000) executions created in one workflow, with the
//! latency of each 10% slice, then terminate + status lookups at that size, to show that
//! a full store does not slow it down. The harness's own figures, side by side with a raw
//! client, are `benches/side_by_side.rs`'s.

use std::time::{Duration, Instant};

use aom_conformance::auth::Secret;
use aom_conformance::mock::{MockConfig, MockServer, TokenGrant};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    mock(env_usize("AOMC_BENCH_EXECUTIONS", 100_000));
}

fn mock(n: usize) {
    let project = "0123456789abcdef0123456789abcdef";
    let token = "MIIbench-token";
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let server = MockServer::start(
            MockConfig {
                tokens: vec![TokenGrant {
                    token: Secret::new(token),
                    projects: vec![project.into()],
                }],
                ..MockConfig::default()
            },
            ([127, 0, 0, 1], 0).into(),
        )
        .await
        .unwrap();
        let base = format!("{}/v1/{project}/cms", server.url());
        let client = reqwest::Client::new();
        let post = |url: String| {
            client
                .post(url)
                .header("X-Auth-Token", token)
                .header("Content-Type", "application/json")
        };
        let wf: serde_json::Value = post(format!("{base}/workflow"))
            .body(r#"{"name":"bench","type":"manual"}"#)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let wf = wf["id"].as_str().unwrap().to_owned();

        const CONCURRENCY: usize = 64;
        let slice = (n / 10).max(1);
        let mut ids = Vec::with_capacity(n);
        let started = Instant::now();
        let mut slices = Vec::new();
        while ids.len() < n {
            let t = Instant::now();
            let target = (ids.len() + slice).min(n);
            while ids.len() < target {
                let batch = CONCURRENCY.min(target - ids.len());
                let futs = (0..batch).map(|_| {
                    let req = post(format!("{base}/workflow/{wf}/executions"));
                    async move {
                        let v: serde_json::Value = req.send().await.unwrap().json().await.unwrap();
                        v["execution_id"].as_str().unwrap().to_owned()
                    }
                });
                ids.extend(join_all(futs).await);
            }
            slices.push(t.elapsed() / slice as u32);
        }
        let total = started.elapsed();
        println!(
            "mock: {n} executions created in {:.2}s = {:.0} req/s; mean latency per 10% slice (µs): {}",
            total.as_secs_f64(),
            n as f64 / total.as_secs_f64(),
            slices
                .iter()
                .map(|d: &Duration| d.as_micros().to_string())
                .collect::<Vec<_>>()
                .join(" ")
        );

        let k = 1000.min(n);
        let t = Instant::now();
        for chunk in ids[..k].chunks(CONCURRENCY) {
            join_all(chunk.iter().map(|id| {
                let req = post(format!("{base}/workflow/{wf}/executions/{id}/terminate"));
                async move { assert_eq!(req.send().await.unwrap().status(), 200) }
            }))
            .await;
        }
        let term = t.elapsed();
        let t = Instant::now();
        for chunk in ids[n - k..].chunks(CONCURRENCY) {
            join_all(chunk.iter().map(|id| {
                let req = client
                    .get(format!("{base}/workflow/{wf}/executions/{id}/status"))
                    .header("X-Auth-Token", token)
                    .header("Content-Type", "application/json");
                async move { assert_eq!(req.send().await.unwrap().status(), 200) }
            }))
            .await;
        }
        let status = t.elapsed();
        println!(
            "mock at {n} executions: {k} terminates in {:.3}s ({:.0}/s), {k} status lookups in {:.3}s ({:.0}/s)",
            term.as_secs_f64(),
            k as f64 / term.as_secs_f64(),
            status.as_secs_f64(),
            k as f64 / status.as_secs_f64()
        );
        server.shutdown().await;
    });
}

/// Runs futures concurrently as tasks on the runtime; results in completion order.
async fn join_all<F>(futs: impl IntoIterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let mut set = tokio::task::JoinSet::new();
    for f in futs {
        set.spawn(f);
    }
    set.join_all().await
}
