//! `tidings preview` against a real database: for rule, term-list, feed-list
//! and limit edits, what it predicts enters and leaves each output is exactly
//! what the daemon serves differently after reloading the edited config.

use std::collections::BTreeSet;

use crate::support::*;

struct Edit<'a> {
    rule: &'a str,
    diplomacy_terms: &'a str,
    diplomacy_from: &'a str,
    diplomacy_limit: usize,
    all_limit: usize,
    korea_feeds: &'a str,
}

const BASE: Edit = Edit {
    rule: "any(@places) and any(@diplomacy)",
    diplomacy_terms: r#""foreign minister*", "envoy*", "summit", "talks", "외교장관", "회담", "首脳会談", "会談", "外长", "会谈", "会见""#,
    diplomacy_from: "",
    diplomacy_limit: 50,
    all_limit: 100,
    korea_feeds: r#""Korea Wire""#,
};

fn config(server: &FeedServer, e: &Edit) -> String {
    format!(
        "[daemon]\ndatabase = \"t.db\"\n\
         [[feed]]\nurl = \"{}\"\nname = \"Korea Wire\"\ntags = [\"korea\"]\n\
         [[feed]]\nurl = \"{}\"\nname = \"Japan Desk\"\n\
         [[feed]]\nurl = \"{}\"\nname = \"Asia Wire\"\n\
         [[output]]\nname = \"diplomacy\"\nlimit = {}\n{}\nfilter = '''{}'''\n\
         [[output]]\nname = \"all\"\nlimit = {}\n\
         [[output]]\nname = \"korea\"\nfrom = {{ feeds = [{}] }}\n\
         [terms]\nplaces = [\"Korea*\", \"Seoul\", \"Busan\", \"Tokyo\", \"Beijing\", \"Japan*\", \"China\", \"한국\", \"서울\", \"베이징\", \"日本\", \"韓国\", \"中国\", \"北京\", \"首尔\"]\n\
         diplomacy = [{}]\n",
        server.url("korea.xml"),
        server.url("japan.atom"),
        server.url("wire.xml"),
        e.diplomacy_limit,
        e.diplomacy_from,
        e.rule,
        e.all_limit,
        e.korea_feeds,
        e.diplomacy_terms,
    )
}

type Changes = BTreeSet<(String, String, String)>;

/// What each output serves (by id), through the publish server.
async fn serving(config: &tidings::config::Config) -> Vec<(String, BTreeSet<String>)> {
    let ctx = tidings::daemon::context(config).await.unwrap();
    let base = start_publish(config, ctx.store.clone()).await;
    let mut out = Vec::new();
    for o in &config.outputs {
        let ids = served(&base, &o.name)
            .await
            .into_iter()
            .map(|i| i.0)
            .collect();
        out.push((o.name.clone(), ids));
    }
    out
}

/// Writes `edited`, previews it against `current`, reloads it (the daemon's
/// reload: register the outputs' feeds, re-evaluate changed filters) and
/// checks the prediction against what is served before and after.
async fn preview_then_reload(
    t: &TempConfig,
    current: &str,
    edited: &str,
) -> (Changes, Vec<serde_json::Value>) {
    let current_path = t.dir.path().join("current.toml");
    let (current, edited) = (t.text(current), t.text(edited));
    std::fs::write(&current_path, &current).unwrap();
    std::fs::write(&t.path, &current).unwrap();
    let before = serving(&load(t)).await;

    let edited_path = t.dir.path().join("edited.toml");
    std::fs::write(&edited_path, &edited).unwrap();
    let out = tidings_async(&[
        "preview",
        "--config",
        edited_path.to_str().unwrap(),
        "--current",
        current_path.to_str().unwrap(),
        "--json",
    ])
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let predicted: Changes = lines
        .iter()
        .map(|v| {
            (
                v["output"].as_str().unwrap().to_string(),
                v["id"].as_str().unwrap().to_string(),
                v["change"].as_str().unwrap().to_string(),
            )
        })
        .collect();

    // The reload.
    std::fs::write(&t.path, &edited).unwrap();
    let after = serving(&load(t)).await;
    let mut actual = Changes::new();
    for ((name, was), (_, now)) in before.iter().zip(&after) {
        for id in now.difference(was) {
            actual.insert((name.clone(), id.clone(), "enters".into()));
        }
        for id in was.difference(now) {
            actual.insert((name.clone(), id.clone(), "leaves".into()));
        }
    }
    assert_eq!(predicted, actual, "preview differs from the reload");
    (actual, lines)
}

fn count(changes: &Changes, output: &str, change: &str) -> usize {
    changes
        .iter()
        .filter(|c| c.0 == output && c.2 == change)
        .count()
}

