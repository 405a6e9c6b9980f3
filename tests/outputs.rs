//! The outputs as subscribers meet them: three formats, real feed clients,
//! cross-feed duplicates, private outputs, OPML.

use std::collections::HashSet;
use std::path::Path;
use std::process::Command;

use crate::support::*;

struct Served {
    base: String,
    _server: FeedServer,
    _config: TempConfig,
}

/// Serves the wire and mirror fixtures through outputs `all` (public) and
/// `private` (token).
async fn serve_fixtures() -> Served {
    let server = FeedServer::with_fixtures(&[
        ("wire.xml", "feeds/wire-fulltext.xml"),
        ("mirror.xml", "feeds/mirror-dup.xml"),
    ])
    .await;
    let t = write_config(&format!(
        "[daemon]\ndatabase = \"t.db\"\n\
         [[feed]]\nurl = \"{}\"\nname = \"Asia Wire\"\ntags = [\"wire\"]\n\
         [[feed]]\nurl = \"{}\"\nname = \"Mirror\"\n\
         [[output]]\nname = \"all\"\ntitle = \"Everything\"\n\
         [[output]]\nname = \"wire\"\nfrom = {{ tags = [\"wire\"] }}\n\
         [[output]]\nname = \"private\"\ntoken = \"s3cret-token-0123456789\"\n",
        server.url("wire.xml"),
        server.url("mirror.xml")
    ));
    let config = load(&t);
    let ctx = tidings::daemon::context(&config).await.unwrap();
    tidings::daemon::once_with(&ctx, &config).await;
    assert_eq!(ctx.store.item_count().unwrap(), 6);
    Served {
        base: start_publish(&config, ctx.store.clone()).await,
        _server: server,
        _config: t,
    }
}

async fn get(url: &str) -> reqwest::Response {
    client().get(url).send().await.unwrap()
}

/// Runs ../shared/tools/check-feed-clients.sh with the given clients and count.
fn check_clients(url: &str, clients: &str, expected: usize) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = shared_path("tools/check-feed-clients.sh");
    let python = std::env::var("TIDINGS_TEST_PYTHON")
        .unwrap_or_else(|_| root.join(".venv-feeds/bin/python").display().to_string());
    let out = Command::new("bash")
        .arg(&script)
        .arg(url)
        .arg(expected.to_string())
        .env("PYTHON", python)
        .env("NODE_PATH", root.join(".feed-clients/node_modules"))
        .env("CLIENTS", clients)
        .env("REQUIRE_ALL", "1")
        .output()
        .unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "feed clients disagree on {url} (expected {expected} items; clients are installed by scripts/test.sh):\n{report}"
    );
    assert_eq!(
        report.matches(" PASS ").count(),
        clients.split_whitespace().count(),
        "{report}"
    );
}

/// Reads a JSON Feed with the feedsmith parser (Node), as a JS reader would.
fn check_json_feed_with_feedsmith(url: &str, expected: usize) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(".feed-clients");
    let script = format!(
        "import {{ parseFeed }} from 'feedsmith';\n\
         const r = await fetch({url:?});\n\
         const parsed = parseFeed(await r.text());\n\
         console.log(JSON.stringify({{ format: parsed.format, n: parsed.feed.items.length, ids: parsed.feed.items.map(i => i.id) }}));\n"
    );
    let file = root.join("check-json-feed.mjs");
    std::fs::write(&file, script).expect(".feed-clients/ exists (created by scripts/test.sh)");
    let out = Command::new("node")
        .arg(&file)
        .output()
        .expect("node (installed by scripts/test.sh)");
    assert!(
        out.status.success(),
        "feedsmith: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["format"], "json");
    assert_eq!(v["n"].as_u64(), Some(expected as u64));
    let ids: HashSet<_> = v["ids"].as_array().unwrap().iter().collect();
    assert_eq!(ids.len(), expected);
}

