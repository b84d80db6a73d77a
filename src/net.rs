//! What every HTTP client of the harness has in common, whoever it talks to (the endpoint
//! under test, IAM, the reachability check): redirects never followed, TLS checks as the
//! user chose, and no proxy for loopback. One owner, so a new client cannot forget one.

/// Whether a URL's host is this machine (`localhost`, 127.0.0.0/8, `::1`).
pub fn is_loopback(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost")
        || h.parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Whether `url` is an endpoint on this machine (an unparsable URL is not).
pub fn is_loopback_url(url: &str) -> bool {
    reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(is_loopback))
        .unwrap_or(false)
}

/// A client builder for requests to `url`.
///
/// A loopback endpoint never goes through `HTTP_PROXY`/`HTTPS_PROXY`/`ALL_PROXY`: the
/// harness relaxes its rules for loopback (credentials over plain `http://`), which is
/// safe only while the bytes stay on this machine; and a proxy elsewhere cannot reach
/// this machine's loopback anyway. Other endpoints honour the proxy variables (and
/// `NO_PROXY`), as a corporate network needs.
pub fn client_builder(url: &str, insecure: bool) -> reqwest::ClientBuilder {
    let builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .tls_danger_accept_invalid_certs(insecure);
    if is_loopback_url(url) {
        builder.no_proxy()
    } else {
        builder
    }
}

#[cfg(test)]
mod tests {
    use super::is_loopback;

    #[test]
    fn loopback_hosts() {
        for h in [
            "localhost",
            "LOCALHOST",
            "127.0.0.1",
            "127.9.8.7",
            "[::1]",
            "::1",
        ] {
            assert!(is_loopback(h), "{h}");
        }
        for h in [
            "10.0.0.1",
            "aom.example.com",
            "localhost.example.com",
            "[::2]",
            "",
        ] {
            assert!(!is_loopback(h), "{h}");
        }
    }
}
