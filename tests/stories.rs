//! One story, one entry: three sources carry copies of the same stories (a
//! wire's full texts, a paper's rewrites, an aggregator's teasers); every
//! output shows each story once with the other copies linked, and keeps doing
//! so when a late copy arrives, across restarts and re-polls, when retention
//! removes the entry's copy, and when a reload turns `dedup` off and on.

use serde_json::Value;

use crate::support::*;

/// The fixture with its `{T0}`… placeholders set to hours before now.
fn dated(name: &str, rfc3339: bool) -> Vec<u8> {
    let mut text = String::from_utf8(fixture(&format!("stories/{name}"))).unwrap();
    let now = chrono::Utc::now();
    let hours_ago = [20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 2];
    for (i, h) in hours_ago.iter().enumerate().rev() {
        let t = now - chrono::Duration::hours(*h);
        let s = if rfc3339 {
            t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        } else {
            t.to_rfc2822()
        };
        text = text.replace(&format!("{{T{i}}}"), &s);
    }
    text.into_bytes()
}

async fn sources() -> FeedServer {
    let server = FeedServer::start().await;
    server.set("wire.xml", Resource::feed(dated("wire.xml", false), None));
    server.set(
        "paper.atom",
        Resource::feed(dated("paper.atom", true), None),
    );
    server.set(
        "teasers.xml",
        Resource::feed(dated("teasers.xml", false), None),
    );
    server.set("late.xml", Resource::feed(dated("late.xml", false), None));
    server
}

fn config(
    server: &FeedServer,
    extra_feed: bool,
    all_dedup: bool,
    wire_keep: Option<u32>,
) -> String {
    let mut c = format!(
        "[daemon]\ndatabase = \"t.db\"\nlisten = \"127.0.0.1:{{PORT}}\"\nschedule = \"0 0 1 1 *\"\n\
         [[feed]]\nurl = \"{}\"\nname = \"Wire\"\n{}\
         [[feed]]\nurl = \"{}\"\nname = \"Paper\"\n[[feed]]\nurl = \"{}\"\nname = \"Teasers\"\n",
        server.url("wire.xml"),
        wire_keep.map_or(String::new(), |k| format!("keep_items = {k}\n")),
        server.url("paper.atom"),
        server.url("teasers.xml"),
    );
    if extra_feed {
        c.push_str(&format!(
            "[[feed]]\nurl = \"{}\"\nname = \"Late\"\n",
            server.url("late.xml")
        ));
    }
    c.push_str(&format!(
        "[[output]]\nname = \"all\"\ndedup = {all_dedup}\n[[output]]\nname = \"every\"\ndedup = false\n\
         [[output]]\nname = \"paper-first\"\nprefer = [\"Paper\"]\n"
    ));
    c
}

fn titled<'a>(items: &'a [Value], start: &str) -> &'a Value {
    items
        .iter()
        .find(|i| i["title"].as_str().unwrap_or("").starts_with(start))
        .unwrap_or_else(|| panic!("no entry titled {start:?} in {items:#?}"))
}

