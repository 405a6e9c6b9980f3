//! Feed states in words: `tidings status`, `/` and `/metrics` name each feed's
//! state the same way (ok, not modified, deferred, failing, gone, never polled).

use std::sync::Arc;

use crate::support::*;

/// Feeds in every state after two polls: (name, path, state).
const FEEDS: [(&str, &str, &str); 7] = [
    ("Plain", "plain.xml", "ok"),
    ("Same", "same.xml", "not modified"),
    ("Busy", "busy.xml", "deferred"),
    ("Loop", "loop-a.xml", "failing"),
    ("Removed", "removed.xml", "gone"),
    ("Moved", "moved.xml", "ok"),
    ("Later", "later.xml", "never polled"),
];

fn config(server: &FeedServer, with_later: bool) -> String {
    let mut text = "[daemon]\ndatabase = \"t.db\"\n".to_string();
    for (name, path, _) in FEEDS {
        if name != "Later" || with_later {
            text.push_str(&format!(
                "[[feed]]\nurl = \"{}\"\nname = \"{name}\"\n",
                server.url(path)
            ));
        }
    }
    text + "[[output]]\nname = \"all\"\n"
}

async fn metrics_text(store: tidings::store::Store) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(tidings::publish::serve_metrics(
        listener,
        store,
        Arc::new(tidings::metrics::Metrics::default()),
        std::future::pending(),
    ));
    let r = client()
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .unwrap();
    r.text().await.unwrap()
}

#[tokio::test]
async fn status_the_status_page_and_metrics_name_the_same_states() {
    let server = FeedServer::start().await;
    let feed = fixture("feeds/korea-rss2.xml");
    server.set("plain.xml", Resource::feed(feed.clone(), None));
    server.set("same.xml", Resource::feed(feed.clone(), Some("v1")));
    server.set(
        "busy.xml",
        Resource::status(429).header("retry-after", "3600"),
    );
    server.set(
        "loop-a.xml",
        Resource::redirect(302, &server.url("loop-b.xml")),
    );
    server.set(
        "loop-b.xml",
        Resource::redirect(302, &server.url("loop-a.xml")),
    );
    server.set("removed.xml", Resource::status(410));
    server.set(
        "moved.xml",
        Resource::redirect(301, &server.url("new-home.xml")),
    );
    server.set("new-home.xml", Resource::feed(feed, None));

    let t = write_config(&config(&server, false));
    let cfg = load(&t);
    let ctx = tidings::daemon::context(&cfg).await.unwrap();
    // Before any poll: every state is listed, the empty ones with 0.
    let text = metrics_text(ctx.store.clone()).await;
    for (state, n) in [
        ("never polled", 6),
        ("ok", 0),
        ("not modified", 0),
        ("deferred", 0),
        ("failing", 0),
        ("gone", 0),
    ] {
        let line = format!("tidings_feeds{{state=\"{state}\"}} {n}\n");
        assert!(text.contains(&line), "missing {line:?} in:\n{text}");
    }

    tidings::daemon::once_with(&ctx, &cfg).await;
    tidings::daemon::once_with(&ctx, &cfg).await;
    // A feed added to the config is registered at the next start, not yet polled.
    std::fs::write(&t.path, t.text(&config(&server, true))).unwrap();
    let cfg = load(&t);
    let ctx = tidings::daemon::context(&cfg).await.unwrap();

    // tidings status: the state column and the columns its help promises.
    let out = tidings(&["status", "--config", t.path.to_str().unwrap()]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    for column in [
        "STATE",
        "LAST POLL",
        "HTTP",
        "ITEMS",
        "FAIL",
        "NEXT POLL",
        "LAST NEW ITEM",
        "CURRENT URL",
        "ERROR",
    ] {
        assert!(header.contains(column), "no {column} in {header:?}");
    }
    let rows: Vec<&str> = lines.collect();
    for (name, _, state) in FEEDS {
        let row = rows
            .iter()
            .find(|r| r.starts_with(name))
            .unwrap_or_else(|| panic!("no row for {name}:\n{text}"));
        let after_name = row[name.len()..].trim_start();
        assert!(after_name.starts_with(state), "{name}: {row:?}");
    }
    let moved = rows.iter().find(|r| r.starts_with("Moved")).unwrap();
    assert!(moved.contains(&server.url("new-home.xml")), "{moved}");
    let plain = rows.iter().find(|r| r.starts_with("Plain")).unwrap();
    assert!(
        plain.matches(char::is_numeric).count() > 40,
        "last poll, next poll and last new item are dates: {plain}"
    );

    // `/`: the state in words, never a bare HTTP code.
    let base = start_publish(&cfg, ctx.store.clone()).await;
    let page = client()
        .get(&base)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for (name, path, state) in FEEDS {
        let at = page
            .find(&format!(">{name}</a>"))
            .unwrap_or_else(|| panic!("{name} ({path}) not on the page:\n{page}"));
        let row = &page[at..at + page[at..].find("</tr>").unwrap()];
        assert!(
            row.contains(&format!(">{state}</td>")),
            "{name} should be {state}: {row}"
        );
    }

    // /metrics: the same states, the same spelling.
    let text = metrics_text(ctx.store.clone()).await;
    for (state, n) in [
        ("ok", 2),
        ("not modified", 1),
        ("deferred", 1),
        ("failing", 1),
        ("gone", 1),
        ("never polled", 1),
    ] {
        let line = format!("tidings_feeds{{state=\"{state}\"}} {n}\n");
        assert!(text.contains(&line), "missing {line:?} in:\n{text}");
    }
}
