//! Accepts HTTP(S) connections within bounds, so a slow or hostile client
//! cannot take the file descriptors and tasks that rotations need:
//!
//! - at most `max_connections` are open at once; the next connection is
//!   accepted only when one closes (until then it waits in the kernel's
//!   listen backlog, holding none of Tenure's descriptors);
//! - the first byte (or the TLS handshake) and then every request's
//!   headers must arrive within `header_timeout`; that timer also runs
//!   while a keep-alive connection sits idle, so an idle connection is
//!   closed after it too;
//! - on shutdown, open connections finish their requests until the
//!   deadline, then are dropped.
//!
//! Request bodies, per-route in-flight caps and the request timeout are
//! layers on the router (see `super::router`).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio_rustls::TlsAcceptor;
use tracing::{debug, warn};

/// The connection-level bounds.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    /// Connections open at once.
    pub max_connections: usize,
    /// For the TLS handshake and each request's headers.
    pub header_timeout: Duration,
    /// How long open connections may finish after the stop signal.
    pub shutdown_deadline: Duration,
}

/// Serves `app` on `listener` (over TLS with `tls`) until `stop` turns true.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    bounds: Bounds,
    tls: Option<TlsAcceptor>,
    mut stop: watch::Receiver<bool>,
) {
    let permits = Arc::new(Semaphore::new(bounds.max_connections));
    let graceful = GracefulShutdown::new();
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(bounds.header_timeout)
        .keep_alive(true);
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&permits).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = stopped(&mut stop) => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(err) => {
                    // EMFILE and friends: back off rather than spin.
                    warn!(error = %err, "Could not accept a connection.");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = stopped(&mut stop) => break,
        };
        let _ = stream.set_nodelay(true);
        let connection = Connection {
            http: http.clone(),
            app: app.clone(),
            watcher: graceful.watcher(),
            header_timeout: bounds.header_timeout,
            _permit: permit,
        };
        match &tls {
            None => {
                tokio::spawn(connection.serve_plain(stream));
            }
            Some(acceptor) => {
                tokio::spawn(connection.serve_tls(stream, acceptor.clone()));
            }
        }
    }
    drop(listener);
    if tokio::time::timeout(bounds.shutdown_deadline, graceful.shutdown())
        .await
        .is_err()
    {
        warn!("Dropped the HTTP connections still open at the shutdown deadline.");
    }
}

/// Waits until `stop` turns true (or its sender is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    // The guard `wait_for` returns is dropped here, not held by the caller.
    let _ = stop.wait_for(|stopped| *stopped).await;
}

/// One accepted connection and what it needs; its permit is released when
/// it is dropped, whatever ends it.
struct Connection {
    http: http1::Builder,
    app: Router,
    watcher: hyper_util::server::graceful::Watcher,
    header_timeout: Duration,
    _permit: OwnedSemaphorePermit,
}

impl Connection {
    async fn serve_plain(self, stream: TcpStream) {
        // hyper's header timer does not reliably start on a connection that
        // has sent nothing yet, so the first byte gets its own deadline.
        let mut first = [0u8; 1];
        match tokio::time::timeout(self.header_timeout, stream.peek(&mut first)).await {
            Ok(Ok(read)) if read > 0 => self.serve(TokioIo::new(stream)).await,
            Ok(Ok(_)) => {}
            Ok(Err(err)) => debug!(error = %err, "A connection failed before its request."),
            Err(_) => debug!("A connection sent nothing within the header timeout."),
        }
    }

    async fn serve_tls(self, stream: TcpStream, acceptor: TlsAcceptor) {
        match tokio::time::timeout(self.header_timeout, acceptor.accept(stream)).await {
            Ok(Ok(tls)) => self.serve(TokioIo::new(tls)).await,
            Ok(Err(err)) => debug!(error = %err, "A TLS handshake failed."),
            Err(_) => debug!("A TLS handshake timed out."),
        }
    }

    async fn serve<I>(self, io: I)
    where
        I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    {
        let service = TowerToHyperService::new(self.app);
        let connection = self.http.serve_connection(io, service);
        if let Err(err) = self.watcher.watch(connection).await {
            // Timeouts and resets: the client's problem, not an event.
            debug!(error = %err, "An HTTP connection ended with an error.");
        }
    }
}

/// A TLS acceptor for the PEM certificate chain and key (HTTP/1.1 only).
pub fn tls_acceptor(cert: &std::path::Path, key: &std::path::Path) -> Result<TlsAcceptor, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("certificate chain: {e}"))?;
    if chain.is_empty() {
        return Err("certificate chain: no certificate in the file".to_owned());
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| format!("private key: {e}"))?;
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .map_err(|e| e.to_string())?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}
