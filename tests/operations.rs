//! Operating it: retention, backup, logs, completions and the man page.

use std::process::Command;

use crate::support::*;

#[tokio::test]
async fn retention_keeps_the_newest_and_does_not_reimport_pruned_items() {
    let server = FeedServer::with_fixtures(&[("f.xml", "feeds/korea-rss2.xml")]).await;
    let t = write_config(&format!(
        "[daemon]\ndatabase = \"t.db\"\n[[feed]]\nurl = \"{}\"\nkeep_items = 2\n[[output]]\nname = \"all\"\n",
        server.url("f.xml")
    ));
    let config = load(&t);
    let ctx = tidings::daemon::context(&config).await.unwrap();
    tidings::daemon::once_with(&ctx, &config).await;
    assert_eq!(ctx.store.item_count().unwrap(), 2);
    let again = tidings::daemon::once_with(&ctx, &config).await;
    assert_eq!(
        again[0].result,
        tidings::model::RefreshResult::Stored(tidings::model::StoreCounts {
            new: 0,
            updated: 0,
            unchanged: 4
        })
    );
    assert_eq!(
        ctx.store.item_count().unwrap(),
        2,
        "pruned items stay pruned"
    );
    let base = start_publish(&config, ctx.store.clone()).await;
    let titles: Vec<String> = served(&base, "all")
        .await
        .into_iter()
        .map(|i| i.1)
        .collect();
    assert_eq!(
        titles,
        [
            "Seoul and Tokyo foreign ministers meet in Busan",
            "서울·베이징 외교장관 회담"
        ]
    );
}

#[tokio::test]
async fn backup_makes_a_consistent_copy_while_the_daemon_runs() {
    if skip_on_postgres(
        "VACUUM INTO and the WAL checkpoint (postgres::backup_runs_pg_dump covers PostgreSQL)",
    ) {
        return;
    }
    let server = FeedServer::with_fixtures(&[("f.xml", "feeds/korea-rss2.xml")]).await;
    let port = free_port();
    let t = write_config(&format!(
        "[daemon]\ndatabase = \"t.db\"\nlisten = \"127.0.0.1:{port}\"\nlog_format = \"json\"\n[[feed]]\nurl = \"{}\"\n[[output]]\nname = \"all\"\n",
        server.url("f.xml")
    ));
    let daemon = Daemon::start(&t.path);
    assert!(eventually(|| async { served_count(port, "all").await == Some(4) }).await);
    let dest = t.dir.path().join("backup.db");
    let out = tidings_async(&[
        "backup",
        "--config",
        t.path.to_str().unwrap(),
        dest.to_str().unwrap(),
    ])
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let copy = rusqlite::Connection::open(&dest).unwrap();
    let ok: String = copy
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    let n: i64 = copy
        .query_row("SELECT count(*) FROM items", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 4);
    // A second backup to the same file is refused rather than overwriting it.
    let again = tidings(&[
        "backup",
        "--config",
        t.path.to_str().unwrap(),
        dest.to_str().unwrap(),
    ]);
    assert_eq!(again.status.code(), Some(1));

    let (status, log) = daemon.stop().await;
    assert_eq!(status.code(), Some(0));
    for line in log.lines() {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(v["level"].is_string() && v["fields"].is_object(), "{line}");
    }
    // Shutdown checkpointed the WAL: the database file alone is complete.
    let wal = t.dir.path().join("t.db-wal");
    assert!(
        !wal.exists() || std::fs::metadata(&wal).unwrap().len() == 0,
        "WAL folded into the database"
    );
}

#[test]
fn completions_and_man_page_come_from_the_cli_definition() {
    let bash = tidings(&["completions", "bash"]);
    assert!(bash.status.success());
    let text = String::from_utf8_lossy(&bash.stdout);
    assert!(text.contains("tidings") && text.contains("explain") && text.contains("--config"));
    let man = tidings(&["man"]);
    let text = String::from_utf8_lossy(&man.stdout);
    assert!(
        man.status.success() && text.starts_with(".ie") || text.contains(".TH"),
        "{text}"
    );
    assert!(text.contains("status"));
}

