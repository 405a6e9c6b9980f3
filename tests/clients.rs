//! Real feed clients read what we serve: xmllint (well-formedness) and Python
//! feedparser (a lenient but strict-flagging parser). Both are installed by the
//! README's test command; a missing one fails the test with instructions.

use std::process::Command;

use crate::support::*;

fn require(ok: bool, what: &str) {
    assert!(
        ok,
        "{what} is needed by this test: run the README's test command (scripts/test.sh), which installs it"
    );
}

#[tokio::test]
async fn xmllint_and_feedparser_accept_the_served_feed() {
    let server = FeedServer::with_fixtures(&[
        ("korea.xml", "feeds/korea-rss2.xml"),
        ("japan.atom", "feeds/japan-atom.xml"),
    ])
    .await;
    server.set(
        "edge.xml",
        Resource::feed(shared("feeds-corpus/edge/utf8-korean.xml"), None),
    );
    server.set(
        "ff.xml",
        Resource::feed(shared("feeds-corpus/edge/control-char-formfeed.xml"), None),
    );
    let mut text = String::from("[daemon]\ndatabase = \"t.db\"\n");
    for p in ["korea.xml", "japan.atom", "edge.xml", "ff.xml"] {
        text.push_str(&format!("[[feed]]\nurl = \"{}\"\n", server.url(p)));
    }
    text.push_str("[[output]]\nname = \"all\"\n");
    let t = write_config(&text);
    let config = load(&t);
    let ctx = tidings::daemon::context(&config).await.unwrap();
    tidings::daemon::once_with(&ctx, &config).await;
    // The two edge-case feeds link the same story: an output shows it once.
    let o = &config.outputs[0];
    let expected = tidings::publish::served_items(
        &ctx.store,
        &o.name,
        false,
        config.feeds.len(),
        1000,
        Some(&o.prefer),
    )
    .unwrap()
    .len() as u64;
    assert!(
        expected >= 9 && expected < ctx.store.item_count().unwrap(),
        "{expected}"
    );
    let base = start_publish(&config, ctx.store.clone()).await;
    let body = body_of(&format!("{base}/feeds/all.xml")).await;
    let file = t.dir.path().join("served.xml");
    std::fs::write(&file, &body).unwrap();

    let lint = Command::new("xmllint").arg("--noout").arg(&file).output();
    require(lint.is_ok(), "xmllint (Debian package libxml2-utils)");
    let lint = lint.unwrap();
    assert!(
        lint.status.success(),
        "xmllint: {}",
        String::from_utf8_lossy(&lint.stderr)
    );

    let script = "import sys, json, feedparser\n\
d = feedparser.parse(sys.argv[1])\n\
print(json.dumps({'bozo': int(d.bozo), 'exc': str(d.get('bozo_exception', '')), 'version': d.version,\n\
  'n': len(d.entries), 'ids': [e.get('id') for e in d.entries], 'titles': [e.get('title') for e in d.entries]}))\n";
    let out = Command::new(python())
        .arg("-c")
        .arg(script)
        .arg(&file)
        .output();
    require(
        out.as_ref().is_ok_and(|o| o.status.success()),
        "Python with feedparser (pip install feedparser)",
    );
    let out = out.unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["bozo"], 0, "feedparser flags the feed: {}", v["exc"]);
    assert_eq!(v["version"], "rss20");
    assert_eq!(v["n"].as_u64().unwrap(), expected);
    let ids: std::collections::HashSet<_> = v["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len() as u64, expected, "unique guids");
    assert!(
        v["titles"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "서울·베이징 외교장관 회담")
    );
}