#[tokio::test]
async fn preview_predicts_what_a_reload_serves_for_every_kind_of_edit() {
    let server = FeedServer::with_fixtures(&[
        ("korea.xml", "feeds/korea-rss2.xml"),
        ("japan.atom", "feeds/japan-atom.xml"),
        ("wire.xml", "feeds/wire-fulltext.xml"),
    ])
    .await;
    let base = config(&server, &BASE);
    let t = write_config(&base);
    let cfg = load(&t);
    let ctx = tidings::daemon::context(&cfg).await.unwrap();
    tidings::daemon::once_with(&ctx, &cfg).await;

    // A rule edit: one item enters, one leaves.
    let rule = Edit {
        rule: "any(@places) and (any(@diplomacy) or dialogue) and not title:Busan",
        ..BASE
    };
    let edited = config(&server, &rule);
    let (changes, lines) = preview_then_reload(&t, &base, &edited).await;
    assert_eq!(
        (
            count(&changes, "diplomacy", "enters"),
            count(&changes, "diplomacy", "leaves"),
            changes.len()
        ),
        (1, 1, 2),
        "{changes:?}"
    );
    let enters = lines.iter().find(|l| l["change"] == "enters").unwrap();
    assert_eq!(enters["title"], "Tokyo & Beijing resume dialogue");
    assert_eq!(enters["reasons"][0], "the filter now matches it");
    assert!(
        enters["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r.as_str().unwrap().contains("✓ dialogue — found in title")),
        "{enters}"
    );
    let leaves = lines.iter().find(|l| l["change"] == "leaves").unwrap();
    assert_eq!(leaves["reasons"][0], "the filter no longer matches it");
    assert!(leaves["link"].as_str().unwrap().starts_with("http://"));

    // A term-list edit: without 会談/首脳会談, the two Japanese summits leave.
    let terms = Edit {
        diplomacy_terms: r#""foreign minister*", "envoy*", "summit", "talks", "외교장관", "회담", "外长", "会谈", "会见""#,
        ..rule
    };
    let next = config(&server, &terms);
    let (changes, _) = preview_then_reload(&t, &edited, &next).await;
    assert_eq!(count(&changes, "diplomacy", "leaves"), 2, "{changes:?}");
    assert_eq!(changes.len(), 2, "{changes:?}");

    // A feed-list edit: diplomacy drops Asia Wire, korea gains it.
    let feeds = Edit {
        diplomacy_from: r#"from = { feeds = ["Korea Wire", "Japan Desk"] }"#,
        korea_feeds: r#""Korea Wire", "Asia Wire""#,
        ..terms
    };
    let (edited, current) = (config(&server, &feeds), next);
    let (changes, lines) = preview_then_reload(&t, &current, &edited).await;
    assert!(count(&changes, "diplomacy", "leaves") >= 1, "{changes:?}");
    assert_eq!(count(&changes, "korea", "enters"), 4, "{changes:?}");
    assert!(
        lines
            .iter()
            .filter(|l| l["output"] == "korea")
            .all(|l| l["reasons"][0] == "the output now draws on its feed (Asia Wire)"),
        "{lines:?}"
    );

    // Limit changes: all keeps its 4 newest, diplomacy grows nothing past 1.
    let limits = Edit {
        all_limit: 4,
        diplomacy_limit: 1,
        ..feeds
    };
    let next = config(&server, &limits);
    let (changes, lines) = preview_then_reload(&t, &edited, &next).await;
    assert_eq!(count(&changes, "all", "leaves"), 7, "{changes:?}");
    assert!(count(&changes, "diplomacy", "leaves") >= 1, "{changes:?}");
    assert!(
        lines
            .iter()
            .filter(|l| l["output"] == "all")
            .all(|l| l["reasons"][0] == "newer items fill the 4 served"),
        "{lines:?}"
    );
    // And back: the same items enter again.
    let (changes, _) = preview_then_reload(&t, &next, &edited).await;
    assert_eq!(count(&changes, "all", "enters"), 7, "{changes:?}");
}

#[test]
fn preview_prints_counts_and_reasons_and_refuses_an_invalid_config() {
    let t = write_config(
        "[daemon]\ndatabase = \"t.db\"\n[[feed]]\nurl = \"https://a.example/rss\"\n[[output]]\nname = \"o\"\nfilter = 'seoul'\n",
    );
    let path = t.path.to_str().unwrap();
    let out = tidings(&["preview", "--config", path, "--current", path]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "output o: 0 enter, 0 leave (0 served now, 0 after a reload)\n"
    );

    let bad = t.dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[[feed]]\nurl = \"https://a.example/rss\"\n[[output]]\nname = \"o\"\nfilter = 'seoul or'\n",
    )
    .unwrap();
    let out = tidings(&[
        "preview",
        "--config",
        bad.to_str().unwrap(),
        "--current",
        path,
    ]);
    let check = tidings(&["check", "--config", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&check.stderr),
        "the same messages as check"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected a term after 'or'"));
}