#[tokio::test]
async fn metrics_are_served_on_their_own_listener_only() {
    let server = FeedServer::start().await;
    server.set(
        "f.xml",
        Resource::feed(fixture("feeds/korea-rss2.xml"), Some("e1")),
    );
    let mport = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let t = write_config(&format!(
        "[daemon]\ndatabase = \"t.db\"\nmetrics_listen = \"127.0.0.1:{mport}\"\n[[feed]]\nurl = \"{}\"\n[[output]]\nname = \"all\"\n",
        server.url("f.xml")
    ));
    let config = load(&t);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let daemon = tokio::spawn(tidings::daemon::run(config, listener, async {
        let _ = stopped.await;
    }));
    let c = client();
    let mut text = String::new();
    for _ in 0..100 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let _ = c.get(format!("{base}/feeds/all.xml")).send().await;
        if let Ok(r) = c
            .get(format!("http://127.0.0.1:{mport}/metrics"))
            .send()
            .await
        {
            text = r.text().await.unwrap();
            // The handler reads the feeds' states before the counters: a
            // scrape during the poll's commit can see the count but not the state.
            if text.contains("tidings_polls_total{result=\"stored\"} 1")
                && text.contains("tidings_feeds{state=\"ok\"} 1")
            {
                break;
            }
        }
    }
    for needle in [
        "tidings_polls_total{result=\"stored\"} 1",
        "tidings_items_ingested_total{kind=\"new\"} 4",
        "tidings_feeds{state=\"ok\"} 1",
        "tidings_refresh_seconds_count 1",
        "# TYPE tidings_refresh_seconds histogram",
    ] {
        assert!(text.contains(needle), "missing {needle} in:\n{text}");
    }
    assert!(
        text.contains("tidings_output_requests_total ")
            && !text.contains("tidings_output_requests_total 0"),
        "{text}"
    );
    assert_eq!(
        c.get(format!("{base}/metrics"))
            .send()
            .await
            .unwrap()
            .status(),
        404,
        "not on the public listener"
    );
    stop.send(()).unwrap();
    daemon.await.unwrap().unwrap();
}

