//! Crash safety: the daemon is killed with SIGKILL at arbitrary moments during
//! heavy ingest, many times. After each kill the database passes
//! `PRAGMA integrity_check`, no item stored before the kill is lost, and none is
//! duplicated.

use std::collections::HashSet;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::*;

/// About 100 pseudo-random words, different for every `seed`.
fn body(seed: usize) -> String {
    const WORDS: &[&str] = &[
        "harbour", "minister", "river", "council", "export", "summit", "winter", "market",
        "school", "bridge", "festival", "court", "station", "village", "budget", "museum",
        "forest", "engine", "garden", "island", "letter", "signal", "tunnel", "valley",
    ];
    let mut x = seed as u64 ^ 0x9E37_79B9_7F4A_7C15;
    let mut out = String::new();
    for n in 0..100 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.push_str(WORDS[(x % WORDS.len() as u64) as usize]);
        out.push_str(if n % 12 == 11 { ". " } else { " " });
    }
    out
}

fn feed_doc(feed: usize, items: usize) -> String {
    let mut x = String::from(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>F</title><link>https://f.example/</link><description>d</description>",
    );
    for i in (0..items).rev() {
        x.push_str(&format!(
            "<item><title>Feed {feed} item {i}</title><link>https://f{feed}.example/{i}</link><guid>f{feed}-{i}</guid><description>{}</description></item>",
            // Each item its own text, as news items have: identical bodies
            // would all be one story, a different (and slower) path.
            body(feed * 100_000 + i)
        ));
    }
    x.push_str("</channel></rss>");
    x
}

fn snapshot(db: &std::path::Path) -> HashSet<String> {
    let c = rusqlite::Connection::open(db).unwrap();
    let ok: String = c
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok", "integrity_check after SIGKILL");
    let dups: i64 = c
        .query_row("SELECT count(*) FROM (SELECT feed_id, key FROM items GROUP BY feed_id, key HAVING count(*) > 1)", [], |r| r.get(0))
        .unwrap();
    assert_eq!(dups, 0, "duplicated items");
    let mut stmt = c.prepare("SELECT uid FROM items").unwrap();
    let uids: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let set: HashSet<String> = uids.iter().cloned().collect();
    assert_eq!(set.len(), uids.len(), "duplicate public ids");
    set
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_heavy_ingest_loses_and_duplicates_nothing() {
    if skip_on_postgres("the WAL file surviving SIGKILL") {
        return;
    }
    const FEEDS: usize = 8;
    let server = FeedServer::start().await;
    let mut text = String::from(
        "[daemon]\ndatabase = \"t.db\"\nschedule = \"* * * * * *\"\nconcurrency = 4\n",
    );
    for f in 0..FEEDS {
        server.set(&format!("f{f}.xml"), Resource::feed(feed_doc(f, 100), None));
        text.push_str(&format!(
            "[[feed]]\nurl = \"{}\"\n",
            server.url(&format!("f{f}.xml"))
        ));
    }
    text.push_str("[[output]]\nname = \"all\"\n");
    let t = write_config(&text);
    let db = t.dir.path().join("t.db");
    let mut stored: HashSet<String> = HashSet::new();
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut size = 100;
    for round in 0..10 {
        // The feeds keep growing, so every poll writes.
        size += 40;
        for f in 0..FEEDS {
            server.set(
                &format!("f{f}.xml"),
                Resource::feed(feed_doc(f, size), None),
            );
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_tidings"))
            .args(["run", "--config"])
            .arg(&t.path)
            .env("RUST_LOG", "warn")
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let wait = 300 + seed % 1500;
        tokio::time::sleep(Duration::from_millis(wait)).await;
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        if !db.exists() {
            continue;
        }
        let now = snapshot(&db);
        let lost: Vec<_> = stored.difference(&now).collect();
        assert!(
            lost.is_empty(),
            "round {round}: {} items lost after SIGKILL at {wait} ms",
            lost.len()
        );
        stored = now;
    }
    assert!(
        stored.len() > FEEDS * 100,
        "ingest happened: {} items",
        stored.len()
    );
}
