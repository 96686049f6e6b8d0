//! Self-test of the test origin, over raw HTTP/1.1: if conditional GET or the failure modes
//! of [`crate::server`] were wrong, every other test would prove nothing.

use std::io::{Read, Write};
use std::time::Duration;

use crate::harness::RSS;
use crate::server::{FeedServer, Mode};

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One GET over a fresh blocking connection (`Connection: close`), bounded by a read timeout.
async fn get(server: &FeedServer, path: &str, extra: &[(&str, &str)]) -> Reply {
    let addr = server.host_port();
    let mut req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in extra {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    let raw = tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(&addr).expect("connect to test server");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("read timeout");
        stream.write_all(req.as_bytes()).expect("write");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).map(|_| raw)
    })
    .await
    .expect("join");
    let raw = raw.expect("read reply");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of headers");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Reply {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_origin_implements_conditional_get_and_failure_modes() {
    let server = FeedServer::start().await;
    server.publish("/feed.xml", "<rss/>", RSS);

    let first = get(&server, "/feed.xml", &[]).await;
    assert_eq!(first.status, 200);
    assert_eq!(first.body, b"<rss/>");
    assert_eq!(first.header("content-type"), Some(RSS));
    let etag = first.header("etag").expect("ETag").to_string();
    let last_modified = first
        .header("last-modified")
        .expect("Last-Modified")
        .to_string();
    assert_eq!(Some(etag.clone()), server.etag("/feed.xml"));
    assert_eq!(
        Some(last_modified.clone()),
        server.last_modified("/feed.xml")
    );

    let by_etag = get(&server, "/feed.xml", &[("If-None-Match", &etag)]).await;
    assert_eq!(by_etag.status, 304);
    assert!(by_etag.body.is_empty());
    let by_date = get(
        &server,
        "/feed.xml",
        &[("If-Modified-Since", &last_modified)],
    )
    .await;
    assert_eq!(by_date.status, 304);
    let stale = get(&server, "/feed.xml", &[("If-None-Match", "\"other\"")]).await;
    assert_eq!(stale.status, 200);

    // A new version invalidates both validators.
    server.publish("/feed.xml", "<rss version=\"2.0\"/>", RSS);
    let changed = get(&server, "/feed.xml", &[("If-None-Match", &etag)]).await;
    assert_eq!(changed.status, 200);
    let changed = get(
        &server,
        "/feed.xml",
        &[("If-Modified-Since", &last_modified)],
    )
    .await;
    assert_eq!(changed.status, 200);
    assert_ne!(changed.header("etag"), Some(etag.as_str()));

    assert_eq!(server.hits("/feed.xml"), 6);
    let seen = server.requests("/feed.xml");
    assert_eq!(seen[1].header("If-None-Match"), Some(etag.as_str()));
    assert_eq!(
        seen[2].header("if-modified-since"),
        Some(last_modified.as_str())
    );

    server.set_mode("/feed.xml", Mode::Status(500));
    assert_eq!(get(&server, "/feed.xml", &[]).await.status, 500);
    assert_eq!(get(&server, "/missing", &[]).await.status, 404);

    server.set_mode("/hop", Mode::Redirect(server.url("/feed.xml")));
    let hop = get(&server, "/hop", &[]).await;
    assert_eq!(hop.status, 302);
    assert_eq!(
        hop.header("location"),
        Some(server.url("/feed.xml").as_str())
    );

    server.set_mode("/slow", Mode::Hang(Duration::from_secs(30)));
    let addr = server.host_port();
    let hung = tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(&addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_millis(500)))
            .expect("read timeout");
        stream
            .write_all(format!("GET /slow HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes())
            .expect("write");
        let mut buf = [0u8; 64];
        stream.read(&mut buf)
    })
    .await
    .expect("join");
    assert!(
        hung.is_err(),
        "the hanging path answered within 500 ms: {hung:?}"
    );
    assert_eq!(server.hits("/slow"), 1);
}
