use super::*;
use crate::model::{NewItem, Validators};
use crate::store::{PRUNE_CHUNK, blocking};
use chrono::Duration;
use chrono::{DateTime, Utc};
use std::sync::atomic::Ordering;

fn item(key: &str, title: &str, published: Option<DateTime<Utc>>) -> NewItem {
    NewItem {
        key: key.to_string(),
        guid: None,
        link: Some(format!("https://n.example/{key}")),
        canonical_link: Some(format!("https://n.example/{key}")),
        title: title.to_string(),
        summary: Some(crate::model::HtmlText {
            html: "<p>s</p>".into(),
            text: "s".into(),
        }),
        content: None,
        authors: vec![],
        author: None,
        categories: vec!["world".into()],
        published,
        updated: None,
        enclosures: vec![],
        content_hash: crate::normalize::hex_digest(title.as_bytes()),
        print: None,
    }
}

/// `n` items `k0`…, titled `T0`…, each published `step` before the previous
/// one (`k0` at `now`).
fn dated_items(n: i32, step: Duration, now: DateTime<Utc>) -> Vec<NewItem> {
    (0..n)
        .map(|i| item(&format!("k{i}"), &format!("T{i}"), Some(now - step * i)))
        .collect()
}

const FEED: FeedRef = FeedRef {
    url: "https://n.example/rss",
    name: "N",
};

fn refresh(items: &[NewItem]) -> Refresh {
    Refresh {
        status: 200,
        validators: Validators::default(),
        title: Some("N feed".into()),
        site_link: None,
        items: items.to_vec(),
        filters: vec![],
        matches: vec![],
        full_text: false,
        moved_to: None,
        not_before: None,
        dedup_window_secs: 72 * 3600,
    }
}

fn open() -> (tempfile::TempDir, Sqlite) {
    let dir = tempfile::tempdir().unwrap();
    let store = Sqlite::open(&dir.path().join("sub/t.db"), Counters::new()).unwrap();
    (dir, store)
}

#[test]
fn stores_once_updates_in_place() {
    let (_d, s) = open();
    let now = Utc::now();
    let items = [item("a", "A", None), item("b", "B", None)];
    let c = s
        .record_refresh(&FEED, refresh(&items), now)
        .wait()
        .unwrap();
    assert_eq!((c.new, c.updated, c.unchanged), (2, 0, 0));
    let v = s.changes();
    let c = s
        .record_refresh(&FEED, refresh(&items), now)
        .wait()
        .unwrap();
    assert_eq!((c.new, c.updated, c.unchanged), (0, 0, 2));
    assert_eq!(s.changes(), v, "nothing changed, cache stays valid");
    let edited = [item("a", "A corrected", None), item("b", "B", None)];
    let c = s
        .record_refresh(&FEED, refresh(&edited), now)
        .wait()
        .unwrap();
    assert_eq!((c.new, c.updated, c.unchanged), (0, 1, 1));
    assert!(s.changes() > v);
    let out = s.items_of(&[FEED.url.to_string()], 10).unwrap();
    assert_eq!(out.len(), 2);
    assert!(out.iter().any(|i| i.title == "A corrected"));
    assert_eq!(s.item_count().unwrap(), 2);
    assert_eq!(s.feed_state(FEED.url).unwrap().items, 2);
}

#[test]
fn failure_keeps_items_and_counts() {
    let (_d, s) = open();
    let now = Utc::now();
    s.record_refresh(&FEED, refresh(&[item("a", "A", None)]), now)
        .wait()
        .unwrap();
    s.record_failure(&FEED, Some(500), "HTTP 500".into(), now)
        .wait()
        .unwrap();
    s.record_failure(&FEED, None, "refused".into(), now)
        .wait()
        .unwrap();
    let st = s.feed_state(FEED.url).unwrap();
    assert_eq!(st.consecutive_failures, 2);
    assert_eq!(st.last_error.as_deref(), Some("refused"));
    assert_eq!(st.items, 1);
    // The poll's and the planner's reads: the same state, items not counted.
    let all = s.poll_states().unwrap();
    assert_eq!(all.len(), 1);
    for p in [&all[FEED.url], &s.poll_state(FEED.url).unwrap()] {
        assert_eq!(p.consecutive_failures, 2);
        assert_eq!(p.last_error.as_deref(), Some("refused"));
        assert_eq!(p.last_poll.map(|t| t.timestamp()), Some(now.timestamp()));
        assert_eq!(p.items, 0);
    }
    s.record_not_modified(&FEED, 304, None, None, now)
        .wait()
        .unwrap();
    let st = s.feed_state(FEED.url).unwrap();
    assert_eq!((st.consecutive_failures, st.last_error), (0, None));
}

