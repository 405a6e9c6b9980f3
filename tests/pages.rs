//! `/feeds/<name>.html` as a person sees it: rendered by a real browser
//! (Debian's chromium, headless), every served item on the page with why it is
//! in, the near misses below, and a private output's page only with its token.

use crate::support::*;

const TOKEN: &str = "s3cret-token-0123456789";

/// The DOM of `url` after Chromium loaded it (`--dump-dom`), run headless in a
/// fresh profile with everything that would reach the network switched off.
async fn chromium_dom(url: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let args: Vec<String> = [
        "90", // seconds: `timeout` ends a browser that hangs
        "chromium",
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
    ]
    .into_iter()
    .map(String::from)
    .chain([
        format!("--user-data-dir={}", profile.path().display()),
        "--dump-dom".to_string(),
        url.to_string(),
    ])
    .collect();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("timeout").args(&args).output()
    })
    .await
    .unwrap()
    .expect("cannot run `timeout chromium`");
    assert!(
        out.status.code() != Some(127),
        "these tests need Debian's chromium package (scripts/test.sh installs it)"
    );
    assert!(
        out.status.code() != Some(124),
        "chromium did not load {url} in 90 s"
    );
    assert!(
        out.status.success(),
        "chromium failed on {url}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The text of each `<li class="CLASS">…</li>` of a DOM dump.
fn list_items(dom: &str, class: &str) -> Vec<String> {
    let open = format!("<li class=\"{class}\">");
    dom.split(&open)
        .skip(1)
        .map(|rest| rest[..rest.find("</li>").unwrap()].to_string())
        .collect()
}

fn html_escaped(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_output_page_in_a_browser_shows_every_item_why_and_the_near_misses() {
    let server = FeedServer::with_fixtures(&[
        ("korea.xml", "feeds/korea-rss2.xml"),
        ("japan.atom", "feeds/japan-atom.xml"),
        ("wire.xml", "feeds/wire-fulltext.xml"),
    ])
    .await;
    let t = write_config(&format!(
        "[daemon]\ndatabase = \"t.db\"\n\
         [[feed]]\nurl = \"{}\"\nname = \"Korea Wire\"\n\
         [[feed]]\nurl = \"{}\"\nname = \"Japan Desk\"\n\
         [[feed]]\nurl = \"{}\"\nname = \"Asia Wire\"\n\
         [[output]]\nname = \"diplomacy\"\ntitle = \"Diplomacy & more\"\nfilter = 'any(@places) and any(@diplomacy)'\n\
         [[output]]\nname = \"all\"\n\
         [[output]]\nname = \"mine\"\ntoken = \"{TOKEN}\"\nfilter = 'any(@places)'\n\
         [terms]\nplaces = [\"Korea*\", \"Seoul\", \"Busan\", \"Tokyo\", \"Beijing\", \"Japan*\", \"China\", \"한국\", \"서울\", \"베이징\", \"日本\", \"韓国\", \"中国\", \"北京\", \"首尔\"]\n\
         diplomacy = [\"foreign minister*\", \"envoy*\", \"summit\", \"talks\", \"외교장관\", \"회담\", \"首脳会談\", \"会談\", \"外长\", \"会谈\", \"会见\"]\n",
        server.url("korea.xml"),
        server.url("japan.atom"),
        server.url("wire.xml"),
    ));
    let config = load(&t);
    let ctx = tidings::daemon::context(&config).await.unwrap();
    tidings::daemon::once_with(&ctx, &config).await;
    let base = start_publish(&config, ctx.store.clone()).await;

    // `/` links to the page of each public output, not to the private one.
    let index = chromium_dom(&format!("{base}/")).await;
    assert!(index.contains("href=\"/feeds/diplomacy.html\""), "{index}");
    assert!(!index.contains("mine.html"), "{index}");

    let diplomacy = served(&base, "diplomacy").await;
    assert_eq!(diplomacy.len(), 5, "{diplomacy:?}");
    let dom = chromium_dom(&format!("{base}/feeds/diplomacy.html")).await;
    assert!(dom.contains("<h1>Diplomacy &amp; more</h1>"), "{dom}");
    let items = list_items(&dom, "item");
    assert_eq!(
        items.len(),
        diplomacy.len(),
        "one entry per served item:\n{dom}"
    );
    for ((_, title, link), li) in diplomacy.iter().zip(&items) {
        // In the order served, the title linked to the article, the source,
        // the date, and the terms that put it in.
        assert!(
            li.contains(&format!(
                "<a class=\"title\" href=\"{}\">{}</a>",
                html_escaped(link),
                html_escaped(title)
            )),
            "{title}: {li}"
        );
        assert!(li.contains("<span class=\"source\">"), "{li}");
        assert!(li.contains("<time datetime=\""), "{li}");
        assert!(li.contains("<p class=\"why\">In for: "), "{li}");
    }
    let busan = items
        .iter()
        .find(|li| li.contains("Seoul and Tokyo foreign ministers meet in Busan"))
        .unwrap();
    assert!(
        busan.contains("Seoul (title") && busan.contains("foreign minister* (title"),
        "{busan}"
    );
    // A few lines of its text, as served: the feed's script is not shown.
    assert!(
        busan.contains("<p class=\"text\">The two ministers agreed to meet again.</p>"),
        "{busan}"
    );
    // The near miss: it names places but no diplomatic word.
    let near = list_items(&dom, "near-miss");
    let dialogue = near
        .iter()
        .find(|li| li.contains("Tokyo &amp; Beijing resume dialogue"))
        .unwrap_or_else(|| panic!("no near miss for the dialogue item:\n{dom}"));
    assert!(
        dialogue.contains("<p class=\"failed\">✗ any(@diplomacy) — none of 11 found, 1 needed</p>"),
        "{dialogue}"
    );
    assert!(
        near.iter()
            .all(|li| !diplomacy.iter().any(|s| li.contains(&html_escaped(&s.1)))),
        "a served item is not a near miss"
    );

    // An unfiltered output: every item, no reasons, no near misses.
    let dom = chromium_dom(&format!("{base}/feeds/all.html")).await;
    assert_eq!(list_items(&dom, "item").len(), 11);
    assert!(!dom.contains("Near misses"));

    // A private output: 404 without its token, the page with it (both forms).
    let c = client();
    for url in [
        format!("{base}/feeds/mine.html"),
        format!("{base}/feeds/mine.html?token=wrong-token-0123456789"),
        format!("{base}/feeds/wrong-token-0123456789/mine.html"),
    ] {
        assert_eq!(c.get(&url).send().await.unwrap().status(), 404, "{url}");
    }
    let dom = chromium_dom(&format!("{base}/feeds/mine.html")).await;
    assert!(!dom.contains("class=\"item\""), "{dom}");
    for url in [
        format!("{base}/feeds/mine.html?token={TOKEN}"),
        format!("{base}/feeds/{TOKEN}/mine.html"),
    ] {
        let dom = chromium_dom(&url).await;
        let mine = served(&base, &format!("{TOKEN}/mine")).await;
        assert_eq!(list_items(&dom, "item").len(), mine.len(), "{url}:\n{dom}");
        assert!(
            dom.contains(TOKEN),
            "its subscribe links carry the token: {dom}"
        );
    }
}