#[tokio::test]
async fn real_clients_read_every_format() {
    let s = serve_fixtures().await;
    // 6 stored; the wire story re-published by the mirror appears once.
    // The clients fetch from our server: run them off this runtime's thread.
    let base = s.base.clone();
    tokio::task::spawn_blocking(move || {
        let all = "http xmllint feedparser newsboat rss2email rss-parser";
        check_clients(&format!("{base}/feeds/all.xml"), all, 5);
        check_clients(&format!("{base}/feeds/all.atom"), all, 5);
        // feedparser 6 and newsboat 2.21 do not read JSON Feed; feedsmith (npm) does.
        check_clients(&format!("{base}/feeds/all.json"), "http", 5);
        check_json_feed_with_feedsmith(&format!("{base}/feeds/all.json"), 5);
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn json_feed_follows_the_1_1_spec() {
    let s = serve_fixtures().await;
    let r = get(&format!("{}/feeds/all.json", s.base)).await;
    assert_eq!(
        r.headers()["content-type"],
        "application/feed+json; charset=utf-8"
    );
    let v: serde_json::Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(v["version"], "https://jsonfeed.org/version/1.1");
    assert!(v["title"].is_string());
    assert_eq!(v["feed_url"], format!("{}/feeds/all.json", s.base));
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 5);
    for i in items {
        assert!(i["id"].is_string(), "id is a required string: {i}");
        assert!(
            i["content_html"].is_string() || i["content_text"].is_string(),
            "content required: {i}"
        );
        for a in i["attachments"].as_array().into_iter().flatten() {
            assert!(
                a["url"].is_string() && a["mime_type"].is_string(),
                "attachment: {a}"
            );
        }
        for key in i.as_object().unwrap().keys() {
            let known = [
                "id",
                "url",
                "external_url",
                "title",
                "content_html",
                "content_text",
                "summary",
                "image",
                "banner_image",
                "date_published",
                "date_modified",
                "authors",
                "tags",
                "language",
                "attachments",
            ];
            assert!(
                known.contains(&key.as_str()) || key.starts_with('_'),
                "unknown key {key}"
            );
        }
    }
    let ko = items
        .iter()
        .find(|i| i["title"] == "한미일 외교장관, 워싱턴에서 3국 회의")
        .unwrap();
    let html = ko["content_html"].as_str().unwrap();
    assert!(
        html.contains("https://wire.example/photos/ko-1.jpg"),
        "relative image made absolute: {html}"
    );
    assert!(
        !html.contains("pixel.example"),
        "tracking pixel removed: {html}"
    );
    assert_eq!(ko["authors"][0]["name"], "이지은");
    assert!(
        ko["content_text"]
            .as_str()
            .unwrap()
            .contains("두 번째 문단 & 결론.")
    );
    let pod = items
        .iter()
        .find(|i| i["url"] == "https://wire.example/podcast/42")
        .unwrap();
    assert_eq!(
        pod["attachments"][0]["url"],
        "https://wire.example/media/ep42.mp3"
    );
    assert_eq!(pod["attachments"][0]["size_in_bytes"], 31415926);
}

#[tokio::test]
async fn ids_are_the_same_in_every_format_and_output() {
    let s = serve_fixtures().await;
    let rss = body_of(&format!("{}/feeds/all.xml", s.base)).await;
    let atom = body_of(&format!("{}/feeds/all.atom", s.base)).await;
    let wire = body_of(&format!("{}/feeds/wire.xml", s.base)).await;
    let json_bytes = body_of(&format!("{}/feeds/all.json", s.base)).await;
    let json: serde_json::Value = serde_json::from_slice(&json_bytes).unwrap();
    let ids = |xml: &[u8]| {
        served_items(xml)
            .into_iter()
            .map(|i| i.0)
            .collect::<Vec<_>>()
    };
    let json_ids: Vec<String> = json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids(&rss), ids(&atom));
    assert_eq!(ids(&rss), json_ids);
    assert_eq!(
        ids(&rss).iter().collect::<HashSet<_>>().len(),
        5,
        "unique, even for the guid two feeds share"
    );
    let all: HashSet<_> = ids(&rss).into_iter().collect();
    for id in ids(&wire) {
        if id != ids(&wire)[1] {
            assert!(all.contains(&id), "{id} differs between outputs");
        }
    }
    let rss_text = String::from_utf8(rss.to_vec()).unwrap();
    assert!(rss_text.contains("<enclosure url=\"https://wire.example/media/ep42.mp3\" length=\"31415926\" type=\"audio/mpeg\"/>"));
    assert!(rss_text.contains("<content:encoded>"), "full text carried");
    assert!(rss_text.contains("<source url="), "originating feed named");
}

#[tokio::test]
async fn the_same_story_from_two_feeds_appears_once() {
    let s = serve_fixtures().await;
    let all = served_items(&body_of(&format!("{}/feeds/all.xml", s.base)).await);
    let ja: Vec<_> = all.iter().filter(|i| i.2.contains("/story/ja-1")).collect();
    assert_eq!(ja.len(), 1, "{all:#?}");
    // Within the wire output alone the story is of course there.
    let wire = served_items(&body_of(&format!("{}/feeds/wire.xml", s.base)).await);
    assert_eq!(wire.len(), 4);
}

#[tokio::test]
async fn private_outputs_need_their_token_and_stay_hidden() {
    let s = serve_fixtures().await;
    for url in [
        format!("{}/feeds/private.xml", s.base),
        format!("{}/feeds/private.json?token=wrong-token-0123456789", s.base),
        format!("{}/feeds/wrong/private.atom", s.base),
    ] {
        assert_eq!(get(&url).await.status(), 404, "{url}");
    }
    let by_query = get(&format!(
        "{}/feeds/private.xml?token=s3cret-token-0123456789",
        s.base
    ))
    .await;
    assert_eq!(by_query.status(), 200);
    assert_eq!(by_query.headers()["cache-control"], "private, max-age=60");
    let text = by_query.text().await.unwrap();
    assert!(
        text.contains("/feeds/private.xml?token=s3cret-token-0123456789\" rel=\"self\""),
        "self link keeps the token"
    );
    assert_eq!(
        get(&format!(
            "{}/feeds/s3cret-token-0123456789/private.atom",
            s.base
        ))
        .await
        .status(),
        200
    );
    // A public output does not accept a token path (no second URL for it).
    assert_eq!(
        get(&format!("{}/feeds/anything/all.xml", s.base))
            .await
            .status(),
        404
    );

    let index = get(&format!("{}/", s.base)).await.text().await.unwrap();
    assert!(
        index.contains("/feeds/all.atom") && !index.contains("private"),
        "{index}"
    );
    let opml = get(&format!("{}/opml", s.base)).await.text().await.unwrap();
    assert!(!opml.contains("private"));
    let host = s.base.trim_start_matches("http://");
    assert!(
        opml.contains(&format!("xmlUrl=\"http://{host}/feeds/all.xml\"")),
        "{opml}"
    );
    assert!(opml.contains(&format!("xmlUrl=\"http://{host}/feeds/wire.xml\"")));
    let lint = Command::new("xmllint")
        .arg("--noout")
        .arg("-")
        .stdin(std::process::Stdio::piped())
        .spawn();
    let mut lint = lint.expect("xmllint (installed by scripts/test.sh)");
    std::io::Write::write_all(lint.stdin.as_mut().unwrap(), opml.as_bytes()).unwrap();
    drop(lint.stdin.take());
    assert!(lint.wait().unwrap().success(), "OPML is well-formed");
}

#[tokio::test]
async fn every_format_has_validators_304_head_and_compression() {
    let s = serve_fixtures().await;
    let c = reqwest::Client::builder()
        .no_gzip()
        .no_brotli()
        .build()
        .unwrap();
    for (ext, ctype) in [
        ("xml", "application/rss+xml; charset=utf-8"),
        ("atom", "application/atom+xml; charset=utf-8"),
        ("json", "application/feed+json; charset=utf-8"),
    ] {
        let url = format!("{}/feeds/all.{ext}", s.base);
        let r = c.get(&url).send().await.unwrap();
        assert_eq!(r.headers()["content-type"], ctype);
        assert_eq!(r.headers()["cache-control"], "public, max-age=60");
        let etag = r.headers()["etag"].to_str().unwrap().to_string();
        let lm = r.headers()["last-modified"].to_str().unwrap().to_string();
        assert_eq!(
            c.get(&url)
                .header("If-None-Match", &etag)
                .send()
                .await
                .unwrap()
                .status(),
            304
        );
        assert_eq!(
            c.get(&url)
                .header("If-Modified-Since", &lm)
                .send()
                .await
                .unwrap()
                .status(),
            304
        );
        assert_eq!(c.head(&url).send().await.unwrap().status(), 200);
        for enc in ["gzip", "br"] {
            let r = c
                .get(&url)
                .header("Accept-Encoding", enc)
                .send()
                .await
                .unwrap();
            assert_eq!(r.headers()["content-encoding"], enc, "{url}");
        }
    }
    assert_eq!(
        c.get(format!("{}/feeds/all.txt", s.base))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

#[tokio::test]
async fn an_output_is_rendered_again_only_when_its_own_items_change() {
    let server = FeedServer::with_fixtures(&[
        ("a.xml", "feeds/korea-rss2.xml"),
        ("b.xml", "feeds/japan-atom.xml"),
    ])
    .await;
    let t = write_config(&format!(
        "[daemon]\ndatabase = \"t.db\"\n[[feed]]\nurl = \"{}\"\ntags = [\"a\"]\n[[feed]]\nurl = \"{}\"\ntags = [\"b\"]\n\
         [[output]]\nname = \"a\"\nfrom = {{ tags = [\"a\"] }}\n",
        server.url("a.xml"),
        server.url("b.xml")
    ));
    let config = load(&t);
    let ctx = tidings::daemon::context(&config).await.unwrap();
    tidings::daemon::once_with(&ctx, &config).await;
    let metrics = std::sync::Arc::new(tidings::metrics::Metrics::default());
    let state = std::sync::Arc::new(
        tidings::publish::AppState::new(ctx.store.clone(), &config).with_metrics(metrics.clone()),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/feeds/a.xml", listener.local_addr().unwrap());
    tokio::spawn(tidings::publish::serve(
        listener,
        state,
        std::future::pending(),
    ));
    let renders = || {
        metrics
            .render(&[])
            .lines()
            .find(|l| l.starts_with("tidings_output_renders_total"))
            .unwrap()
            .to_string()
    };
    let c = client();
    c.get(&url).send().await.unwrap();
    c.get(&url).send().await.unwrap();
    assert_eq!(renders(), "tidings_output_renders_total 1", "cached");
    // Feed b (not in output a) changes: a is not rendered again.
    let more = String::from_utf8(fixture("feeds/japan-atom.xml"))
        .unwrap()
        .replace("Typhoon season ends", "Typhoon season ends early");
    server.set("b.xml", Resource::feed(more, None));
    tidings::daemon::once_with(&ctx, &config).await;
    c.get(&url).send().await.unwrap();
    assert_eq!(
        renders(),
        "tidings_output_renders_total 1",
        "another feed's change does not re-render"
    );
    // Feed a changes: a is rendered again.
    let edited = String::from_utf8(fixture("feeds/korea-rss2.xml"))
        .unwrap()
        .replace("meet in Busan", "meet in Busan again");
    server.set("a.xml", Resource::feed(edited, None));
    tidings::daemon::once_with(&ctx, &config).await;
    let body = c.get(&url).send().await.unwrap().text().await.unwrap();
    assert_eq!(renders(), "tidings_output_renders_total 2");
    assert!(body.contains("meet in Busan again"));
}