#[test]
fn newest_first_and_future_dates_clamped() {
    let (_d, s) = open();
    let now = Utc::now();
    let items = [
        item("old", "Old", Some(now - Duration::days(2))),
        item("future", "Future", Some(now + Duration::days(300))),
        item("new", "New", Some(now - Duration::hours(1))),
    ];
    s.record_refresh(&FEED, refresh(&items), now)
        .wait()
        .unwrap();
    let titles: Vec<_> = s
        .items_of(&[FEED.url.to_string()], 10)
        .unwrap()
        .into_iter()
        .map(|i| i.title)
        .collect();
    assert_eq!(titles, ["Future", "New", "Old"]);
    let first = &s.items_of(&[FEED.url.to_string()], 1).unwrap()[0];
    assert_eq!(
        first.date.timestamp(),
        now.timestamp(),
        "clamped to first seen"
    );
}

#[test]
fn reopening_keeps_data_and_refuses_newer_schema() {
    let (d, s) = open();
    s.record_refresh(&FEED, refresh(&[item("a", "A", None)]), Utc::now())
        .wait()
        .unwrap();
    let path = s.path().to_path_buf();
    drop(s);
    let s = Sqlite::open(&path, Counters::new()).unwrap();
    assert_eq!(s.item_count().unwrap(), 1);
    s.write(|c| c.pragma_update(None, "user_version", 999))
        .unwrap();
    drop(s);
    let err = Sqlite::open(&path, Counters::new()).err().unwrap();
    assert!(
        err.to_string().contains("newer than this tidings supports"),
        "{err}"
    );
    drop(d);
}

#[test]
fn public_ids_do_not_depend_on_row_ids() {
    let (_d, s1) = open();
    let (_e, s2) = open();
    s1.record_refresh(
        &FEED,
        refresh(&[item("x", "X", None), item("a", "A", None)]),
        Utc::now(),
    )
    .wait()
    .unwrap();
    s2.record_refresh(&FEED, refresh(&[item("a", "A", None)]), Utc::now())
        .wait()
        .unwrap();
    let uid = |s: &Sqlite| {
        s.items_of(&[FEED.url.to_string()], 10)
            .unwrap()
            .into_iter()
            .find(|i| i.title == "A")
            .unwrap()
            .uid
    };
    assert_eq!(uid(&s1), uid(&s2));
}

#[test]
fn retention_prunes_oldest_and_tombstones_keep_them_out() {
    let (_d, s) = open();
    let now = Utc::now();
    let items = dated_items(6, Duration::days(1), now);
    s.record_refresh(&FEED, refresh(&items), now)
        .wait()
        .unwrap();
    // Keep the 4 newest (k4, k5 go), and nothing older than 2 days counted from
    // 12 hours later (k2, k3 go too): k0 and k1 stay.
    assert_eq!(
        s.prune(&FEED, Some(4), Some(2), now + Duration::hours(12))
            .wait()
            .unwrap(),
        4
    );
    let titles: Vec<_> = s
        .items_of(&[FEED.url.to_string()], 10)
        .unwrap()
        .into_iter()
        .map(|i| i.title)
        .collect();
    assert_eq!(titles, ["T0", "T1"]);
    // The source still lists all six: the pruned ones are not imported again.
    let c = s
        .record_refresh(&FEED, refresh(&items), now)
        .wait()
        .unwrap();
    assert_eq!((c.new, c.unchanged), (0, 6));
    assert_eq!(s.item_count().unwrap(), 2);
}

