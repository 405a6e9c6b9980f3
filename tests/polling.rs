//! Poll → store → serve, as a subscriber sees it.

use tidings::model::RefreshResult;

use crate::support::*;

fn config_for(server: &FeedServer, feeds: &[(&str, &str)]) -> TempConfig {
    let mut text = String::from("[daemon]\ndatabase = \"state/tidings.db\"\n\n");
    for (path, tags) in feeds {
        text.push_str(&format!(
            "[[feed]]\nurl = \"{}\"\ntags = [{tags}]\n\n",
            server.url(path)
        ));
    }
    text.push_str("[[output]]\nname = \"all\"\ntitle = \"Everything\"\nlimit = 100\n\n");
    text.push_str("[[output]]\nname = \"korea\"\nfrom = { tags = [\"korea\"] }\n");
    write_config(&text)
}

fn counts(r: &RefreshResult) -> (usize, usize, usize) {
    match r {
        RefreshResult::Stored(c) => (c.new, c.updated, c.unchanged),
        other => panic!("expected stored, got {other:?}"),
    }
}

#[tokio::test]
async fn three_formats_stored_once_and_served_newest_first() {
    let server = FeedServer::with_fixtures(&[
        ("korea.xml", "feeds/korea-rss2.xml"),
        ("japan.atom", "feeds/japan-atom.xml"),
        ("china.rdf", "feeds/china-rss1.xml"),
    ])
    .await;
    let t = config_for(
        &server,
        &[
            ("korea.xml", "\"korea\""),
            ("japan.atom", "\"japan\""),
            ("china.rdf", "\"china\""),
        ],
    );
    let config = load(&t);
    let ctx = tidings::daemon::context(&config).await.unwrap();

    let first = tidings::daemon::once_with(&ctx, &config).await;
    let got: Vec<_> = first.iter().map(|r| counts(&r.result)).collect();
    assert_eq!(
        got,
        [(4, 0, 0), (3, 0, 0), (2, 0, 0)],
        "both items sharing a guid are kept"
    );
    // No validators from this server: the second poll re-reads and stores nothing.
    let second = tidings::daemon::once_with(&ctx, &config).await;
    let got: Vec<_> = second.iter().map(|r| counts(&r.result)).collect();
    assert_eq!(got, [(0, 0, 4), (0, 0, 3), (0, 0, 2)]);

    assert_eq!(ctx.store.item_count().unwrap(), 9);
    assert!(
        t.dir.path().join("state/tidings.db").exists(),
        "relative database path resolves next to the config"
    );
    let base = start_publish(&config, ctx.store.clone()).await;
    let all = served(&base, "all").await;
    assert_eq!(all.len(), 9);
    let guids: std::collections::HashSet<_> = all.iter().map(|i| &i.0).collect();
    assert_eq!(guids.len(), 9, "every served item has its own guid");
    assert_eq!(all[0].1, "日本と韓国、首脳会談で協力確認", "newest first");
    assert_eq!(
        all[1].1, "Tokyo & Beijing resume dialogue",
        "HTML title made plain text"
    );
    assert_eq!(
        all[3].2,
        server.url("news/1001"),
        "relative link resolved against the feed's URL"
    );
    let korea = served(&base, "korea").await;
    assert_eq!(korea.len(), 4);
    assert!(korea.iter().any(|i| i.1 == "서울·베이징 외교장관 회담"));
}

#[tokio::test]
async fn an_edited_item_is_updated_in_place() {
    let server = FeedServer::start().await;
    let original = String::from_utf8(fixture("feeds/korea-rss2.xml")).unwrap();
    server.set("korea.xml", Resource::feed(original.clone(), Some("v1")));
    let t = config_for(&server, &[("korea.xml", "\"korea\"")]);
    let config = load(&t);
    let ctx = tidings::daemon::context(&config).await.unwrap();
    tidings::daemon::once_with(&ctx, &config).await;
    let base = start_publish(&config, ctx.store.clone()).await;
    let before = served(&base, "all").await;

    let edited = original.replace(
        "foreign ministers meet in Busan",
        "foreign ministers meet in Busan (updated)",
    );
    server.set("korea.xml", Resource::feed(edited, Some("v2")));
    let report = tidings::daemon::once_with(&ctx, &config).await;
    assert_eq!(counts(&report[0].result), (0, 1, 3));
    let after = served(&base, "all").await;
    assert_eq!(after.len(), before.len(), "not duplicated");
    let item = after.iter().find(|i| i.2.ends_with("/news/1001")).unwrap();
    assert_eq!(
        item.1,
        "Seoul and Tokyo foreign ministers meet in Busan (updated)"
    );
    let old = before.iter().find(|i| i.2.ends_with("/news/1001")).unwrap();
    assert_eq!(item.0, old.0, "same guid after the edit");
}

