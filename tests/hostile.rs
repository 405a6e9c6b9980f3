//! A misbehaving server: every way a feed host can go wrong, and that nothing
//! already stored is lost or duplicated through any of it.

use std::time::{Duration, Instant};

use tidings::model::RefreshResult;

use crate::support::*;

struct Setup {
    server: FeedServer,
    _t: TempConfig,
    config: tidings::config::Config,
    ctx: tidings::pipeline::Context,
}

async fn setup(path: &str, daemon_extra: &str) -> Setup {
    let server = FeedServer::start().await;
    let t = write_config(&format!(
        "[daemon]\ndatabase = \"t.db\"\n{daemon_extra}\n[[feed]]\nurl = \"{}\"\nname = \"F\"\n[[output]]\nname = \"all\"\n",
        server.url(path)
    ));
    let config = load(&t);
    let ctx = tidings::daemon::context(&config).await.unwrap();
    Setup {
        server,
        _t: t,
        config,
        ctx,
    }
}

impl Setup {
    async fn poll(&self) -> tidings::model::RefreshReport {
        tidings::daemon::once_with(&self.ctx, &self.config)
            .await
            .remove(0)
    }
    fn state(&self) -> tidings::model::FeedState {
        self.ctx
            .store
            .feed_state(self.config.feeds[0].url.as_str())
            .unwrap()
    }
    fn status(&self) -> tidings::status::FeedStatus {
        tidings::status::report(&self.config, &self.ctx.store, chrono::Utc::now())
            .unwrap()
            .remove(0)
    }
}

fn good() -> Resource {
    Resource::feed(fixture("feeds/korea-rss2.xml"), None)
}

#[tokio::test]
async fn retry_after_defers_the_feed_without_counting_a_failure() {
    let s = setup("f.xml", "").await;
    s.server
        .set("f.xml", Resource::status(429).header("retry-after", "120"));
    let r = s.poll().await;
    assert!(
        matches!(r.result, RefreshResult::Deferred(_)),
        "{:?}",
        r.result
    );
    let wait = r.not_before.unwrap() - chrono::Utc::now();
    assert!((110..=121).contains(&wait.num_seconds()), "{wait}");
    assert_eq!(r.consecutive_failures, 0);
    let st = s.status();
    assert_eq!((st.state, st.consecutive_failures), ("deferred", 0));
    assert!(
        st.next_poll.unwrap()
            >= r.not_before
                .unwrap()
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );

    // An HTTP date works too (503).
    let at = chrono::Utc::now() + chrono::Duration::minutes(30);
    s.server.set(
        "f.xml",
        Resource::status(503).header(
            "retry-after",
            &at.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
        ),
    );
    let r = s.poll().await;
    assert!(matches!(r.result, RefreshResult::Deferred(_)));
    assert!((r.not_before.unwrap() - at).num_seconds().abs() <= 1);
    // Without Retry-After a 503 is a failure, with back-off.
    s.server.set("f.xml", Resource::status(503));
    assert_eq!(s.poll().await.consecutive_failures, 1);
    assert_eq!(s.poll().await.consecutive_failures, 2);
    assert_eq!(s.status().state, "failing");
}

#[tokio::test]
async fn gone_stops_polling_and_keeps_the_items() {
    let s = setup("f.xml", "").await;
    s.server.set("f.xml", good());
    s.poll().await;
    s.server.set("f.xml", Resource::status(410));
    assert_eq!(s.poll().await.result, RefreshResult::Gone);
    let st = s.status();
    assert_eq!((st.state, st.items, st.next_poll), ("gone", 4, None));
    assert!(st.last_error.unwrap().contains("410"));
}

