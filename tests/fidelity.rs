//! What is kept (README "Fidelity"): one document per source format states the
//! same story with every field that format has; tidings ingests each, serves
//! it in all three formats, and a subscriber's parser (Python feedparser; JSON
//! Feed read as JSON) must see each field the table says is kept.

use serde_json::{Value, json};

use crate::support::*;

/// One source format and what it states about the story (`null` where the
/// format has no such field).
struct Source {
    file: &'static str,
    content_type: &'static str,
    expect: Value,
}

const LINK: &str = "https://news.example/2026/talks?id=7";
const TITLE: &str = "Seoul & Tokyo: talks resume";
const SUMMARY: &str = "Ministers met in Busan.";
const HTML_BODY: &str = "Full text of the story.";
const TEXT_BODY: &str = "Use <div> & more: a plain-text body.";
const PUBLISHED: &str = "2026-03-01T09:00:00Z";
const UPDATED: &str = "2026-03-02T10:30:00Z";

fn kim(email: bool) -> Value {
    json!({"name": "Kim Min-ji", "email": if email { json!("kim@newswire.com") } else { Value::Null }})
}

fn sato() -> Value {
    json!({"name": "Sato Yui", "email": null})
}

fn both_enclosures() -> Value {
    json!([
        "https://media.example/talks.mp3",
        "https://media.example/talks.jpg"
    ])
}

fn sources() -> Vec<Source> {
    let tags = json!(["Diplomacy", "Korea"]);
    vec![
        Source {
            file: "rss092.xml",
            content_type: "application/rss+xml",
            expect: json!({"content": null, "authors": [], "published": null, "updated": null,
                "tags": tags, "enclosures": ["https://media.example/talks.mp3"], "feed_author": null}),
        },
        Source {
            file: "rss10.xml",
            content_type: "application/rdf+xml",
            expect: json!({"content": HTML_BODY, "authors": [kim(false), sato()], "published": PUBLISHED,
                "updated": UPDATED, "tags": tags, "enclosures": [], "feed_author": null}),
        },
        Source {
            file: "rss20.xml",
            content_type: "application/rss+xml",
            expect: json!({"content": HTML_BODY, "authors": [kim(true), sato()], "published": PUBLISHED,
                "updated": UPDATED, "tags": tags, "enclosures": both_enclosures(), "feed_author": null}),
        },
        Source {
            file: "atom03.xml",
            content_type: "application/atom+xml",
            expect: json!({"content": HTML_BODY, "authors": [kim(true)], "published": PUBLISHED,
                "updated": UPDATED, "tags": [], "enclosures": both_enclosures(), "feed_author": "Desk"}),
        },
        Source {
            file: "atom10.xml",
            content_type: "application/atom+xml",
            expect: json!({"content": TEXT_BODY, "authors": [kim(true), sato()], "published": PUBLISHED,
                "updated": UPDATED, "tags": tags, "enclosures": both_enclosures(), "feed_author": "Desk"}),
        },
        Source {
            file: "json10.json",
            content_type: "application/feed+json",
            expect: json!({"content": HTML_BODY, "authors": [kim(true)], "published": PUBLISHED,
                "updated": UPDATED, "tags": tags, "enclosures": both_enclosures(), "feed_author": "Desk"}),
        },
        Source {
            file: "json11.json",
            content_type: "application/feed+json",
            expect: json!({"content": TEXT_BODY, "authors": [kim(true), sato()], "published": PUBLISHED,
                "updated": UPDATED, "tags": tags, "enclosures": both_enclosures(), "feed_author": "Desk"}),
        },
    ]
}