#[tokio::test]
async fn etag_gives_not_modified_and_writes_no_items() {
    let server = FeedServer::start().await;
    server.set(
        "korea.xml",
        Resource::feed(fixture("feeds/korea-rss2.xml"), Some("abc")),
    );
    let t = config_for(&server, &[("korea.xml", "\"korea\"")]);
    let config = load(&t);
    let ctx = tidings::daemon::context(&config).await.unwrap();
    tidings::daemon::once_with(&ctx, &config).await;
    let changes = ctx.store.changes();
    let report = tidings::daemon::once_with(&ctx, &config).await;
    assert_eq!(report[0].result, RefreshResult::NotModified);
    assert_eq!(
        server.conditional_hits("korea.xml"),
        1,
        "If-None-Match was sent"
    );
    let state = ctx.store.feed_state(&server.url("korea.xml")).unwrap();
    assert_eq!(state.last_status, Some(304));
    assert_eq!(state.items, 4);
    assert_eq!(ctx.store.changes(), changes);
}

#[tokio::test]
async fn a_feed_addressed_by_host_name_is_resolved_and_polled() {
    let server = FeedServer::with_fixtures(&[("good.xml", "feeds/korea-rss2.xml")]).await;
    let url = server.url("good.xml").replace("127.0.0.1", "localhost");
    assert!(url.starts_with("http://localhost:"), "{url}");
    let t = write_config(&format!(
        "[daemon]\ndatabase = \"t.db\"\n\n[[feed]]\nurl = \"{url}\"\n\n[[output]]\nname = \"all\"\n"
    ));
    let config = load(&t);
    let ctx = tidings::daemon::context(&config).await.unwrap();
    let reports = tidings::daemon::once_with(&ctx, &config).await;
    assert_eq!(counts(&reports[0].result), (4, 0, 0));
}

#[tokio::test]
async fn failing_feeds_do_not_stop_the_others_and_lose_nothing() {
    let server = FeedServer::with_fixtures(&[("good.xml", "feeds/korea-rss2.xml")]).await;
    server.set("error500.xml", Resource::status(500));
    server.set(
        "garbage.xml",
        Resource::feed("this is not a feed <<<", None),
    );
    server.set(
        "html.xml",
        Resource::feed(shared("feeds-corpus/edge/html-page-not-feed.html"), None),
    );
    server.set(
        "utf16be.xml",
        Resource::feed(shared("feeds-corpus/edge/utf16be-bom.xml"), None),
    );
    // A port nobody listens on: bind, note the port, close.
    let refused = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut text = String::from("[daemon]\ndatabase = \"t.db\"\ntimeout_secs = 5\n\n");
    for path in [
        "good.xml",
        "missing.xml",
        "error500.xml",
        "garbage.xml",
        "html.xml",
    ] {
        text.push_str(&format!("[[feed]]\nurl = \"{}\"\n\n", server.url(path)));
    }
    text.push_str(&format!(
        "[[feed]]\nurl = \"http://127.0.0.1:{refused}/feed.xml\"\n\n"
    ));
    text.push_str("[[feed]]\nurl = \"http://nonexistent.invalid/feed.xml\"\n\n");
    // feed-rs alone panics on this UTF-16BE document; the recovery layer transcodes it.
    text.push_str(&format!(
        "[[feed]]\nurl = \"{}\"\n\n[[output]]\nname = \"all\"\n",
        server.url("utf16be.xml")
    ));
    let t = write_config(&text);
    let config = load(&t);
    let ctx = tidings::daemon::context(&config).await.unwrap();

    let reports = tidings::daemon::once_with(&ctx, &config).await;
    assert_eq!(counts(&reports[0].result), (4, 0, 0));
    assert_eq!(
        counts(&reports.last().unwrap().result).0,
        1,
        "UTF-16BE read"
    );
    let errors: Vec<String> = reports[1..reports.len() - 1]
        .iter()
        .map(|r| match &r.result {
            RefreshResult::Failed(e) => e.clone(),
            other => panic!("{} should fail, got {other:?}", r.url),
        })
        .collect();
    assert!(errors[0].contains("HTTP 404"), "{}", errors[0]);
    assert!(errors[1].contains("HTTP 500"), "{}", errors[1]);
    assert!(errors[2].contains("not a readable feed"), "{}", errors[2]);
    assert!(errors[3].contains("not a readable feed"), "{}", errors[3]);
    assert!(
        errors[4].to_lowercase().contains("connect"),
        "{}",
        errors[4]
    );
    assert!(
        errors[5].contains("DNS lookup of nonexistent.invalid failed"),
        "{}",
        errors[5]
    );

    // The good feed breaks later: what was stored stays stored and served.
    server.set("good.xml", Resource::status(503));
    let reports = tidings::daemon::once_with(&ctx, &config).await;
    assert!(matches!(reports[0].result, RefreshResult::Failed(_)));
    let state = ctx.store.feed_state(&server.url("good.xml")).unwrap();
    assert_eq!(
        (state.items, state.consecutive_failures, state.last_status),
        (4, 1, Some(503))
    );
    let base = start_publish(&config, ctx.store.clone()).await;
    assert_eq!(
        served(&base, "all").await.len(),
        5,
        "the good feed's 4 and the UTF-16BE one"
    );
}

