//! The long-running daemon: schedules, serves while polling, stops cleanly.

use std::time::Duration;

use crate::support::*;

#[tokio::test]
async fn polls_on_schedule_serves_and_stops_on_shutdown() {
    let server = FeedServer::start().await;
    server.set(
        "korea.xml",
        Resource::feed(fixture("feeds/korea-rss2.xml"), Some("e1")),
    );
    // Six fields: every second, so the test sees several polls quickly.
    let t = write_config(&format!(
        "[daemon]\ndatabase = \"t.db\"\nschedule = \"* * * * * *\"\n[[feed]]\nurl = \"{}\"\n[[output]]\nname = \"all\"\n",
        server.url("korea.xml")
    ));
    let config = load(&t);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let daemon = tokio::spawn(tidings::daemon::run(config, listener, async {
        let _ = stopped.await;
    }));

    let c = client();
    let mut items = 0;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if let Ok(r) = c.get(format!("{base}/feeds/all.xml")).send().await {
            items = served_items(&r.bytes().await.unwrap()).len();
            if items == 4 && server.hits("korea.xml") >= 3 {
                break;
            }
        }
    }
    assert_eq!(
        items, 4,
        "the daemon polled at start-up and serves the items"
    );
    assert!(
        server.hits("korea.xml") >= 3,
        "polled again on schedule: {} hits",
        server.hits("korea.xml")
    );
    assert!(
        server.conditional_hits("korea.xml") >= 2,
        "later polls are conditional"
    );

    stop.send(()).unwrap();
    let result = tokio::time::timeout(Duration::from_secs(10), daemon).await;
    result.expect("daemon stops promptly").unwrap().unwrap();
    assert!(
        c.get(format!("{base}/healthz")).send().await.is_err(),
        "listener closed"
    );
}

#[tokio::test]
async fn sigterm_stops_the_binary_with_exit_zero() {
    let server = FeedServer::with_fixtures(&[("korea.xml", "feeds/korea-rss2.xml")]).await;
    let port = free_port();
    let t = write_config(&format!(
        "[daemon]\ndatabase = \"t.db\"\nlisten = \"127.0.0.1:{port}\"\n[[feed]]\nurl = \"{}\"\n[[output]]\nname = \"all\"\n",
        server.url("korea.xml")
    ));
    let daemon = Daemon::start(&t.path);
    assert!(
        eventually(|| async { served_count(port, "all").await == Some(4) }).await,
        "daemon came up and polled"
    );
    let (status, log) = daemon.stop().await;
    assert_eq!(status.code(), Some(0), "exit 0 on SIGTERM; log:\n{log}");
    assert!(log.contains("SIGTERM"), "{log}");
    assert!(
        log.contains("new=4"),
        "logs the poll with its new-item count:\n{log}"
    );
}
