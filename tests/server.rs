//! The HTTP server under hostile clients: idle and slow connections, many `Host`
//! values. The real server on 127.0.0.1 (the binary where a resource limit matters).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::*;

/// A client that opens a new connection for every request.
fn fresh_client() -> reqwest::Client {
    tidings::fetch::install_crypto_provider();
    reqwest::Client::builder()
        .no_proxy()
        .no_gzip()
        .no_brotli()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(3))
        .build()
        .unwrap()
}

/// Runs the child with at most `n` open descriptors (soft and hard limit).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn limit_descriptors(cmd: &mut std::process::Command, n: u64) {
    use std::os::unix::process::CommandExt;
    // SAFETY: setrlimit is async-signal-safe and touches only the child.
    unsafe {
        cmd.pre_exec(move || {
            let limit = libc::rlimit {
                rlim_cur: n,
                rlim_max: n,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Lets this test process hold `n` descriptors (its soft limit raised, if need be).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn allow_own_descriptors(n: u64) {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain calls with a valid pointer.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit), 0);
        assert!(
            limit.rlim_max >= n,
            "this test needs {n} open files; the hard limit is {}",
            limit.rlim_max
        );
        if limit.rlim_cur < n {
            limit.rlim_cur = n;
            assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &limit), 0);
        }
    }
}

/// Regression: the server had no cap on connections and no header-read timeout,
/// so 1,100 idle sockets took every descriptor of a 1,024 limit; accept failed
/// with EMFILE (logged once a second) and /healthz waited in the backlog.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[tokio::test]
async fn healthz_answers_while_1100_idle_connections_are_held_under_1024_descriptors() {
    allow_own_descriptors(2048);
    let server = FeedServer::with_fixtures(&[("korea.xml", "feeds/korea-rss2.xml")]).await;
    let port = free_port();
    let t = write_config(&format!(
        "[daemon]\ndatabase = \"t.db\"\nlisten = \"127.0.0.1:{port}\"\nschedule = \"@daily\"\n\
         [[feed]]\nurl = \"{}\"\n[[output]]\nname = \"all\"\n",
        server.url("korea.xml")
    ));
    let daemon = Daemon::start_with(&t.path, |cmd| limit_descriptors(cmd, 1024));
    let up = eventually(|| async { served_count(port, "all").await == Some(4) }).await;

    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let mut held = Vec::new();
    for _ in 0..1100 {
        if let Ok(Ok(s)) =
            tokio::time::timeout(Duration::from_secs(3), TcpStream::connect(addr)).await
        {
            held.push(s);
        }
    }
    // Let the server accept them all (or fail to).
    tokio::time::sleep(Duration::from_millis(500)).await;
    let c = fresh_client();
    let mut answers = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let status = match c.get(format!("http://{addr}/healthz")).send().await {
            Ok(r) => r.status().as_u16().to_string(),
            Err(e) => format!("error: {e}"),
        };
        answers.push((status, started.elapsed()));
    }
    let feed = tokio::time::timeout(Duration::from_secs(3), served_count(port, "all"))
        .await
        .ok()
        .flatten();
    let held_count = held.len();
    drop(held);
    let (status, log) = daemon.stop().await;

    assert!(up, "the daemon came up:\n{log}");
    for (answer, took) in &answers {
        assert_eq!(
            answer, "200",
            "/healthz while 1,100 sockets are held: {answers:?}"
        );
        assert!(*took < Duration::from_secs(1), "/healthz took {took:?}");
    }
    assert_eq!(feed, Some(4), "outputs are served too");
    assert_eq!(status.code(), Some(0), "{log}");
    let floods = log.matches("Too many open files").count();
    assert!(floods <= 1, "{floods} accept errors logged:\n{log}");
    assert_eq!(held_count, 1100, "every idle connection was opened");
}