fn read_back(url: &str) -> Value {
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scripts/read_feed.py");
    let out = std::process::Command::new(python())
        .arg(&script)
        .arg(url)
        .output()
        .expect("python");
    assert!(
        out.status.success(),
        "{url}: {} — Python with feedparser is needed: run the README's test command (scripts/test.sh)",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test]
async fn every_source_format_keeps_its_fields_in_every_output_format() {
    let server = FeedServer::start().await;
    let mut config = String::from("[daemon]\ndatabase = \"t.db\"\n");
    for s in sources() {
        let mut r = Resource::feed(fixture(&format!("fidelity/{}", s.file)), None);
        r.content_type = s.content_type;
        server.set(s.file, r);
        let name = s.file.replace('.', "-");
        config.push_str(&format!(
            "[[feed]]\nurl = \"{}\"\nname = \"{name}\"\n[[output]]\nname = \"{name}\"\nfrom = {{ feeds = [\"{name}\"] }}\n",
            server.url(s.file)
        ));
    }
    let t = write_config(&config);
    let config = load(&t);
    let ctx = tidings::daemon::context(&config).await.unwrap();
    for r in tidings::daemon::once_with(&ctx, &config).await {
        assert!(
            matches!(r.result, tidings::model::RefreshResult::Stored(_)),
            "{}: {:?}",
            r.name,
            r.result
        );
    }
    let base = start_publish(&config, ctx.store.clone()).await;
    let mut problems = Vec::new();
    for s in sources() {
        let name = s.file.replace('.', "-");
        for ext in ["xml", "atom", "json"] {
            // On a blocking thread: the server answering it runs on this runtime.
            let url = format!("{base}/feeds/{name}.{ext}");
            let doc = tokio::task::spawn_blocking(move || read_back(&url))
                .await
                .unwrap();
            let at = format!("{} served as .{ext}", s.file);
            if doc["bozo"] != 0 {
                problems.push(format!("{at}: not well-formed: {}", doc["bozo_exception"]));
            }
            let entries = doc["entries"].as_array().cloned().unwrap_or_default();
            let Some(e) = entries.iter().find(|e| e["link"] == LINK) else {
                problems.push(format!("{at}: the story is missing: {doc}"));
                continue;
            };
            let mut check = |field: &str, got: &Value, want: &Value| {
                if got != want {
                    problems.push(format!("{at}: {field}: got {got}, want {want}"));
                }
            };
            check("title", &e["title"], &json!(TITLE));
            check("summary", &e["summary"], &json!(SUMMARY));
            if !s.expect["content"].is_null() {
                check("content", &e["content"], &s.expect["content"]);
            }
            // Names in order, and the first author's address. (feedparser
            // carries an Atom author's <email> over to the authors after it:
            // its author_detail is one dict per entry.)
            let names = |v: &Value| -> Vec<Value> {
                v.as_array()
                    .map(|a| a.iter().map(|p| p["name"].clone()).collect())
                    .unwrap_or_default()
            };
            check(
                "authors",
                &json!(names(&e["authors"])),
                &json!(names(&s.expect["authors"])),
            );
            check(
                "first author's e-mail",
                &e["authors"][0]["email"],
                &s.expect["authors"][0]["email"],
            );
            if !s.expect["published"].is_null() {
                check("published", &e["published"], &s.expect["published"]);
            }
            if !s.expect["updated"].is_null() {
                check("updated", &e["updated"], &s.expect["updated"]);
            }
            check("tags", &e["tags"], &s.expect["tags"]);
            let hrefs: Vec<Value> = e["enclosures"]
                .as_array()
                .unwrap_or(&Vec::new())
                .iter()
                .map(|x| x["href"].clone())
                .collect();
            check("enclosures", &json!(hrefs), &s.expect["enclosures"]);
            check("source", &e["source"], &json!(name));
            // An entry without authors of its own has the feed's (Atom, JSON Feed).
            if let Some(desk) = s.expect["feed_author"].as_str() {
                let note = entries.iter().find(|e| e["title"] == "Desk note");
                let name = note.and_then(|n| n["authors"][0]["name"].as_str());
                if name != Some(desk) {
                    problems.push(format!("{at}: feed-level author not inherited: {note:?}"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
