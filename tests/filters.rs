//! Filtered outputs: rules stored at ingest, re-evaluated when they change,
//! explained, tested on JSON lines, and the shipped example measured.

use crate::support::*;

const TERMS: &str = r#"
[terms]
places = ["Korea*", "Seoul", "Busan", "Tokyo", "Beijing", "Japan*", "China", "한국", "서울", "베이징", "日本", "韓国", "中国", "北京", "首尔"]
diplomacy = ["foreign minister*", "envoy*", "summit", "talks", "외교장관", "회담", "首脳会談", "会談", "外长", "会谈", "会见"]
"#;

fn config_with_filter(server: &FeedServer, filter: &str) -> String {
    format!(
        "[daemon]\ndatabase = \"t.db\"\n\
         [[feed]]\nurl = \"{}\"\nname = \"Korea Wire\"\ntags = [\"korea\"]\n\
         [[feed]]\nurl = \"{}\"\nname = \"Japan Desk\"\n\
         [[feed]]\nurl = \"{}\"\nname = \"Asia Wire\"\n\
         [[output]]\nname = \"diplomacy\"\nfilter = '''\n{filter}\n'''\n\
         [[output]]\nname = \"all\"\n{TERMS}",
        server.url("korea.xml"),
        server.url("japan.atom"),
        server.url("wire.xml")
    )
}

async fn titles(
    config: &tidings::config::Config,
    store: tidings::store::Store,
    output: &str,
) -> Vec<String> {
    let base = start_publish(config, store).await;
    let mut t: Vec<String> = served(&base, output)
        .await
        .into_iter()
        .map(|i| i.1)
        .collect();
    t.sort();
    t
}

async fn fixture_server() -> FeedServer {
    FeedServer::with_fixtures(&[
        ("korea.xml", "feeds/korea-rss2.xml"),
        ("japan.atom", "feeds/japan-atom.xml"),
        ("wire.xml", "feeds/wire-fulltext.xml"),
    ])
    .await
}

#[tokio::test]
async fn a_filtered_output_serves_matching_items_and_follows_rule_changes() {
    let server = fixture_server().await;
    let t = write_config(&config_with_filter(
        &server,
        "any(@places) and any(@diplomacy)",
    ));
    let config = load(&t);
    let ctx = tidings::daemon::context(&config).await.unwrap();
    tidings::daemon::once_with(&ctx, &config).await;
    assert_eq!(
        titles(&config, ctx.store.clone(), "diplomacy").await,
        [
            "Seoul and Tokyo foreign ministers meet in Busan",
            "Tokyo & Beijing resume dialogue",
            "中国外长在首尔会见韩国外长",
            "日中首脳が北京で会談、関係改善を確認",
            "日本と韓国、首脳会談で協力確認",
            "서울·베이징 외교장관 회담",
        ]
        .map(String::from)
        .to_vec()
        .into_iter()
        .filter(|t| t != "Tokyo & Beijing resume dialogue")
        .collect::<Vec<_>>(),
        "matched at ingest (\"dialogue\" is not in the diplomacy list)"
    );
    assert_eq!(
        titles(&config, ctx.store.clone(), "all").await.len(),
        11,
        "unfiltered output unchanged"
    );

    // The rule changes: stored items are re-evaluated when the config is next
    // loaded by the daemon (start-up or SIGHUP), without polling again.
    std::fs::write(
        &t.path,
        t.text(&config_with_filter(
            &server,
            "title:(Tokyo or Seoul) and not feed:korea",
        )),
    )
    .unwrap();
    let changed = load(&t);
    let ctx2 = tidings::daemon::context(&changed).await.unwrap();
    assert_eq!(
        titles(&changed, ctx2.store.clone(), "diplomacy").await,
        ["Tokyo & Beijing resume dialogue"]
    );
}

#[tokio::test]
async fn explain_names_the_clauses_and_words_that_matched() {
    let server = fixture_server().await;
    let t = write_config(&config_with_filter(
        &server,
        "any(@places) and any(@diplomacy)",
    ));
    let config = load(&t);
    let ctx = tidings::daemon::context(&config).await.unwrap();
    tidings::daemon::once_with(&ctx, &config).await;
    let explain = |link| {
        let config = t.path.to_str().unwrap();
        ["explain", "--output", "diplomacy", "--config", config, link]
    };
    let link = server.url("news/1001");
    let out = tidings_async(&explain(&link)).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("verdict: in"), "{text}");
    assert!(
        text.contains("Busan") && text.contains("foreign minister"),
        "the matched words are shown:\n{text}"
    );

    let out = tidings(&explain("https://nowhere.example/x"));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no stored item"));
}

