//! A loopback feed server for benchmarks: many feeds on many loopback addresses, with
//! keep-alive, ETags and 304s, and a switch that changes a share of the feeds.
//!
//! Hand-rolled on tokio so that serving costs as little as possible next to the client
//! being measured: bodies are prebuilt, one read per request, one write per response.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// One feed's current body and its ETag.
#[derive(Clone)]
pub struct Doc {
    pub body: Arc<Vec<u8>>,
    pub etag: String,
}

/// Path → document, shared by every listener; replace entries to change feeds.
pub type Docs = Arc<RwLock<HashMap<String, Doc>>>;

/// Serves `docs` on each address; returns the bound addresses (ports chosen by the OS).
pub async fn serve(addrs: &[std::net::IpAddr], docs: Docs) -> std::io::Result<Vec<SocketAddr>> {
    serve_slow(addrs, docs, None).await
}

/// [`serve`], each response sent after `delay`: a server far away, for fetch-bound runs.
pub async fn serve_slow(
    addrs: &[std::net::IpAddr],
    docs: Docs,
    delay: Option<std::time::Duration>,
) -> std::io::Result<Vec<SocketAddr>> {
    let mut bound = Vec::new();
    for ip in addrs {
        let listener = TcpListener::bind((*ip, 0)).await?;
        bound.push(listener.local_addr()?);
        let docs = docs.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let docs = docs.clone();
                tokio::spawn(async move {
                    let _ = connection(stream, docs, delay).await;
                });
            }
        });
    }
    Ok(bound)
}

async fn connection(
    mut stream: tokio::net::TcpStream,
    docs: Docs,
    delay: Option<std::time::Duration>,
) -> std::io::Result<()> {
    let _ = stream.set_nodelay(true);
    let mut buf = vec![0u8; 8192];
    let mut filled = 0;
    loop {
        let end = loop {
            if let Some(pos) = buf[..filled].windows(4).position(|w| w == b"\r\n\r\n") {
                break pos + 4;
            }
            if filled == buf.len() {
                return Ok(());
            }
            let n = stream.read(&mut buf[filled..]).await?;
            if n == 0 {
                return Ok(());
            }
            filled += n;
        };
        let head = String::from_utf8_lossy(&buf[..end]).into_owned();
        buf.copy_within(end..filled, 0);
        filled -= end;
        let mut lines = head.split("\r\n");
        let path = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .unwrap_or("/")
            .to_string();
        let if_none_match = lines.find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("if-none-match")
                .then(|| v.trim().to_string())
        });
        let doc = docs.read().unwrap().get(&path).cloned();
        if let Some(delay) = delay {
            tokio::time::sleep(delay).await;
        }
        match doc {
            Some(doc) if if_none_match.as_deref() == Some(doc.etag.as_str()) => {
                let head = format!(
                    "HTTP/1.1 304 Not Modified\r\nETag: {}\r\nContent-Length: 0\r\n\r\n",
                    doc.etag
                );
                stream.write_all(head.as_bytes()).await?;
            }
            Some(doc) => {
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nETag: {}\r\nContent-Length: {}\r\n\r\n",
                    doc.etag,
                    doc.body.len()
                );
                stream.write_all(head.as_bytes()).await?;
                stream.write_all(&doc.body).await?;
            }
            None => {
                stream
                    .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                    .await?
            }
        }
    }
}