fn also_feeds(item: &Value) -> Vec<String> {
    let mut f: Vec<String> = item["_tidings"]["also"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|c| c["feed"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default();
    f.sort();
    f
}

/// Polls the feeds one after the other, in the config's order (so the wire's
/// copies arrive first, then the paper's, then the teasers).
async fn poll_in_order(t: &TempConfig) -> (tidings::config::Config, tidings::pipeline::Context) {
    let config = load(t);
    let ctx = tidings::daemon::context(&config).await.unwrap();
    for feed in &config.feeds {
        let r = tidings::pipeline::refresh(&ctx, feed).await;
        assert!(
            matches!(r.result, tidings::model::RefreshResult::Stored(_)),
            "{}: {:?}",
            r.name,
            r.result
        );
    }
    (config, ctx)
}

#[tokio::test]
async fn each_story_is_served_once_with_its_copies_linked() {
    let server = sources().await;
    let t = write_config(&config(&server, false, true, None).replace("{PORT}", "0"));
    let (config, ctx) = poll_in_order(&t).await;
    let base = start_publish(&config, ctx.store.clone()).await;

    // Six stories: three copied, three not; ten items.
    let all = served_json(&base, "all").await;
    assert_eq!(all.len(), 6, "{all:#?}");
    assert_eq!(served_json(&base, "every").await.len(), 10);
    let talks = titled(&all, "Foreign ministers of Korea and Japan");
    assert_eq!(
        talks["url"], "https://wire.example/2026/talks",
        "the first copy is the entry"
    );
    assert_eq!(also_feeds(talks), ["Paper", "Teasers"]);
    assert_eq!(
        also_feeds(titled(&all, "Central bank holds rates")),
        ["Paper"]
    );
    assert_eq!(
        also_feeds(titled(&all, "Astronomers find water vapour")),
        ["Teasers"]
    );
    assert!(also_feeds(titled(&all, "Rail operator")).is_empty());
    assert!(also_feeds(titled(&all, "City council")).is_empty());
    assert!(also_feeds(titled(&all, "Museum reopens")).is_empty());

    // A preferred source's copy stands for the story.
    let preferred = served_json(&base, "paper-first").await;
    assert_eq!(preferred.len(), 6);
    let talks_p = titled(&preferred, "Seoul and Tokyo to restart");
    assert_eq!(also_feeds(talks_p), ["Teasers", "Wire"]);

    // Atom: a related link per other copy; RSS: "Also reported by".
    let atom = client()
        .get(format!("{base}/feeds/all.atom"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        atom.contains(r#"<link rel="related" type="text/html" href="https://paper.example/world/seoul-tokyo-visits""#),
        "{atom}"
    );
    let rss = client()
        .get(format!("{base}/feeds/all.xml"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(rss.contains("Also reported by"), "{rss}");
    assert!(rss.contains("https://teasers.example/a/9001"), "{rss}");

    // A subscriber's parser sees six entries in each format.
    for ext in ["xml", "atom", "json"] {
        let url = format!("{base}/feeds/all.{ext}");
        let seen = tokio::task::spawn_blocking(move || read_with_feedparser(&url))
            .await
            .unwrap();
        assert_eq!(seen["bozo"], 0, "{seen}");
        assert_eq!(
            seen["entries"].as_array().unwrap().len(),
            6,
            ".{ext}: {seen}"
        );
    }

    // `tidings explain` says which story a copy joined and why.
    let teaser = ctx
        .store
        .find_item("https://teasers.example/a/9001")
        .unwrap()
        .unwrap();
    let reason = ctx.store.story_reason(&teaser.uid).unwrap().unwrap();
    assert!(reason.starts_with("same story as urn:tidings:"), "{reason}");
    let out = tidings_async(&[
        "explain",
        "--config",
        t.path.to_str().unwrap(),
        "--output",
        "all",
        "https://teasers.example/a/9001",
    ])
    .await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("story:   same story as"), "{text}");
    assert!(
        text.contains("2 others in this output, served as one entry"),
        "{text}"
    );
}

#[tokio::test]
async fn late_copies_restarts_retention_and_reloads_keep_one_entry_per_story() {
    let server = sources().await;
    let port = free_port();
    let text = |late: bool, dedup: bool, keep: Option<u32>| {
        config(&server, late, dedup, keep).replace("{PORT}", &port.to_string())
    };
    let t = write_config(&text(false, true, None));
    let (_, ctx) = poll_in_order(&t).await;
    drop(ctx);
    let daemon = Daemon::start(&t.path);
    let base = format!("http://127.0.0.1:{port}");
    assert!(
        eventually(|| async { served_count(port, "all").await == Some(6) }).await,
        "{}",
        daemon.log()
    );
    let before = served_json(&base, "all").await;
    let rates = titled(&before, "Central bank holds rates").clone();

    // A late copy joins its story: the entry keeps its id and its dates.
    std::fs::write(&t.path, t.text(&text(true, true, None))).unwrap();
    daemon.signal("HUP");
    let joined = eventually(|| async {
        let all = served_json(&base, "all").await;
        all.len() == 6 && also_feeds(titled(&all, "Central bank holds rates")) == ["Late", "Paper"]
    })
    .await;
    assert!(joined, "{}", daemon.log());
    let after = served_json(&base, "all").await;
    let rates_after = titled(&after, "Central bank holds rates");
    for field in ["id", "url", "date_published", "date_modified"] {
        assert_eq!(
            rates_after[field], rates[field],
            "{field} changed when a copy joined"
        );
    }
    assert_eq!(served_json(&base, "every").await.len(), 11);

    // A reload that turns dedup off shows every copy; on again, one entry each.
    std::fs::write(&t.path, t.text(&text(true, false, None))).unwrap();
    daemon.signal("HUP");
    assert!(eventually(|| async { served_count(port, "all").await == Some(11) }).await);
    std::fs::write(&t.path, t.text(&text(true, true, None))).unwrap();
    daemon.signal("HUP");
    assert!(eventually(|| async { served_count(port, "all").await == Some(6) }).await);
    let (status, log) = daemon.stop().await;
    assert_eq!(status.code(), Some(0), "{log}");

    // A restart and a re-poll keep the grouping and the ids.
    let config = load(&t);
    let ctx = tidings::daemon::context(&config).await.unwrap();
    tidings::daemon::once_with(&ctx, &config).await;
    let base = start_publish(&config, ctx.store.clone()).await;
    let again = served_json(&base, "all").await;
    let ids = |items: &[Value]| {
        let mut v: Vec<String> = items
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_string())
            .collect();
        v.sort();
        v
    };
    assert_eq!(ids(&again), ids(&after));

    // Retention removes the wire's older items: their stories are served by
    // the next copy, not lost.
    let t2 = write_config(&text(true, true, Some(1)));
    if on_postgres() {
        // The same database, with the wire's retention.
        std::fs::write(&t2.path, t.text(&text(true, true, Some(1)))).unwrap();
    } else {
        std::fs::copy(t.dir.path().join("t.db"), t2.dir.path().join("t.db")).unwrap();
    }
    let config = load(&t2);
    let ctx = tidings::daemon::context(&config).await.unwrap();
    tidings::daemon::once_with(&ctx, &config).await;
    let base = start_publish(&config, ctx.store.clone()).await;
    let pruned = served_json(&base, "all").await;
    assert_eq!(pruned.len(), 6, "{pruned:#?}");
    let talks = titled(&pruned, "Seoul and Tokyo to restart");
    assert_eq!(
        talks["url"],
        "https://paper.example/world/seoul-tokyo-visits"
    );
    assert_eq!(also_feeds(talks), ["Teasers"]);
    let vapour = titled(&pruned, "Water vapour spotted");
    assert!(also_feeds(vapour).is_empty());
}

/// What feedparser (or, for JSON Feed, the JSON reader) sees.
fn read_with_feedparser(url: &str) -> Value {
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scripts/read_feed.py");
    let out = std::process::Command::new(python())
        .arg(&script)
        .arg(url)
        .output()
        .expect("python");
    assert!(
        out.status.success(),
        "{url}: {} — Python with feedparser is needed: run the README's test command",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}