#[test]
fn a_mistake_in_a_rule_is_placed_inside_the_rule() {
    let t = write_config(&format!(
        "[[feed]]\nurl = \"https://a.example/rss\"\n[[output]]\nname = \"o\"\nfilter = '''\nany(@places) and\n  title:(summit or @nope)\n'''\n{TERMS}"
    ));
    let out = tidings(&["check", "--config", t.path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "{}:7:20: filter of output \"o\": ",
            t.path.display()
        )),
        "{err}"
    );
    assert!(
        err.contains("@nope") && err.contains("places"),
        "names the defined lists: {err}"
    );
    assert!(err.contains("7 |   title:(summit or @nope)"), "{err}");
    assert!(
        err.contains("  |                    ^^^^^"),
        "caret under @nope: {err}"
    );
}

/// Runs the shipped example filter over labelled JSON lines (`id`, `title`,
/// `summary`, `label`) through `tidings filter`; returns precision, recall and
/// the ids it got wrong.
fn score_example_filter(items: &std::path::Path) -> (f64, f64, Vec<String>) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = root.join("config/tidings.toml");
    let out = tidings(&[
        "filter",
        "--output",
        "northeast-asia-diplomacy",
        "--config",
        config.to_str().unwrap(),
        "--jsonl",
        items.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let labels: std::collections::HashMap<String, i64> = std::fs::read_to_string(items)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .map(|v| {
            (
                v["id"].as_str().unwrap().to_string(),
                v["label"].as_i64().unwrap(),
            )
        })
        .collect();
    let (mut tp, mut fp, mut fn_) = (0, 0, 0);
    let mut lines = 0;
    let mut wrong = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        lines += 1;
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v["reasons"].is_array());
        let id = v["id"].as_str().unwrap();
        let counter = match (v["matched"].as_bool().unwrap(), labels[id]) {
            (true, 1) => &mut tp,
            (false, 1) => &mut fn_,
            (true, _) => &mut fp,
            _ => continue,
        };
        *counter += 1;
        if v["matched"].as_bool() != Some(true) || labels[id] != 1 {
            wrong.push(id.to_string());
        }
    }
    assert_eq!(lines, labels.len(), "one JSON line per item");
    let precision = tp as f64 / (tp + fp).max(1) as f64;
    let recall = tp as f64 / (tp + fn_).max(1) as f64;
    println!(
        "{}: precision {precision:.3}, recall {recall:.3} ({tp} tp, {fp} fp, {fn_} fn)",
        items.display()
    );
    (precision, recall, wrong)
}

#[test]
fn the_shipped_example_filter_meets_its_targets_on_filter_dev() {
    let items = shared_path("filter-dev/items.jsonl");
    let (precision, recall, wrong) = score_example_filter(&items);
    assert!(
        precision >= 0.95 && recall >= 0.90,
        "precision {precision:.3}, recall {recall:.3}; wrong: {wrong:?}"
    );
    // A held-out sample built the same way, when one is at hand:
    // TIDINGS_FILTER_HELDOUT=path/to/items.jsonl cargo test -j2 --test integration example_filter
    if let Some(path) = std::env::var_os("TIDINGS_FILTER_HELDOUT") {
        let (precision, recall, wrong) = score_example_filter(std::path::Path::new(&path));
        assert!(
            precision >= 0.95 && recall >= 0.90,
            "held-out: precision {precision:.3}, recall {recall:.3}; wrong: {wrong:?}"
        );
    }
}

/// Diplomacy that mentions a match, a film or the markets in passing stays in;
/// items about sport, film or markets that name two countries stay out. The
/// old rule (`not any(@entertainment_sport)`, business words anywhere) dropped
/// a summit held on the sidelines of the Asian Games. English, Korean,
/// Japanese and Chinese; h01-h12 were written after the rule was, as a check.
#[test]
fn the_example_filter_tells_a_passing_mention_from_the_topic() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let items = root.join("tests/fixtures/filter/passing-mentions.jsonl");
    let (_, _, wrong) = score_example_filter(&items);
    assert!(wrong.is_empty(), "misjudged: {wrong:?}");
}
