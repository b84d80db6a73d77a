//! What the harness and the mock ask of the operating system: randomness for ids and
//! generated credentials, and the signals that stop a run or a server.

/// `chars` random lower-case hex characters.
pub fn random_hex(chars: usize) -> Result<String, getrandom::Error> {
    let mut buf = vec![0u8; chars.div_ceil(2)];
    getrandom::fill(&mut buf)?;
    let mut hex = hex::encode(buf);
    hex.truncate(chars);
    Ok(hex)
}

/// SIGINT (Ctrl-C) and SIGTERM, installed once so that no signal between installing and
/// waiting is lost; [`StopSignals::recv`] can be awaited again for a second signal.
pub struct StopSignals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl StopSignals {
    /// Installs the handlers; needs a tokio runtime.
    pub fn install() -> std::io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(StopSignals {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        Ok(StopSignals {})
    }

    /// Resolves on the next SIGINT or SIGTERM.
    pub async fn recv(&mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// From here on, a closed stdout ends the process quietly (SIGPIPE), the way `ls | head`
/// ends, instead of a panic deep in libtest-mimic's printer. Only for commands that print
/// and send nothing: a run's own sockets never raise SIGPIPE (they write with
/// `MSG_NOSIGNAL`), but a run killed half-way would skip its cleanups.
pub fn quiet_on_broken_pipe() {
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of one signal; no handler runs.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn random_hex_counts_characters() {
        for n in [0, 1, 7, 32, 40] {
            let h = super::random_hex(n).unwrap();
            assert_eq!(h.len(), n);
            assert!(h.chars().all(|c| c.is_ascii_hexdigit()));
        }
    }
}