#[tokio::test]
async fn permanent_redirects_move_the_feed_temporary_ones_do_not() {
    let s = setup("old.xml", "").await;
    s.server
        .set("old.xml", Resource::redirect(301, &s.server.url("mid.xml")));
    s.server
        .set("mid.xml", Resource::redirect(308, &s.server.url("new.xml")));
    s.server.set("new.xml", good());
    assert_eq!(
        s.poll().await.result,
        RefreshResult::Stored(tidings::model::StoreCounts {
            new: 4,
            updated: 0,
            unchanged: 0
        })
    );
    assert_eq!(
        s.state().current_url.as_deref(),
        Some(s.server.url("new.xml").as_str())
    );
    s.poll().await;
    assert_eq!(
        (s.server.hits("old.xml"), s.server.hits("new.xml")),
        (1, 2),
        "the new address is polled directly"
    );

    let t = setup("temp.xml", "").await;
    t.server.set(
        "temp.xml",
        Resource::redirect(302, &t.server.url("elsewhere.xml")),
    );
    t.server.set("elsewhere.xml", good());
    t.poll().await;
    t.server.set(
        "temp.xml",
        Resource::redirect(307, &t.server.url("elsewhere.xml")),
    );
    t.poll().await;
    assert_eq!(
        t.state().current_url,
        None,
        "302/307 keep the configured address"
    );
    assert_eq!(t.server.hits("temp.xml"), 2);
    // 301 then 302: not all permanent, so the address stays.
    t.server.set(
        "temp.xml",
        Resource::redirect(301, &t.server.url("hop.xml")),
    );
    t.server.set(
        "hop.xml",
        Resource::redirect(302, &t.server.url("elsewhere.xml")),
    );
    t.poll().await;
    assert_eq!(t.state().current_url, None);
}

#[tokio::test]
async fn redirect_loops_and_long_chains_are_bounded() {
    let s = setup("a.xml", "").await;
    s.server
        .set("a.xml", Resource::redirect(302, &s.server.url("b.xml")));
    s.server
        .set("b.xml", Resource::redirect(302, &s.server.url("a.xml")));
    match s.poll().await.result {
        RefreshResult::Failed(e) => assert!(e.contains("redirect loop"), "{e}"),
        other => panic!("{other:?}"),
    }
    let c = setup("c0.xml", "").await;
    for i in 0..15 {
        c.server.set(
            &format!("c{i}.xml"),
            Resource::redirect(302, &c.server.url(&format!("c{}.xml", i + 1))),
        );
    }
    match c.poll().await.result {
        RefreshResult::Failed(e) => assert!(e.contains("more than 10 redirects"), "{e}"),
        other => panic!("{other:?}"),
    }
    assert!(c.server.hits("c12.xml") == 0, "stopped after 10 hops");
}