/// Regression: when accept failed for want of descriptors, axum logged the
/// error and retried once a second, so nothing was accepted (or answered) while
/// idle clients held the descriptors, and the log filled up.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[tokio::test]
async fn healthz_answers_when_accepting_runs_out_of_descriptors() {
    allow_own_descriptors(1024);
    let port = free_port();
    let t = write_config(&format!(
        "[daemon]\ndatabase = \"t.db\"\nlisten = \"127.0.0.1:{port}\"\n[[output]]\nname = \"all\"\n"
    ));
    let daemon = Daemon::start(&t.path);
    let up = eventually(|| async { served_count(port, "all").await == Some(0) }).await;
    // Leave the running daemon 8 descriptors more than it has open: far fewer
    // than its connection cap, so accept itself fails (EMFILE).
    let pid = daemon.pid();
    let open = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .count() as u64;
    let limit = libc::rlimit {
        rlim_cur: open + 8,
        rlim_max: 4096,
    };
    // SAFETY: prlimit on our own child, with a valid struct and no old-limit out pointer.
    let lowered = unsafe {
        libc::prlimit(
            pid as libc::pid_t,
            libc::RLIMIT_NOFILE,
            &limit,
            std::ptr::null_mut(),
        )
    };
    assert_eq!(lowered, 0, "{}", std::io::Error::last_os_error());

    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let mut held = Vec::new();
    for _ in 0..200 {
        if let Ok(Ok(s)) =
            tokio::time::timeout(Duration::from_secs(3), TcpStream::connect(addr)).await
        {
            held.push(s);
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let c = fresh_client();
    let mut answers = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let status = match c.get(format!("http://{addr}/healthz")).send().await {
            Ok(r) => r.status().as_u16().to_string(),
            Err(e) => format!("error: {e}"),
        };
        answers.push((status, started.elapsed()));
    }
    drop(held);
    let (status, log) = daemon.stop().await;

    assert!(up, "the daemon came up:\n{log}");
    for (answer, took) in &answers {
        assert_eq!(
            answer, "200",
            "/healthz at the descriptor limit: {answers:?}"
        );
        assert!(*took < Duration::from_secs(1), "/healthz took {took:?}");
    }
    assert_eq!(status.code(), Some(0), "{log}");
    assert_eq!(
        log.matches("Too many open files").count(),
        1,
        "logged once (then once a minute at most):\n{log}"
    );
}

/// Reads until the peer closes (EOF or reset); the time it took, or None if the
/// connection was still open after `within`.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut buf = [0u8; 4096];
    loop {
        let left = within.checked_sub(started.elapsed())?;
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(started.elapsed()),
            Ok(Ok(_)) => {}
        }
    }
}

/// Publishes a one-output config with `daemon` settings; the server's address.
async fn publish_with(daemon: &str) -> (SocketAddr, TempConfig) {
    let t = write_config(&format!(
        "[daemon]\ndatabase = \"t.db\"\n{daemon}\n[[output]]\nname = \"all\"\n"
    ));
    let config = load(&t);
    let ctx = tidings::daemon::context(&config).await.unwrap();
    let base = start_publish(&config, ctx.store.clone()).await;
    (base.trim_start_matches("http://").parse().unwrap(), t)
}