#[test]
fn opml_round_trip_through_newsboat_keeps_every_feed_and_the_config_comments() {
    let t = write_config(
        "[[feed]]\nurl = \"https://a.example/rss\"\nname = \"A\"\ntags = [\"korea\"]\n\
         [[feed]]\nurl = \"https://b.example/atom?x=1&y=2\"\nname = \"B & C\"\n\
         [[feed]]\nurl = \"https://c.example/feed/\"\n",
    );
    let out = tidings(&["export-opml", "--config", t.path.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let exported = t.dir.path().join("tidings.opml");
    std::fs::write(&exported, &out.stdout).unwrap();

    // newsboat imports our OPML and exports its own.
    let nb = t.dir.path().join("nb");
    std::fs::create_dir(&nb).unwrap();
    std::fs::write(nb.join("urls"), "").unwrap();
    let newsboat = |args: &[&str]| {
        Command::new("newsboat")
            .current_dir(&nb)
            .args(["-u", "urls", "-c", "cache.db", "-C", "/dev/null"])
            .args(args)
            .output()
            .expect("newsboat (installed by scripts/test.sh)")
    };
    assert!(
        newsboat(&["-i", exported.to_str().unwrap()])
            .status
            .success()
    );
    let back = newsboat(&["-e"]);
    assert!(back.status.success());
    let from_newsboat = t.dir.path().join("newsboat.opml");
    std::fs::write(&from_newsboat, &back.stdout).unwrap();

    // Into a fresh config with comments: every feed arrives, the comments stay.
    let fresh = t.dir.path().join("fresh.toml");
    std::fs::write(
        &fresh,
        "# my tidings\n[daemon]\nlisten = \"127.0.0.1:8080\" # port\n",
    )
    .unwrap();
    let out = tidings(&[
        "import-opml",
        "--config",
        fresh.to_str().unwrap(),
        from_newsboat.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("3 added"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let text = std::fs::read_to_string(&fresh).unwrap();
    assert!(
        text.starts_with("# my tidings\n[daemon]\nlisten = \"127.0.0.1:8080\" # port\n"),
        "{text}"
    );
    let config = tidings::config::load(&fresh).unwrap();
    let urls: Vec<String> = config.feeds.iter().map(|f| f.url.to_string()).collect();
    assert_eq!(
        urls,
        [
            "https://a.example/rss",
            "https://b.example/atom?x=1&y=2",
            "https://c.example/feed/"
        ]
    );
    // Importing again adds nothing.
    let out = tidings(&[
        "import-opml",
        "--config",
        fresh.to_str().unwrap(),
        exported.to_str().unwrap(),
    ]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 added"));
}

#[tokio::test]
async fn a_full_database_pauses_polling_keeps_serving_and_recovers() {
    if skip_on_postgres("max_database_mb (a cap on the file's pages)") {
        return;
    }
    let server = FeedServer::start().await;
    let mut feed = String::from(
        "<rss version=\"2.0\"><channel><title>Big</title><link>https://big.example/</link><description>d</description>",
    );
    for i in 0..40 {
        feed.push_str(&format!(
            "<item><title>Big item {i}</title><link>https://big.example/{i}</link><guid>big-{i}</guid><description>{}</description></item>",
            "A long paragraph of article text. ".repeat(1200)
        ));
    }
    feed.push_str("</channel></rss>");
    server.set("big.xml", Resource::feed(feed, None));
    server.set(
        "small.xml",
        Resource::feed(fixture("feeds/korea-rss2.xml"), None),
    );
    let port = free_port();
    let text = |cap: u32| {
        format!(
            "[daemon]\ndatabase = \"t.db\"\nlisten = \"127.0.0.1:{port}\"\nmax_database_mb = {cap}\nconcurrency = 1\n\
             [[feed]]\nurl = \"{}\"\n[[feed]]\nurl = \"{}\"\n[[output]]\nname = \"all\"\n",
            server.url("big.xml"),
            server.url("small.xml")
        )
    };
    let t = write_config(&text(1));
    let daemon = Daemon::start(&t.path);
    // The big feed does not fit under the 1 MB cap; the server keeps serving.
    assert!(
        eventually(|| async {
            served_count(port, "all").await.is_some()
                && daemon.log().contains("polling pauses, serving goes on")
        })
        .await,
        "{}",
        daemon.log()
    );
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(served_count(port, "all").await.is_some(), "serving goes on");
    let health = client()
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let big_hits = server.hits("big.xml");

    // Space returns (the cap is raised and the config reloaded): polling resumes
    // by itself within the storage retry interval.
    std::fs::write(&t.path, t.text(&text(64))).unwrap();
    daemon.signal("HUP");
    let mut recovered = false;
    for _ in 0..3 {
        if eventually(|| async { served_count(port, "all").await.is_some_and(|n| n >= 40) }).await {
            recovered = true;
            break;
        }
    }
    assert!(recovered, "polling resumed by itself once writes fit again");
    assert!(server.hits("big.xml") > big_hits);

    let (_, log) = daemon.stop().await;
    assert!(
        log.contains("database or disk is full") && log.contains("polling pauses, serving goes on"),
        "{log}"
    );
    assert!(log.contains("retrying polls"), "{log}");
}

#[tokio::test]
async fn import_opml_can_validate_feeds_first() {
    let server = FeedServer::with_fixtures(&[("good.xml", "feeds/korea-rss2.xml")]).await;
    let opml = format!(
        "<opml version=\"2.0\"><body><outline text=\"News\"><outline text=\"Good\" xmlUrl=\"{}\"/><outline text=\"Bad\" xmlUrl=\"{}\"/></outline></body></opml>",
        server.url("good.xml"),
        server.url("missing.xml")
    );
    let t = write_config("[daemon]\n");
    let file = t.dir.path().join("in.opml");
    std::fs::write(&file, opml).unwrap();
    let out = tidings_async(&[
        "import-opml",
        "--validate",
        "--config",
        t.path.to_str().unwrap(),
        file.to_str().unwrap(),
    ])
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("not added:") && stderr.contains("missing.xml") && stderr.contains("404"),
        "{stderr}"
    );
    let config = load(&t);
    assert_eq!(config.feeds.len(), 1);
    assert_eq!(config.feeds[0].name, "Good");
    assert_eq!(config.feeds[0].tags, ["news"]);
}