#[test]
fn queued_writes_share_a_transaction_and_fail_alone() {
    let (_d, s) = open();
    s.write(|c| c.execute_batch("CREATE TABLE t (x TEXT)"))
        .unwrap();
    // Hold the writer thread in a first job until the others are queued, so
    // they form the next batch together.
    let (go, wait) = std::sync::mpsc::channel::<()>();
    let first = s.queue.push(
        move |_, _| {
            wait.recv().unwrap();
            Ok(())
        },
        |v, _| v,
    );
    let insert = |x: &'static str, fail: bool| {
        s.queue.push(
            move |c, _| {
                c.execute("INSERT INTO t VALUES (?1)", [x])?;
                if fail {
                    c.execute("INSERT INTO no_such_table VALUES (1)", [])?;
                }
                Ok(())
            },
            |v, _| v,
        )
    };
    let a = insert("a", false);
    let b = insert("b", true);
    let path = s.path().to_path_buf();
    let c = s.queue.push(
        move |c, _| {
            c.execute("INSERT INTO t VALUES ('c')", [])?;
            // Another connection does not see "a" yet: same open transaction.
            let other = Connection::open(&path)?;
            other.query_row("SELECT count(*) FROM t", [], |r| r.get::<_, i64>(0))
        },
        |v, _| v,
    );
    go.send(()).unwrap();
    first.wait().unwrap();
    a.wait().unwrap();
    let err = b.wait().unwrap_err();
    assert!(err.to_string().contains("no_such_table"), "{err}");
    assert_eq!(c.wait().unwrap(), 0, "a, b and c were not in one batch");
    let rows: Vec<String> = s
        .read(|c| {
            let mut st = c.prepare("SELECT x FROM t ORDER BY x")?;
            let rows = st.query_map([], |r| r.get(0))?;
            rows.collect()
        })
        .unwrap();
    assert_eq!(
        rows,
        ["a", "c"],
        "the failed job's insert is rolled back alone"
    );
}

#[test]
fn a_panicking_write_is_an_error_and_the_writer_goes_on() {
    let (_d, s) = open();
    let bad = s
        .queue
        .push(|_, _| -> rusqlite::Result<()> { panic!("boom") }, |v, _| v);
    let err = bad.wait().unwrap_err();
    assert!(err.to_string().contains("boom"), "{err}");
    let c = s
        .record_refresh(&FEED, refresh(&[item("a", "A", None)]), Utc::now())
        .wait()
        .unwrap();
    assert_eq!(c.new, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_most_slots_store_calls_run_at_once() {
    use std::sync::atomic::AtomicUsize;
    let running = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let calls: Vec<_> = (0..SLOTS * 3)
        .map(|_| {
            let (running, most) = (running.clone(), most.clone());
            tokio::spawn(blocking(move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(std::time::Duration::from_millis(20));
                running.fetch_sub(1, Ordering::SeqCst);
                Ok(())
            }))
        })
        .collect();
    // A caller that gives up does not free its slot while its call still runs.
    let gave_up = tokio::time::timeout(
        std::time::Duration::from_millis(1),
        blocking({
            let (running, most) = (running.clone(), most.clone());
            move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(std::time::Duration::from_millis(50));
                running.fetch_sub(1, Ordering::SeqCst);
                Ok(())
            }
        }),
    )
    .await;
    for call in calls {
        call.await.unwrap().unwrap();
    }
    assert!(
        gave_up.is_err(),
        "the call should still have been waiting or running"
    );
    let most = most.load(Ordering::SeqCst);
    assert!(
        (1..=SLOTS).contains(&most),
        "{most} store calls ran at once"
    );
}

#[test]
fn a_long_backlog_is_pruned_in_chunks() {
    let (_d, s) = open();
    let now = Utc::now();
    let items = dated_items(1_200, Duration::minutes(1), now);
    s.record_refresh(&FEED, refresh(&items), now)
        .wait()
        .unwrap();
    let steps: Vec<usize> = std::iter::from_fn(|| {
        let n = s.prune(&FEED, Some(100), None, now).wait().unwrap();
        (n > 0).then_some(n)
    })
    .collect();
    assert_eq!(steps, [PRUNE_CHUNK, PRUNE_CHUNK, 100]);
    let kept = s.items_of(&[FEED.url.to_string()], 1_000).unwrap();
    assert_eq!(kept.len(), 100);
    assert_eq!(kept[0].title, "T0", "the newest are kept");
}

