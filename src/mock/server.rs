//! The accept loop and per-connection tasks (hyper HTTP/1.1 serving the axum router).
//!
//! Written by hand rather than with `axum::serve` for two reasons: each connection puts a
//! kill signal into its requests' extensions so that the `drop-connection` fault can close
//! the socket without answering, and shutdown is staged: stop accepting, let connections
//! finish their in-flight request (bounded), then drop whatever is left.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tower::ServiceExt;

use super::fault::ConnectionKill;

/// How long shutdown waits for in-flight requests before dropping their connections.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Serving,
    /// Stop accepting; finish in-flight requests, then close.
    Draining,
    /// Drop every connection now.
    Kill,
}

pub(crate) async fn accept_loop(
    listener: TcpListener,
    router: Router,
    mut phase: watch::Receiver<Phase>,
) {
    loop {
        tokio::select! {
            changed = phase.changed() => {
                if changed.is_err() || *phase.borrow() != Phase::Serving {
                    return;
                }
            }
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    tokio::spawn(serve_connection(stream, router.clone(), phase.clone()));
                }
                // E.g. out of file descriptors: back off instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            },
        }
    }
}

/// Largest request head (request line, header fields and the blank line ending them), in
/// bytes; hyper answers a bare 431 and closes the connection beyond it.
pub const MAX_HEADER_BYTES: usize = 256 * 1024;
/// Most header fields in one request; hyper answers a bare 431 beyond it. hyper's own
/// default, set explicitly so that the documented number is the configured one.
pub const MAX_HEADER_FIELDS: usize = 100;

async fn serve_connection(stream: TcpStream, router: Router, mut phase: watch::Receiver<Phase>) {
    // Small JSON answers: don't let Nagle hold them back.
    let _ = stream.set_nodelay(true);
    let kill = Arc::new(Notify::new());
    let service = {
        let kill = ConnectionKill(Arc::clone(&kill));
        router.map_request(move |mut req: Request<Incoming>| {
            req.extensions_mut().insert(kill.clone());
            req
        })
    };
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        // Room for a token over the documented 40960 characters, so that it reaches the
        // JSON 400 instead of hyper's bare 431.
        //
        // `max_buf_size` alone does not make an exact limit: hyper compares it with the
        // buffer only while the head is still incomplete, and one read may fill the
        // buffer's whole (larger) capacity, so a head that arrives in one large read was
        // parsed at any size the capacity allowed, and whether a 400 KiB head got a 431 or
        // an answer depended on how the bytes were split. `max_header_size` also checks the
        // length of every complete head, whatever the reads were.
        .max_buf_size(MAX_HEADER_BYTES)
        .max_header_size(MAX_HEADER_BYTES)
        .max_headers(MAX_HEADER_FIELDS)
        .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
    tokio::pin!(connection);
    let mut draining = false;
    loop {
        tokio::select! {
            _ = connection.as_mut() => return,
            // Returning drops the connection future: the socket closes with no response.
            () = kill.notified() => return,
            changed = phase.changed() => match changed.map(|()| *phase.borrow()) {
                Ok(Phase::Draining) if !draining => {
                    draining = true;
                    connection.as_mut().graceful_shutdown();
                }
                Ok(Phase::Serving | Phase::Draining) => {}
                Ok(Phase::Kill) | Err(_) => return,
            },
        }
    }
}
