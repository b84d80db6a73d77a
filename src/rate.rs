//! `--max-rps`: one limiter for every request a run makes — cases, setups, cleanups, the
//! reachability and credentials checks, IAM logins — across all targets, so a run never
//! sends more than N requests in any second however many cases run at once.
//!
//! A GCRA limiter (the `governor` crate) with a burst of one: requests are spaced at
//! least 1/N s apart, so no one-second window holds more than about N of them (a burst of
//! N would allow 2N in the second that straddles the burst).

use std::num::NonZeroU32;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

/// Highest `--max-rps` accepted: above it the limit would not be measurable anyway.
pub const MAX_RPS: f64 = 100_000.0;

/// The shared request-rate limit.
pub struct RateLimit {
    limiter: DefaultDirectRateLimiter,
    per_second: f64,
}

impl RateLimit {
    /// A limit of `per_second` requests a second (fractions allowed: 0.5 is one request
    /// every two seconds). `None` outside (0, [`MAX_RPS`]].
    pub fn per_second(per_second: f64) -> Option<RateLimit> {
        if !(per_second > 0.0 && per_second <= MAX_RPS) {
            return None;
        }
        let period = Duration::try_from_secs_f64(1.0 / per_second).ok()?;
        let quota = Quota::with_period(period)?.allow_burst(NonZeroU32::MIN);
        Some(RateLimit {
            limiter: RateLimiter::direct(quota),
            per_second,
        })
    }

    /// Waits until one more request may be sent. Cancel-safe: a wait that is dropped
    /// (an interrupted run) takes nothing from the limit.
    pub async fn wait(&self) {
        self.limiter.until_ready().await;
    }
}

impl std::fmt::Debug for RateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RateLimit({}/s)", self.per_second)
    }
}

/// `--max-rps` as clap reads it: a positive number of requests per second.
pub fn parse_max_rps(s: &str) -> Result<f64, String> {
    let n: f64 = s.trim().parse().map_err(|_| {
        format!("expected a number of requests per second such as 10 or 0.5, got {s:?}")
    })?;
    if n > 0.0 && n <= MAX_RPS {
        Ok(n)
    } else {
        Err(format!(
            "the request rate must be above 0 and at most {MAX_RPS}, got {s:?}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_outside_the_range_are_refused() {
        assert!(RateLimit::per_second(0.0).is_none());
        assert!(RateLimit::per_second(-1.0).is_none());
        assert!(RateLimit::per_second(f64::NAN).is_none());
        assert!(RateLimit::per_second(MAX_RPS * 2.0).is_none());
        assert!(RateLimit::per_second(0.5).is_some());
        assert_eq!(parse_max_rps("20"), Ok(20.0));
        assert!(parse_max_rps("0").is_err());
        assert!(parse_max_rps("ten").is_err());
        assert!(parse_max_rps("inf").is_err());
    }

    #[tokio::test(flavor = "current_thread")]
    async fn requests_are_spaced_by_the_period() {
        let limit = RateLimit::per_second(100.0).unwrap_or_else(|| unreachable!());
        let started = std::time::Instant::now();
        for _ in 0..11 {
            limit.wait().await;
        }
        // 10 periods of 10 ms after the first: never a burst.
        assert!(started.elapsed() >= Duration::from_millis(90));
    }
}
