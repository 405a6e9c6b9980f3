//! Full text: a local server serves a feed and its article pages; the served
//! output carries the articles, boilerplate gone; private addresses refused by
//! default; filters see the full text; a changed link is fetched again.

use crate::support::*;

fn feed_xml(link1: &str, link2: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Seoul City News</title><link>https://city.example/</link><description>d</description>
<item><title>Seoul extends late-night subway service on three lines</title><link>{link1}</link><guid>city-1</guid>
<pubDate>Fri, 20 Nov 2026 00:30:00 +0000</pubDate><description>Seoul will keep three subway lines open later.</description></item>
<item><title>서울시, 심야 지하철 연장</title><link>{link2}</link><guid>city-2</guid>
<pubDate>Fri, 20 Nov 2026 00:00:00 +0000</pubDate><description>심야 지하철.</description></item>
</channel></rss>"#
    )
}

/// An EUC-KR page whose charset is only in the HTTP header.
fn korean_page() -> Resource {
    let html = "<html><head><title>서울시, 심야 지하철 연장</title></head><body><nav>홈 | 정치 | 사회</nav>\
        <article><h1>서울시, 심야 지하철 연장</h1>\
        <p>서울시는 12월부터 금요일과 토요일 밤 지하철 2호선, 5호선, 7호선의 운행 시간을 새벽 2시까지 연장한다고 밝혔다.</p>\
        <p>시는 연장 운행에 연간 약 45억 원이 들 것으로 추산했으며, 서울교통공사는 역무원 120명을 추가로 채용할 계획이다.</p>\
        <p>시민 단체들은 늦게 퇴근하는 노동자들을 위한 조치가 너무 늦었다고 평가했다.</p></article>\
        <footer>Copyright 서울신문</footer></body></html>";
    let (bytes, _, _) = encoding_rs::EUC_KR.encode(html);
    Resource {
        status: 200,
        body: bytes.into_owned(),
        content_type: "text/html; charset=euc-kr",
        ..Default::default()
    }
}

fn html(body: Vec<u8>) -> Resource {
    Resource {
        status: 200,
        body,
        content_type: "text/html; charset=utf-8",
        ..Default::default()
    }
}

fn config(server: &FeedServer, allow_private: bool) -> TempConfig {
    write_config(&format!(
        "[daemon]\ndatabase = \"t.db\"\nallow_private_articles = {allow_private}\n\
         [[feed]]\nurl = \"{}\"\nname = \"City\"\nfull_text = true\n\
         [[output]]\nname = \"all\"\n\
         [[output]]\nname = \"maintenance\"\nfilter = 'maintenance and crews'\n",
        server.url("feed.xml")
    ))
}

