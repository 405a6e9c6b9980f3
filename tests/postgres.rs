//! Several daemons on one PostgreSQL database: shared polling, lease takeover
//! after kill -9, fencing of a stale lease's writes, copies of one story
//! stored by two daemons at once, `tidings migrate`,
//! /healthz and polling while the database is away. They need a server:
//! `TIDINGS_TEST_POSTGRES` (scripts/test.sh starts one); without it each says
//! it is skipped.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use tidings::model::{HtmlText, NewItem, Validators};
use tidings::store::{Claim, FeedRef, Refresh, Store};

use crate::support::*;

/// A fresh database's URL, or `None` (and why) without a test server.
fn database(test: &str) -> Option<String> {
    if !on_postgres() {
        eprintln!("skipped {test}: set TIDINGS_TEST_POSTGRES (scripts/test.sh does) to run it");
        return None;
    }
    Some(fresh_database())
}

/// A feed document of `n` items, `feed`'s own.
fn feed_doc(feed: usize, n: usize) -> String {
    let mut s = format!(
        "<rss version=\"2.0\"><channel><title>F{feed}</title><link>https://f{feed}.example/</link><description>d</description>"
    );
    for i in 0..n {
        s.push_str(&format!(
            "<item><guid>f{feed}-{i}</guid><title>Feed {feed} item {i}</title><link>https://f{feed}.example/{i}</link><description>Body {i} of feed {feed}</description></item>"
        ));
    }
    s.push_str("</channel></rss>");
    s
}

/// A config for `feeds` feeds of `server` on `url`, serving on `port`.
fn shared_config(server: &FeedServer, feeds: usize, url: &str, port: u16, extra: &str) -> String {
    let mut text =
        format!("[daemon]\ndatabase = \"{url}\"\nlisten = \"127.0.0.1:{port}\"\n{extra}\n");
    for f in 0..feeds {
        text.push_str(&format!(
            "[[feed]]\nurl = \"{}\"\n",
            server.url(&format!("f{f}.xml"))
        ));
    }
    text.push_str("[[output]]\nname = \"all\"\nlimit = 1000\n");
    text
}

