//! A TCP proxy in front of a real server, for "the target is stopped and
//! comes back" without stopping a server other tests share: `stop` closes
//! the listener and every open connection (new ones are refused), `start`
//! listens again on the same port.

use std::net::SocketAddr;
use std::sync::Mutex;

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

pub struct Proxy {
    pub addr: SocketAddr,
    upstream: SocketAddr,
    tasks: Mutex<Option<JoinSet<()>>>,
}

async fn serve(listener: TcpListener, upstream: SocketAddr) {
    let mut connections = JoinSet::new();
    loop {
        let Ok((mut inbound, _)) = listener.accept().await else {
            continue;
        };
        connections.spawn(async move {
            if let Ok(mut outbound) = TcpStream::connect(upstream).await {
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            }
        });
        // Finished connections are dropped as they end; aborting this task
        // (stop) aborts every one still open.
        while connections.try_join_next().is_some() {}
    }
}

impl Proxy {
    /// A proxy on a free 127.0.0.1 port to `upstream`, listening.
    pub async fn start_to(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let mut tasks = JoinSet::new();
        tasks.spawn(serve(listener, upstream));
        Self {
            addr,
            upstream,
            tasks: Mutex::new(Some(tasks)),
        }
    }

    /// A proxy to the server of `endpoint`, an `http://host:port` URL.
    pub async fn start_to_http(endpoint: &str) -> Self {
        let upstream = endpoint
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .expect("addr");
        Self::start_to(upstream).await
    }

    /// The proxy's address as an `http://` URL.
    pub fn http_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Refuses new connections and cuts the open ones.
    pub async fn stop(&self) {
        let tasks = self.tasks.lock().expect("lock").take();
        if let Some(mut tasks) = tasks {
            tasks.abort_all();
            while tasks.join_next().await.is_some() {}
        }
    }

    /// Listens again on the same port.
    pub async fn start(&self) {
        let listener = TcpListener::bind(self.addr).await.expect("bind again");
        let mut tasks = JoinSet::new();
        tasks.spawn(serve(listener, self.upstream));
        *self.tasks.lock().expect("lock") = Some(tasks);
    }
}