async fn served(base: &str, output: &str) -> String {
    client()
        .get(format!("{base}/feeds/{output}.xml"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_served_feed_carries_the_full_article_without_boilerplate() {
    let server = FeedServer::start().await;
    server.set(
        "feed.xml",
        Resource::feed(
            feed_xml(&server.url("a/1.html"), &server.url("a/2.html")),
            None,
        ),
    );
    server.set("a/1.html", html(fixture("pages/koreatimes-style.html")));
    server.set("a/2.html", korean_page());
    let t = config(&server, true);
    let config = load(&t);
    let ctx = tidings::daemon::context(&config).await.unwrap();
    tidings::daemon::once_with(&ctx, &config).await;
    let base = start_publish(&config, ctx.store.clone()).await;
    let xml = served(&base, "all").await;

    for paragraph in String::from_utf8(fixture("pages/koreatimes-style.expected.txt"))
        .unwrap()
        .split("\n\n")
    {
        let start: String = paragraph.trim().chars().take(60).collect();
        let start = start.replace('"', "&quot;");
        assert!(
            xml.contains(&start) || xml.contains(&start.replace("&quot;", "\"")),
            "paragraph missing: {start}\n{xml}"
        );
    }
    for boilerplate in [
        "font-size",
        "share button",
        "Top 10 Stories",
        "go top",
        "Korea Times photo",
    ] {
        assert!(!xml.contains(boilerplate), "{boilerplate} survived");
    }
    assert!(
        xml.contains("서울교통공사는 역무원 120명을"),
        "EUC-KR page decoded from the HTTP charset"
    );
    assert!(!xml.contains("Copyright 서울신문"));
    // The filter sees the full text: "maintenance crews" is only in the article.
    let filtered = served(&base, "maintenance").await;
    assert_eq!(served_items(filtered.as_bytes()).len(), 1, "{filtered}");

    // Only new items are fetched; an unchanged poll fetches nothing again.
    tidings::daemon::once_with(&ctx, &config).await;
    assert_eq!((server.hits("a/1.html"), server.hits("a/2.html")), (1, 1));
    // A changed link is fetched again.
    server.set("a/1b.html", html(fixture("pages/koreatimes-style.html")));
    server.set(
        "feed.xml",
        Resource::feed(
            feed_xml(&server.url("a/1b.html"), &server.url("a/2.html")),
            None,
        ),
    );
    tidings::daemon::once_with(&ctx, &config).await;
    assert_eq!(server.hits("a/1b.html"), 1);
}

#[tokio::test]
async fn private_addresses_are_refused_by_default_and_the_feed_content_kept() {
    let server = FeedServer::start().await;
    server.set(
        "feed.xml",
        Resource::feed(
            feed_xml(&server.url("a/1.html"), &server.url("a/2.html")),
            None,
        ),
    );
    server.set("a/1.html", html(fixture("pages/koreatimes-style.html")));
    let t = config(&server, false);
    let config = load(&t);
    let ctx = tidings::daemon::context(&config).await.unwrap();
    tidings::daemon::once_with(&ctx, &config).await;
    assert_eq!(
        server.hits("a/1.html"),
        0,
        "the page on 127.0.0.1 was not requested"
    );
    let item = ctx
        .store
        .find_item(&server.url("a/1.html"))
        .unwrap()
        .unwrap();
    let outcome = ctx.store.extraction_of(&item.uid).unwrap().unwrap();
    assert!(
        outcome.contains("refused") && outcome.contains("private"),
        "{outcome}"
    );
    assert_eq!(item.content, None);
    let base = start_publish(&config, ctx.store.clone()).await;
    assert!(
        served(&base, "all")
            .await
            .contains("Seoul will keep three subway lines open later.")
    );
}

#[tokio::test]
async fn a_shorter_or_failed_extraction_keeps_the_feed_content_and_says_why() {
    let server = FeedServer::start().await;
    server.set(
        "feed.xml",
        Resource::feed(
            feed_xml(&server.url("a/1.html"), &server.url("a/2.html")),
            None,
        ),
    );
    server.set(
        "a/1.html",
        html(b"<html><body><p>Short.</p></body></html>".to_vec()),
    );
    // a/2.html is missing: 404.
    let t = config(&server, true);
    let config = load(&t);
    let ctx = tidings::daemon::context(&config).await.unwrap();
    tidings::daemon::once_with(&ctx, &config).await;
    let outcome = |link: &str| {
        let item = ctx.store.find_item(&server.url(link)).unwrap().unwrap();
        ctx.store.extraction_of(&item.uid).unwrap().unwrap()
    };
    let short = outcome("a/1.html");
    assert!(
        short.starts_with("kept the feed's content") || short.contains("no article content"),
        "{short}"
    );
    assert!(
        outcome("a/2.html").contains("HTTP 404"),
        "{}",
        outcome("a/2.html")
    );
}

/// A feed of one item: `title`, dated an hour ago, its `description` escaped.
fn one_item(title: &str, link: &str, description: &str) -> Vec<u8> {
    let date = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc2822();
    let description = description
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>{title}</title><link>https://example.org/</link><description>d</description>
<item><title>{title}</title><link>{link}</link><guid>{link}</guid><pubDate>{date}</pubDate><description>{description}</description></item>
</channel></rss>"#
    )
    .into_bytes()
}

// The print of an extracted article is kept only when an output de-duplicates
// (as at ingest); then it is what a later copy of the article's text meets.
#[tokio::test]
async fn an_extracted_article_is_printed_only_when_an_output_groups_stories() {
    let server = FeedServer::start().await;
    let article = server.url("a/1.html");
    server.set("a/1.html", html(fixture("pages/koreatimes-style.html")));
    server.set(
        "city.xml",
        Resource::feed(one_item("Night trains", &article, "Later trains."), None),
    );
    let full = String::from_utf8(fixture("pages/koreatimes-style.expected.txt")).unwrap();
    server.set(
        "wire.xml",
        Resource::feed(
            one_item(
                "Seoul extends late-night subway service on three lines",
                "https://wire.example/subway",
                &full,
            ),
            None,
        ),
    );
    for dedup in [false, true] {
        let t = write_config(&format!(
            "[daemon]\ndatabase = \"t.db\"\nallow_private_articles = true\n\
             [[feed]]\nurl = \"{}\"\nname = \"City\"\nfull_text = true\n\
             [[feed]]\nurl = \"{}\"\nname = \"Wire\"\n\
             [[output]]\nname = \"all\"\ndedup = {dedup}\n",
            server.url("city.xml"),
            server.url("wire.xml"),
        ));
        let config = load(&t);
        let ctx = tidings::daemon::context(&config).await.unwrap();
        // The city's item and its article first, then the wire's copy.
        tidings::pipeline::refresh(&ctx, &config.feeds[0]).await;
        let item = ctx.store.find_item(&article).unwrap().unwrap();
        assert_eq!(
            ctx.store.extraction_of(&item.uid).unwrap().as_deref(),
            Some("ok")
        );
        let prints = ctx.store.print_counts().unwrap().0;
        tidings::pipeline::refresh(&ctx, &config.feeds[1]).await;
        let base = start_publish(&config, ctx.store.clone()).await;
        let served = served_items(served(&base, "all").await.as_bytes()).len();
        if dedup {
            assert_eq!(prints, 1, "the item's print, with its article");
            assert_eq!(served, 1, "the wire's copy joined the city's story");
        } else {
            assert_eq!(prints, 0, "no output groups stories: no print");
            assert_eq!(served, 2);
        }
    }
}