fn open(url: &str) -> Store {
    Store::open(Path::new(url)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_daemons_share_the_polls_each_feed_fetched_once_per_cycle() {
    let Some(url) = database("two daemons sharing polls") else {
        return;
    };
    const FEEDS: usize = 30;
    let server = FeedServer::start().await;
    for f in 0..FEEDS {
        let mut r = Resource::feed(feed_doc(f, 3), None);
        r.delay_ms = 150; // polls overlap, so both daemons take part
        server.set(&format!("f{f}.xml"), r);
    }
    // Every 10 s (offsets up to 2 s); a claim lasts 5 s.
    let extra = "schedule = \"*/10 * * * * *\"\nlease_secs = 5\nconcurrency = 8";
    let (pa, pb) = (free_port(), free_port());
    let ta = write_config(&shared_config(&server, FEEDS, &url, pa, extra));
    let tb = write_config(&shared_config(&server, FEEDS, &url, pb, extra));
    let a = Daemon::start(&ta.path);
    let b = Daemon::start(&tb.path);
    let hits = |s: &FeedServer| {
        (0..FEEDS)
            .map(|f| s.hits(&format!("f{f}.xml")))
            .collect::<Vec<_>>()
    };
    let all_at_least = |n: usize| {
        let server = server.clone();
        move || {
            let h = hits(&server);
            async move { h.iter().all(|&x| x >= n) }
        }
    };
    assert!(
        eventually(all_at_least(1)).await,
        "first cycle: {:?}",
        hits(&server)
    );
    assert!(
        hits(&server).iter().all(|&x| x == 1),
        "each feed fetched once: {:?}",
        hits(&server)
    );
    // The next cycle: again once each, by whichever daemon claims it.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !hits(&server).iter().all(|&x| x >= 2) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        hits(&server).iter().all(|&x| x == 2),
        "second cycle, once each: {:?}",
        hits(&server)
    );
    // Items are stored once, and both daemons serve them alike.
    let store = open(&url);
    assert_eq!(store.item_count().unwrap(), (FEEDS * 3) as u64);
    let same = eventually(|| async {
        let (x, y) = (served_count(pa, "all").await, served_count(pb, "all").await);
        x == Some(FEEDS * 3) && y == Some(FEEDS * 3)
    })
    .await;
    assert!(same, "both serve every item");
    let (ia, ib) = (
        served(&format!("http://127.0.0.1:{pa}"), "all").await,
        served(&format!("http://127.0.0.1:{pb}"), "all").await,
    );
    assert_eq!(ia, ib, "identical outputs");
    let (_, log_a) = a.stop().await;
    let (_, log_b) = b.stop().await;
    let polled = |log: &str| log.lines().filter(|l| l.contains("polled")).count();
    assert!(
        polled(&log_a) > 0 && polled(&log_b) > 0,
        "both daemons polled: {} and {}",
        polled(&log_a),
        polled(&log_b)
    );
    assert_eq!(polled(&log_a) + polled(&log_b), 2 * FEEDS, "no poll twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daemon_killed_mid_poll_hands_its_feeds_over_after_the_lease() {
    let Some(url) = database("lease takeover after kill -9") else {
        return;
    };
    const FEEDS: usize = 12;
    const LEASE: u64 = 4;
    let server = FeedServer::start().await;
    for f in 0..FEEDS {
        let mut r = Resource::feed(feed_doc(f, 3), None);
        r.delay_ms = 2500;
        server.set(&format!("f{f}.xml"), r);
    }
    let extra = format!(
        "schedule = \"@daily\"\nlease_secs = {LEASE}\nconcurrency = {FEEDS}\nfeeds_per_host = {FEEDS}"
    );
    let ta = write_config(&shared_config(&server, FEEDS, &url, free_port(), &extra));
    let a = Daemon::start(&ta.path);
    // Kill it while every poll is in flight (claimed, nothing written).
    assert!(eventually(|| async { server.max_in_flight() >= FEEDS }).await);
    a.signal("KILL");
    let killed = Instant::now();
    drop(a);
    let store = open(&url);
    assert_eq!(
        store.item_count().unwrap(),
        0,
        "nothing written before the kill"
    );
    let tb = write_config(&shared_config(&server, FEEDS, &url, free_port(), &extra));
    let b = Daemon::start(&tb.path);
    let hits = || {
        (0..FEEDS)
            .map(|f| server.hits(&format!("f{f}.xml")))
            .collect::<Vec<_>>()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while store.item_count().unwrap() < (FEEDS * 3) as u64 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let took = killed.elapsed();
    eprintln!("lease {LEASE} s: every feed stored {took:?} after the kill");
    assert_eq!(
        store.item_count().unwrap(),
        (FEEDS * 3) as u64,
        "every feed polled: {:?}",
        hits()
    );
    // B waited for A's leases (taken < 1 s before the kill), then polled (2.5 s).
    assert!(
        took >= Duration::from_secs(LEASE - 1) && took <= Duration::from_secs(LEASE + 8),
        "takeover after about the lease: {took:?}"
    );
    for f in 0..FEEDS {
        let state = store.feed_state(&server.url(&format!("f{f}.xml"))).unwrap();
        assert_eq!(
            (state.items, state.consecutive_failures),
            (3, 0),
            "feed {f}"
        );
    }
    let (status, log) = b.stop().await;
    assert_eq!(status.code(), Some(0), "{log}");
    assert!(
        log.contains("another daemon is polling it") || log.contains("polled"),
        "{log}"
    );
}

fn refresh(title: &str) -> Refresh {
    Refresh {
        status: 200,
        validators: Validators::default(),
        title: Some("F".into()),
        site_link: None,
        items: vec![NewItem {
            key: "k".into(),
            guid: Some("k".into()),
            link: Some("https://f.example/k".into()),
            canonical_link: Some("https://f.example/k".into()),
            title: title.into(),
            summary: Some(HtmlText {
                html: format!("<p>{title}</p>"),
                text: title.into(),
            }),
            content: None,
            authors: vec![],
            author: None,
            categories: vec![],
            published: None,
            updated: None,
            enclosures: vec![],
            content_hash: title.into(),
            print: None,
        }],
        filters: vec![],
        matches: vec![vec![]],
        moved_to: None,
        not_before: None,
        full_text: false,
        dedup_window_secs: 72 * 3600,
    }
}

/// The text of story `s`: a few sentences of words no other story uses.
fn story_text(s: usize) -> String {
    let mut x = (s as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut words = Vec::new();
    for _ in 0..90 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let len = 3 + (x % 6) as usize;
        let w: String = (0..len)
            .map(|i| (b'a' + ((x >> (i * 5)) % 26) as u8) as char)
            .collect();
        words.push(w);
    }
    words
        .chunks(15)
        .map(|c| format!("{}.", c.join(" ")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A document of one item, a copy of story `s` as feed `feed` carries it.
fn copy_of(feed: &str, s: usize) -> Refresh {
    let mut r = refresh(&format!("Story {s} as {feed} tells it"));
    let text = story_text(s);
    let item = &mut r.items[0];
    item.key = format!("{feed}-{s}");
    item.guid = Some(item.key.clone());
    item.link = Some(format!("https://{feed}.example/{s}"));
    item.canonical_link = item.link.clone();
    item.title = format!("Story {s}");
    item.summary = Some(HtmlText {
        html: format!("<p>{text}</p>"),
        text: text.clone(),
    });
    item.published = Some(Utc::now() - chrono::Duration::hours(1));
    item.content_hash = format!("{feed}-{s}");
    item.print = tidings::dedup::print(&item.title, &text, "");
    assert!(item.print.is_some());
    r
}

// Two daemons store copies of one story at the same moment, each in its own
// transaction: without the key locks neither sees the other's uncommitted
// copy and the story splits in two (it did, in most rounds, before them).
#[test]
fn two_daemons_storing_copies_of_one_story_at_once_make_one_story() {
    let Some(url) = database("copies of one story stored at once") else {
        return;
    };
    // Twelve rounds of one copy each (few keys: a lock per key), then one of
    // six copies each (more keys than a write locks one by one: one lock).
    const STORIES: usize = 18;
    let rounds: Vec<std::ops::Range<usize>> = (0..12)
        .map(|s| s..s + 1)
        .chain(std::iter::once(12..18))
        .collect();
    let (a, b) = (open(&url), open(&url));
    let feeds = ["https://wire.example/feed", "https://paper.example/feed"];
    for round in rounds {
        let barrier = std::sync::Barrier::new(2);
        std::thread::scope(|scope| {
            for (store, (url, name)) in [(&a, (feeds[0], "wire")), (&b, (feeds[1], "paper"))] {
                let (barrier, round) = (&barrier, round.clone());
                scope.spawn(move || {
                    let feed = FeedRef { url, name };
                    let mut r = copy_of(name, round.start);
                    for s in round.clone().skip(1) {
                        r.items.extend(copy_of(name, s).items);
                        r.matches.push(vec![]);
                    }
                    barrier.wait();
                    let counts = store.record_refresh(&feed, r, Utc::now()).wait().unwrap();
                    assert_eq!(counts.new, round.len());
                });
            }
        });
    }
    let urls: Vec<String> = feeds.iter().map(|u| u.to_string()).collect();
    let items = a.newest_items_of(&urls, 100).unwrap();
    assert_eq!(items.len(), 2 * STORIES);
    let mut stories: std::collections::HashMap<i64, Vec<String>> = Default::default();
    for i in &items {
        let story = i.story.expect("every item is placed");
        stories.entry(story).or_default().push(i.feed_url.clone());
    }
    assert_eq!(stories.len(), STORIES, "{stories:#?}");
    for copies in stories.values() {
        assert_eq!(copies.len(), 2, "{stories:#?}");
    }
    // The later copy says why it joined.
    let joined = items
        .iter()
        .filter(|i| b.story_reason(&i.uid).unwrap().is_some())
        .count();
    assert_eq!(joined, STORIES);
    let (signatures, keys) = a.print_counts().unwrap();
    assert_eq!(signatures, 2 * STORIES as u64);
    assert!(keys >= signatures, "{keys}");
    // Expiry forgets the prints (not the stories); by day, so a cutoff in
    // tomorrow's day covers everything dated today.
    assert_eq!(
        a.expire_prints(Utc::now().timestamp() + 86_400).unwrap(),
        2 * STORIES
    );
    assert_eq!(a.print_counts().unwrap(), (0, 0));
    let items = a.newest_items_of(&urls, 100).unwrap();
    let kept: std::collections::HashSet<i64> = items.iter().filter_map(|i| i.story).collect();
    assert_eq!(kept.len(), STORIES);
}

#[test]
fn a_write_under_a_lease_that_ran_out_is_refused_once_another_daemon_claimed() {
    let Some(url) = database("fencing") else {
        return;
    };
    let (a, b) = (open(&url), open(&url));
    a.set_lease(1);
    b.set_lease(1);
    let feed = FeedRef {
        url: "https://f.example/rss",
        name: "F",
    };
    a.register_feeds(std::slice::from_ref(&feed), Utc::now())
        .unwrap();
    assert!(matches!(a.claim(feed.url).unwrap(), Claim::Granted(_)));
    assert!(
        matches!(b.claim(feed.url).unwrap(), Claim::Busy { .. }),
        "held by a"
    );
    std::thread::sleep(Duration::from_millis(1300));
    // a's lease ran out while it was still polling; b takes the feed over.
    assert!(matches!(b.claim(feed.url).unwrap(), Claim::Granted(_)));
    let newer = b
        .record_refresh(&feed, refresh("newer poll"), Utc::now())
        .wait()
        .unwrap();
    assert_eq!(newer.new, 1);
    let stale = a
        .record_refresh(&feed, refresh("stale poll"), Utc::now())
        .wait();
    assert!(
        stale.as_ref().is_err_and(|e| e.is_lease_lost()),
        "the stale lease's write is refused: {:?}",
        stale.map(|c| c.new)
    );
    let failure = a
        .record_failure(&feed, Some(500), "late".into(), Utc::now())
        .wait();
    assert!(failure.is_err_and(|e| e.is_lease_lost()));
    let state = b.feed_state(feed.url).unwrap();
    assert_eq!(
        (state.items, state.consecutive_failures, state.last_error),
        (1, 0, None)
    );
    let items = b.items_of(&[feed.url.to_string()], 10).unwrap();
    assert_eq!(
        items[0].title, "newer poll",
        "the newer poll's results stand"
    );
    // a, having seen the feed move on, does not claim it for the same due time.
    assert!(matches!(
        a.claim(feed.url).unwrap(),
        Claim::Busy { .. } | Claim::Moved(_)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_copies_an_sqlite_database_once_and_it_serves_the_same() {
    let Some(url) = database("tidings migrate") else {
        return;
    };
    let server = FeedServer::with_fixtures(&[
        ("k.xml", "feeds/korea-rss2.xml"),
        ("j.atom", "feeds/japan-atom.xml"),
    ])
    .await;
    let feeds = format!(
        "[[feed]]\nurl = \"{}\"\nkeep_items = 3\n[[feed]]\nurl = \"{}\"\n\
         [[output]]\nname = \"all\"\n[[output]]\nname = \"seoul\"\nfilter = 'Seoul'\n",
        server.url("k.xml"),
        server.url("j.atom")
    );
    let dir = tempfile::tempdir().unwrap();
    let sqlite_config = dir.path().join("sqlite.toml");
    std::fs::write(
        &sqlite_config,
        format!("[daemon]\ndatabase = \"s.db\"\n{feeds}"),
    )
    .unwrap();
    let once = tidings_async(&["once", "--config", sqlite_config.to_str().unwrap()]).await;
    assert!(
        once.status.success(),
        "{}",
        String::from_utf8_lossy(&once.stderr)
    );
    let db = dir.path().join("s.db");
    let sqlite = Store::open(&db).unwrap();
    // Two copies of one story (the fixtures' items are older than the window).
    let copies = ["https://wire.example/feed", "https://paper.example/feed"];
    for (url, name) in copies.iter().zip(["wire", "paper"]) {
        let feed = FeedRef { url, name };
        let r = copy_of(name, 0);
        sqlite.record_refresh(&feed, r, Utc::now()).await.unwrap();
    }
    let counts = sqlite.table_counts().unwrap();
    for table in ["dedup_signatures", "dedup_keys"] {
        assert!(
            counts.iter().any(|(t, n)| t == table && *n > 0),
            "{counts:?}"
        );
    }
    let migrate = |force: bool| {
        let mut args = vec![
            "migrate",
            "--from",
            db.to_str().unwrap(),
            "--to",
            url.as_str(),
        ];
        if force {
            args.push("--force");
        }
        tidings(&args)
    };
    let out = migrate(false);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (table, n) in &counts {
        assert!(
            stdout.contains(&format!("{table}: {n} rows copied")),
            "{table} {n}: {stdout}"
        );
    }
    assert!(
        counts.iter().any(|(t, n)| t == "tombstones" && *n > 0),
        "{counts:?}"
    );
    // A second copy into the now non-empty database is refused unless forced,
    // and forced, duplicates nothing.
    let again = migrate(false);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
    assert!(migrate(true).status.success());
    let pg = open(&url);
    assert_eq!(pg.table_counts().unwrap(), counts);
    // Items keep their stories (and the copy its reason).
    let copies: Vec<String> = copies.iter().map(|c| c.to_string()).collect();
    let stories = |s: &Store| {
        s.newest_items_of(&copies, 10)
            .unwrap()
            .into_iter()
            .map(|i| (i.uid.clone(), i.story, s.story_reason(&i.uid).unwrap()))
            .collect::<std::collections::BTreeSet<_>>()
    };
    let copied = stories(&pg);
    assert_eq!(copied, stories(&sqlite));
    let ids: std::collections::HashSet<_> = copied.iter().map(|c| c.1).collect();
    assert_eq!((copied.len(), ids.len()), (2, 1), "{copied:?}");
    // The copy serves what the file served, and polls on from its state.
    let pg_config = dir.path().join("pg.toml");
    std::fs::write(
        &pg_config,
        format!("[daemon]\ndatabase = \"{url}\"\n{feeds}"),
    )
    .unwrap();
    let config = tidings::config::load(&pg_config).unwrap();
    let file_config = tidings::config::load(&sqlite_config).unwrap();
    for output in ["all", "seoul"] {
        let from_file = served(&start_publish(&file_config, sqlite.clone()).await, output).await;
        let from_pg = served(&start_publish(&config, pg.clone()).await, output).await;
        assert!(!from_file.is_empty());
        assert_eq!(from_pg, from_file, "{output}");
    }
    let once = tidings_async(&["once", "--config", pg_config.to_str().unwrap()]).await;
    let text = String::from_utf8_lossy(&once.stdout);
    assert!(
        text.contains("not modified") || text.contains(" 0       0"),
        "{text}"
    );
    assert_eq!(
        pg.table_counts().unwrap(),
        counts,
        "nothing new, nothing twice"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_runs_pg_dump() {
    let Some(url) = database("backup with pg_dump") else {
        return;
    };
    let t = write_config(&format!("[daemon]\ndatabase = \"{url}\"\n"));
    drop(open(&url));
    let dest = t.dir.path().join("dump");
    let out = tidings_async(&[
        "backup",
        "--config",
        t.path.to_str().unwrap(),
        dest.to_str().unwrap(),
    ])
    .await;
    let err = String::from_utf8_lossy(&out.stderr);
    if which("pg_dump") {
        assert!(out.status.success(), "{err}");
        let dump = std::fs::read(&dest).unwrap();
        assert!(dump.starts_with(b"PGDMP"), "pg_dump's custom format");
    } else {
        assert_eq!(out.status.code(), Some(1));
        assert!(err.contains("pg_dump"), "{err}");
    }
}

fn which(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
}

/// A TCP proxy in front of the database that the test can cut and restore:
/// cut, it drops every connection and refuses new ones.
struct Proxy {
    port: u16,
    up: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl Proxy {
    async fn start(upstream: u16) -> Proxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let open: Arc<Mutex<Vec<tokio::task::AbortHandle>>> = Arc::default();
        let (up2, open2) = (up.clone(), open.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !up2.load(Ordering::SeqCst) {
                    continue; // dropped: connection reset
                }
                let task = tokio::spawn(async move {
                    if let Ok(mut out) =
                        tokio::net::TcpStream::connect(("127.0.0.1", upstream)).await
                    {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut out).await;
                    }
                });
                open2.lock().unwrap().push(task.abort_handle());
            }
        });
        Proxy { port, up, open }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for t in self.open.lock().unwrap().drain(..) {
            t.abort();
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_database_is_503_on_healthz_pauses_polling_and_both_recover() {
    let Some(url) = database("healthz and recovery") else {
        return;
    };
    let mut via = url::Url::parse(&url).unwrap();
    let proxy = Proxy::start(via.port().unwrap()).await;
    via.set_port(Some(proxy.port)).unwrap();
    let server = FeedServer::start().await;
    server.set("f0.xml", Resource::feed(feed_doc(0, 2), None));
    let port = free_port();
    let t = write_config(&shared_config(
        &server,
        1,
        via.as_str(),
        port,
        "schedule = \"* * * * * *\"",
    ));
    let daemon = Daemon::start(&t.path);
    let health = || async move {
        client()
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(0)
    };
    assert!(eventually(|| async { served_count(port, "all").await == Some(2) }).await);
    assert_eq!(health().await, 200);

    proxy.cut();
    assert!(
        eventually(|| async { health().await == 503 }).await,
        "503 while the database is away"
    );
    // The feed grows meanwhile; serving goes on from the last render.
    server.set("f0.xml", Resource::feed(feed_doc(0, 3), None));
    assert_eq!(
        served_count(port, "all").await,
        Some(2),
        "cached render served"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;

    proxy.restore();
    assert!(
        eventually(|| async { health().await == 200 }).await,
        "healthy again"
    );
    let mut recovered = false;
    for _ in 0..3 {
        if eventually(|| async { served_count(port, "all").await == Some(3) }).await {
            recovered = true;
            break;
        }
    }
    let (_, log) = daemon.stop().await;
    assert!(recovered, "polling resumed by itself: {log}");
    assert!(log.contains("polling pauses"), "{log}");
}

// PostgreSQL refuses NUL characters in text; SQLite (and hostile feeds) do not.
#[test]
fn items_with_nul_characters_are_stored_not_refused() {
    let Some(url) = database("NUL characters") else {
        return;
    };
    let store = open(&url);
    let feed = FeedRef {
        url: "https://nul.example/rss",
        name: "N\0",
    };
    let counts = store
        .record_refresh(&feed, refresh("a\0title"), Utc::now())
        .wait()
        .unwrap();
    assert_eq!(counts.new, 1);
    let items = store.items_of(&[feed.url.to_string()], 10).unwrap();
    assert_eq!(items[0].title, "a\u{FFFD}title");
}