#[tokio::test]
async fn served_feed_answers_conditional_gets_and_head() {
    let server = FeedServer::with_fixtures(&[("korea.xml", "feeds/korea-rss2.xml")]).await;
    let t = config_for(&server, &[("korea.xml", "\"korea\"")]);
    let config = load(&t);
    let ctx = tidings::daemon::context(&config).await.unwrap();
    tidings::daemon::once_with(&ctx, &config).await;
    let base = start_publish(&config, ctx.store.clone()).await;
    let url = format!("{base}/feeds/all.xml");
    let c = client();

    let first = c.get(&url).send().await.unwrap();
    assert_eq!(first.status(), 200);
    assert_eq!(
        first.headers()["content-type"],
        "application/rss+xml; charset=utf-8"
    );
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    let last_modified = first.headers()["last-modified"]
        .to_str()
        .unwrap()
        .to_string();
    let body = first.bytes().await.unwrap();
    let text = String::from_utf8(body.to_vec()).unwrap();
    assert!(
        text.contains(&format!("<atom:link href=\"{url}\" rel=\"self\"")),
        "{text}"
    );
    assert!(
        !text.contains("<script") && !text.contains("onerror"),
        "sanitised: {text}"
    );

    let again = c
        .get(&url)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    let again = c
        .get(&url)
        .header("If-Modified-Since", &last_modified)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    let head = c.head(&url).send().await.unwrap();
    assert_eq!(
        (head.status(), head.headers()["etag"].to_str().unwrap()),
        (reqwest::StatusCode::OK, etag.as_str())
    );
    let gz = c
        .get(&url)
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(gz.headers()["content-encoding"], "gzip");

    // A new item changes the document and its ETag.
    let more = String::from_utf8(fixture("feeds/korea-rss2.xml")).unwrap().replacen(
        "<item>",
        "<item><title>Brand new</title><link>https://korea.example/new</link><guid>new-1</guid></item><item>",
        1,
    );
    server.set("korea.xml", Resource::feed(more, None));
    tidings::daemon::once_with(&ctx, &config).await;
    let changed = c
        .get(&url)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 200);
    assert_ne!(changed.headers()["etag"].to_str().unwrap(), etag);
    assert_eq!(served_items(&changed.bytes().await.unwrap()).len(), 5);

    assert_eq!(
        c.get(format!("{base}/feeds/nope.xml"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let health = c.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let index = c
        .get(format!("{base}/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        index.contains("/feeds/all.xml") && index.contains("korea.xml"),
        "{index}"
    );
}