#[tokio::test]
async fn a_slow_drip_is_cut_off_by_the_deadline() {
    let s = setup("f.xml", "timeout_secs = 2").await;
    s.server.set(
        "f.xml",
        Resource {
            drip: true,
            ..good()
        },
    );
    let started = Instant::now();
    match s.poll().await.result {
        RefreshResult::Failed(e) => assert!(
            e.contains("timed out") || e.contains("reading the body"),
            "{e}"
        ),
        other => panic!("{other:?}"),
    }
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_gzip_bomb_and_a_huge_body_are_refused_early() {
    let s = setup("f.xml", "max_feed_bytes = 1048576").await;
    // 64 MiB of zeros, about 64 KiB compressed.
    let bomb = std::process::Command::new("sh")
        .args(["-c", "head -c 67108864 /dev/zero | gzip -c"])
        .output()
        .unwrap()
        .stdout;
    assert!(bomb.len() < 200_000);
    s.server.set(
        "f.xml",
        Resource::feed(bomb, None).header("content-encoding", "gzip"),
    );
    let started = Instant::now();
    match s.poll().await.result {
        RefreshResult::Failed(e) => assert!(e.contains("exceeds the 1048576-byte limit"), "{e}"),
        other => panic!("{other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(5));
    s.server
        .set("f.xml", Resource::feed(vec![b' '; 3 << 20], None));
    match s.poll().await.result {
        RefreshResult::Failed(e) => assert!(e.contains("limit"), "{e}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn nothing_stored_is_lost_or_duplicated_through_any_of_it() {
    let s = setup("f.xml", "timeout_secs = 2").await;
    s.server.set(
        "f.xml",
        Resource {
            content_type: "text/html",
            ..good()
        },
    );
    assert!(
        matches!(s.poll().await.result, RefreshResult::Stored(_)),
        "a wrong Content-Type is not a reason to reject a feed"
    );
    let truncated = {
        let full = fixture("feeds/korea-rss2.xml");
        full[..full.len() / 2].to_vec()
    };
    let bad: Vec<Resource> = vec![
        Resource::status(500),
        Resource::status(429).header("retry-after", "1"),
        Resource::redirect(302, &s.server.url("loop.xml")),
        Resource::feed(truncated, None),
        Resource::feed(shared("feeds-corpus/edge/html-page-not-feed.html"), None),
        Resource::feed(Vec::new(), None),
        Resource {
            drip: true,
            ..good()
        },
    ];
    s.server
        .set("loop.xml", Resource::redirect(302, &s.server.url("f.xml")));
    for r in bad {
        s.server.set("f.xml", r);
        let report = s.poll().await;
        // Failed, deferred, or (a truncated document, read in part) nothing new
        // and nothing changed.
        assert!(
            !matches!(report.result, RefreshResult::Stored(c) if c.new > 0 || c.updated > 0),
            "{:?}",
            report.result
        );
        assert_eq!(
            s.ctx.store.item_count().unwrap(),
            4,
            "items kept after {:?}",
            report.result
        );
    }
    s.server.set("f.xml", good());
    assert_eq!(
        s.poll().await.result,
        RefreshResult::Stored(tidings::model::StoreCounts {
            new: 0,
            updated: 0,
            unchanged: 4
        })
    );
    assert_eq!(s.state().consecutive_failures, 0, "recovered");
    let base = start_publish(&s.config, s.ctx.store.clone()).await;
    let ids: std::collections::HashSet<_> = served(&base, "all")
        .await
        .into_iter()
        .map(|i| i.0)
        .collect();
    assert_eq!(ids.len(), 4);
}

#[tokio::test]
async fn cache_headers_and_ttl_set_a_floor_on_the_next_poll() {
    let s = setup("f.xml", "").await;
    s.server.set(
        "f.xml",
        good().header("cache-control", "public, max-age=3600"),
    );
    let r = s.poll().await;
    let floor = r.not_before.unwrap() - chrono::Utc::now();
    assert!((3590..=3600).contains(&floor.num_seconds()), "{floor}");
    let next = tidings::scheduler::next_after_refresh(
        &s.config.feeds[0],
        chrono_tz::UTC,
        chrono::Utc::now(),
        r.not_before,
        0,
        true,
    );
    assert!(next >= r.not_before.unwrap());
    let ttl = String::from_utf8(fixture("feeds/korea-rss2.xml"))
        .unwrap()
        .replace(
            "<description>Fixture: news about Korea</description>",
            "<description>x</description><ttl>180</ttl>",
        );
    s.server.set("f.xml", Resource::feed(ttl, None));
    let r = s.poll().await;
    assert!((r.not_before.unwrap() - chrono::Utc::now()).num_minutes() >= 179);
    // A hostile max-age cannot stop a feed for long.
    s.server
        .set("f.xml", good().header("cache-control", "max-age=99999999"));
    let r = s.poll().await;
    assert!((r.not_before.unwrap() - chrono::Utc::now()) <= chrono::Duration::hours(24));
}

#[tokio::test]
async fn feeds_on_one_host_are_polled_at_most_feeds_per_host_at_a_time() {
    for (per_host, expected) in [(1, 1), (3, 3)] {
        let server = FeedServer::start().await;
        let mut text = format!(
            "[daemon]\ndatabase = \"t.db\"\nconcurrency = 8\nfeeds_per_host = {per_host}\n"
        );
        for i in 0..4 {
            server.set(
                &format!("f{i}.xml"),
                Resource {
                    delay_ms: 300,
                    ..good()
                },
            );
            text.push_str(&format!(
                "[[feed]]\nurl = \"{}\"\n",
                server.url(&format!("f{i}.xml"))
            ));
        }
        let t = write_config(&text);
        let config = load(&t);
        let ctx = tidings::daemon::context(&config).await.unwrap();
        let started = Instant::now();
        tidings::daemon::once_with(&ctx, &config).await;
        assert_eq!(
            server.max_in_flight(),
            expected,
            "feeds_per_host = {per_host}"
        );
        if per_host == 1 {
            assert!(
                started.elapsed() >= Duration::from_millis(1200),
                "{:?}",
                started.elapsed()
            );
        }
    }
}