#[tokio::test]
async fn idle_and_half_sent_requests_are_cut_after_client_timeout() {
    let (addr, _t) = publish_with("client_timeout_secs = 1").await;
    // Connects and sends nothing.
    let mut silent = TcpStream::connect(addr).await.unwrap();
    // Sends a request head one header line at a time, never finishing it.
    let mut slowloris = TcpStream::connect(addr).await.unwrap();
    slowloris
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: a\r\n")
        .await
        .unwrap();
    let (mut slow_read, mut slow_write) = slowloris.into_split();
    let drip = tokio::spawn(async move {
        for _ in 0..50 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if slow_write.write_all(b"X-Drip: 1\r\n").await.is_err() {
                return;
            }
        }
    });
    // Gets one answer, then keeps the connection open without another request.
    let mut keep_alive = TcpStream::connect(addr).await.unwrap();
    keep_alive
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
        .await
        .unwrap();
    let mut head = vec![0u8; 1024];
    let n = keep_alive.read(&mut head).await.unwrap();
    assert!(head[..n].starts_with(b"HTTP/1.1 200"), "{:?}", &head[..n]);

    let limit = Duration::from_secs(4);
    let (silent, keep_alive, slowloris) = tokio::join!(
        closed_within(&mut silent, limit),
        closed_within(&mut keep_alive, limit),
        async {
            let started = Instant::now();
            let mut buf = [0u8; 1024];
            loop {
                match tokio::time::timeout(limit, slow_read.read(&mut buf)).await {
                    Err(_) => break None,
                    Ok(Ok(0)) | Ok(Err(_)) => break Some(started.elapsed()),
                    Ok(Ok(_)) => {}
                }
            }
        }
    );
    drip.abort();
    for (what, took) in [
        ("silent", silent),
        ("keep-alive", keep_alive),
        ("slowloris", slowloris),
    ] {
        let took = took.unwrap_or_else(|| panic!("{what} connection still open after {limit:?}"));
        assert!(
            took >= Duration::from_millis(700),
            "{what} closed after {took:?}, before its timeout"
        );
    }
    // The server is still there for a well-behaved client.
    let r = fresh_client()
        .get(format!("http://{addr}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

/// A server whose output `a` is rendered from the korea fixture, with the
/// shared render counter; `daemon` is extra `[daemon]` configuration.
async fn counted_output(
    daemon: &str,
) -> (
    String,
    Arc<tidings::metrics::Metrics>,
    FeedServer,
    TempConfig,
) {
    let server = FeedServer::with_fixtures(&[("a.xml", "feeds/korea-rss2.xml")]).await;
    let t = write_config(&format!(
        "[daemon]\ndatabase = \"t.db\"\n{daemon}\n[[feed]]\nurl = \"{}\"\n\
         [[output]]\nname = \"a\"\n[[output]]\nname = \"p\"\ntoken = \"s3cret-token-0123456789\"\n",
        server.url("a.xml")
    ));
    let config = load(&t);
    let ctx = tidings::daemon::context(&config).await.unwrap();
    tidings::daemon::once_with(&ctx, &config).await;
    let metrics = Arc::new(tidings::metrics::Metrics::default());
    let state = Arc::new(
        tidings::publish::AppState::new(ctx.store.clone(), &config).with_metrics(metrics.clone()),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(tidings::publish::serve(
        listener,
        state,
        std::future::pending(),
    ));
    (base, metrics, server, t)
}

fn renders(metrics: &tidings::metrics::Metrics) -> String {
    metrics
        .render(&[])
        .lines()
        .find(|l| l.starts_with("tidings_output_renders_total"))
        .unwrap()
        .to_string()
}

/// The self link of an RSS document (`atom:link rel="self"`).
fn self_link(body: &str) -> &str {
    let at = body.find("rel=\"self\"").expect("a self link");
    let start = body[..at].rfind("href=\"").expect("href") + "href=\"".len();
    &body[start..start + body[start..].find('"').unwrap()]
}

/// Regression: the cache key held the self URL built from the `Host` header and
/// the cache was cleared past 256 keys, so every new Host value cost a render.
#[tokio::test]
async fn a_new_host_header_is_not_a_new_render() {
    let (base, metrics, _server, _t) = counted_output("").await;
    let c = client();
    let url = format!("{base}/feeds/a.xml");
    let mut etags = std::collections::HashSet::new();
    for i in 0..300 {
        let host = format!("h{i}.example:8080");
        let r = c.get(&url).header("host", &host).send().await.unwrap();
        assert_eq!(r.status(), 200);
        etags.insert(r.headers()["etag"].to_str().unwrap().to_string());
        let length = r.content_length();
        let body = r.text().await.unwrap();
        assert_eq!(length, Some(body.len() as u64), "Content-Length");
        assert_eq!(self_link(&body), format!("http://{host}/feeds/a.xml"));
        assert!(
            body.contains(&format!("<link>http://{host}/</link>")),
            "{body}"
        );
        assert_eq!(served_items(body.as_bytes()).len(), 4);
    }
    assert_eq!(renders(&metrics), "tidings_output_renders_total 1");
    assert_eq!(etags.len(), 300, "different bytes, different ETags");

    // The same Host again: the same ETag, and a 304 for it.
    let r = c
        .get(&url)
        .header("host", "h7.example:8080")
        .send()
        .await
        .unwrap();
    let etag = r.headers()["etag"].clone();
    assert!(etags.contains(etag.to_str().unwrap()));
    let r = c
        .get(&url)
        .header("host", "h7.example:8080")
        .header("if-none-match", etag.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    // Another Host's copy differs, so that ETag does not match it.
    let r = c
        .get(&url)
        .header("host", "h8.example:8080")
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // Every format, and the private output's two URLs, with their own self links.
    for (path, want) in [
        ("feeds/a.atom", "feeds/a.atom"),
        ("feeds/a.json", "feeds/a.json"),
        (
            "feeds/p.xml?token=s3cret-token-0123456789",
            "feeds/p.xml?token=s3cret-token-0123456789",
        ),
        (
            "feeds/s3cret-token-0123456789/p.xml",
            "feeds/s3cret-token-0123456789/p.xml",
        ),
    ] {
        for host in ["x.example", "y.example:1"] {
            let body = c
                .get(format!("{base}/{path}"))
                .header("host", host)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let want = format!("http://{host}/{want}");
            let escaped = want.replace('&', "&amp;");
            assert!(
                body.contains(&format!("\"{want}\"")) || body.contains(&format!("\"{escaped}\"")),
                "{path} for {host}: {body}"
            );
        }
    }
    // a.xml, a.atom, a.json, p.xml by query, p.xml by path.
    assert_eq!(renders(&metrics), "tidings_output_renders_total 5");

    // A Host that is not a plain host[:port] is not echoed.
    let body = c
        .get(&url)
        .header("host", "evil.example\"><x a=\"")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(self_link(&body), "http://localhost/feeds/a.xml");
}

#[tokio::test]
async fn public_url_is_the_base_of_self_links_whatever_the_host() {
    let (base, metrics, _server, _t) =
        counted_output("public_url = \"https://feeds.example.org/tidings\"").await;
    let c = client();
    let url = format!("{base}/feeds/a.xml");
    let mut seen = std::collections::HashSet::new();
    for host in ["a.example", "b.example:81", "127.0.0.1"] {
        let r = c.get(&url).header("host", host).send().await.unwrap();
        let etag = r.headers()["etag"].to_str().unwrap().to_string();
        let body = r.text().await.unwrap();
        assert_eq!(
            self_link(&body),
            "https://feeds.example.org/tidings/feeds/a.xml"
        );
        assert!(body.contains("<link>https://feeds.example.org/tidings/</link>"));
        seen.insert((etag, body));
    }
    assert_eq!(seen.len(), 1, "the same bytes and ETag for every Host");
    assert_eq!(renders(&metrics), "tidings_output_renders_total 1");
    let opml = c
        .get(format!("{base}/opml"))
        .header("host", "a.example")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        opml.contains("xmlUrl=\"https://feeds.example.org/tidings/feeds/a.xml\""),
        "{opml}"
    );
}