#[test]
fn prints_expire_by_the_day_they_are_dated_through_the_day_index() {
    let (_d, s) = open();
    let now = Utc::now();
    // Four items, a day apart; each printed (its own text, so its own story).
    let items: Vec<NewItem> = dated_items(4, Duration::days(1), now)
        .into_iter()
        .enumerate()
        .map(|(i, mut it)| {
            let words = ["alpha", "bravo", "charlie", "delta"][i];
            let text = format!("{words} ").repeat(40);
            it.print = crate::dedup::print(&it.title, &text, "");
            it
        })
        .collect();
    let mut r = refresh(&items);
    r.dedup_window_secs = 30 * 86_400;
    s.record_refresh(&FEED, r, now).wait().unwrap();
    assert_eq!(s.print_counts().unwrap().0, 4);
    // A cutoff inside yesterday's day: the two days before it expire;
    // yesterday's print stays until the cutoff passes its day.
    let yesterday = (now - Duration::days(1)).timestamp();
    let day_start = yesterday - yesterday.rem_euclid(86_400);
    assert_eq!(s.expire_prints(day_start + 3600).unwrap(), 2);
    assert_eq!(s.print_counts().unwrap().0, 2);
    assert_eq!(s.expire_prints(day_start + 86_400).unwrap(), 1);
    assert_eq!(s.print_counts().unwrap().0, 1);
    // The query walks the day index, not the whole table.
    let plan: String = s
        .read(|c| {
            c.query_row(
                "EXPLAIN QUERY PLAN SELECT item_id FROM dedup_signatures WHERE time / 86400 < ?1 LIMIT 500",
                [0],
                |r| r.get(3),
            )
        })
        .unwrap();
    assert!(plan.contains("dedup_signatures_by_day"), "{plan}");
    // What a poll compares a fetched document with.
    let hashes = s.stored_hashes(FEED.url, 10).unwrap();
    assert_eq!(hashes.len(), 4);
    assert_eq!(hashes["k0"], items[0].content_hash);
    // The newest only: a poll reads as many as its document could use.
    let mut newest: Vec<String> = s.stored_hashes(FEED.url, 2).unwrap().into_keys().collect();
    newest.sort();
    assert_eq!(newest, ["k0", "k1"]);
    let plan: Vec<String> = s
        .read(|c| {
            let mut stmt = c.prepare(&format!(
                "EXPLAIN QUERY PLAN {}",
                super::feeds::STORED_HASHES
            ))?;
            let rows = stmt.query_map(rusqlite::params![FEED.url, 2], |r| r.get(3))?;
            rows.collect()
        })
        .unwrap();
    assert!(
        plan.iter().any(|p| p.contains("items_by_feed_time"))
            && !plan.iter().any(|p| p.contains("TEMP B-TREE")),
        "{plan:?}"
    );
    assert!(
        s.stored_hashes("https://other.example/", 10)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_plain_body_is_written_once_and_read_as_its_own_html() {
    let (_d, s) = open();
    let plain = crate::text::prepare(&crate::model::Body::html("Talks resume in Seoul."), None);
    assert_eq!(plain.html, plain.text);
    let mut a = item("a", "A", None);
    a.summary = Some(plain.clone());
    a.content = Some(crate::text::prepare(
        &crate::model::Body::html("<p>Full &amp; long</p>"),
        None,
    ));
    // Equal, but not its own HTML: both columns stay.
    let mut b = item("b", "B", None);
    b.summary = Some(crate::model::HtmlText {
        html: "&amp;".into(),
        text: "&amp;".into(),
    });
    s.record_refresh(&FEED, refresh(&[a, b]), Utc::now())
        .wait()
        .unwrap();
    type Columns = [Option<String>; 4];
    let rows: Vec<Columns> = s
        .read(|c| {
            c.prepare("SELECT key, summary, summary_text, content FROM items ORDER BY key")?
                .query_map([], |r| Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?]))?
                .collect()
        })
        .unwrap();
    assert_eq!(rows[0][1], None, "the plain summary's HTML column");
    assert_eq!(rows[0][2].as_deref(), Some("Talks resume in Seoul."));
    assert_eq!(rows[0][3].as_deref(), Some("<p>Full &amp; long</p>"));
    assert_eq!(rows[1][1].as_deref(), Some("&amp;"));
    let out = s.items_of(&[FEED.url.to_string()], 10).unwrap();
    let a = out.iter().find(|i| i.title == "A").unwrap();
    assert_eq!(a.summary.as_ref(), Some(&plain));
    assert_eq!(a.content.as_ref().unwrap().text, "Full & long");
    let b = out.iter().find(|i| i.title == "B").unwrap();
    assert_eq!(b.summary.as_ref().unwrap().html, "&amp;");
    // Stored again unchanged, it reads as unchanged.
    let mut again = item("a", "A", None);
    again.summary = Some(plain);
    again.content = a.content.clone();
    let c = s
        .record_refresh(&FEED, refresh(&[again]), Utc::now())
        .wait()
        .unwrap();
    assert_eq!(c.unchanged, 1);
}
