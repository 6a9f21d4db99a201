//! A tiny static HTTP/1.1 server on loopback, for `dossier demo`.
//!
//! It serves a fixed set of files with an ETag and answers `If-None-Match` with 304, so the
//! demo exercises the same conditional GET path as a real run. One thread per connection,
//! `Connection: close`: the demo makes a handful of requests, and this keeps the server a
//! page of code with no framework behind it.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;

/// A file the server hands out.
pub struct StaticFile {
    pub body: &'static [u8],
    pub content_type: &'static str,
}

/// Starts serving `files` (by path, e.g. `/feed.rss`) on 127.0.0.1 and an ephemeral port.
/// The server lives as long as the process.
pub fn spawn(files: HashMap<String, StaticFile>) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let files = Arc::new(files);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let files = files.clone();
            std::thread::spawn(move || {
                let _ = handle(stream, &files);
            });
        }
    });
    Ok(addr)
}

fn etag(body: &[u8]) -> String {
    // FNV-1a: stable across runs and builds, enough to tell fixture versions apart.
    let hash = body.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
    });
    format!("\"{hash:016x}\"")
}

fn handle(stream: TcpStream, files: &HashMap<String, StaticFile>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(std::time::Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut if_none_match = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" || line == "\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("if-none-match")
        {
            if_none_match = Some(value.trim().to_string());
        }
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    let path = target.split('?').next().unwrap_or("/");
    let mut out = stream;
    let head = |status: &str, extra: &str, len: usize| {
        format!(
            "HTTP/1.1 {status}\r\nServer: dossier-demo\r\nConnection: close\r\nContent-Length: {len}\r\n{extra}\r\n"
        )
    };
    match files.get(path) {
        Some(_) if method != "GET" && method != "HEAD" => {
            out.write_all(head("405 Method Not Allowed", "", 0).as_bytes())
        }
        Some(file) => {
            let tag = etag(file.body);
            if if_none_match.as_deref() == Some(tag.as_str()) {
                return out.write_all(
                    head("304 Not Modified", &format!("ETag: {tag}\r\n"), 0).as_bytes(),
                );
            }
            let extra = format!("ETag: {tag}\r\nContent-Type: {}\r\n", file.content_type);
            out.write_all(head("200 OK", &extra, file.body.len()).as_bytes())?;
            if method == "GET" {
                out.write_all(file.body)?;
            }
            out.flush()
        }
        None => out.write_all(head("404 Not Found", "", 0).as_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn get(addr: SocketAddr, path: &str, etag: Option<&str>) -> String {
        let mut s = TcpStream::connect(addr).unwrap();
        let extra = etag
            .map(|e| format!("If-None-Match: {e}\r\n"))
            .unwrap_or_default();
        write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\n{extra}\r\n").unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    }

    #[test]
    fn serves_files_with_etags_and_304s() {
        let mut files = HashMap::new();
        files.insert(
            "/a.rss".to_string(),
            StaticFile {
                body: b"<rss/>",
                content_type: "application/rss+xml",
            },
        );
        let addr = spawn(files).unwrap();
        let first = get(addr, "/a.rss", None);
        assert!(first.starts_with("HTTP/1.1 200 OK"), "{first}");
        assert!(first.ends_with("<rss/>"));
        let tag = etag(b"<rss/>");
        assert!(get(addr, "/a.rss", Some(&tag)).starts_with("HTTP/1.1 304"));
        assert!(get(addr, "/nope", None).starts_with("HTTP/1.1 404"));
    }
}
