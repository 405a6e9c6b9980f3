//! Work on untrusted input must be linear in its size (issue 13): this measures
//! it on generated inputs that used to cost quadratic time, at doubling sizes,
//! and prints each time and the ratio to the previous size (≈2 is linear, ≈4
//! quadratic).
//!
//! - nested `<div>`s as an article page (`extract::article`; was 53 s at 100,000),
//!   and inside a script template that the extractor expands;
//! - the same nesting, escaped, as a feed item's description, through parse +
//!   normalize (sanitised and converted to text once, at ingest) and a render of
//!   an output holding it (was 80–100 s per render);
//! - `text::to_text` and `text::sanitize` on the nesting and on long flat text;
//! - unclosed tags and entities repeated (`<a é` per character);
//! - lists nested in list items (`<ul><li>` × n), which must count as nesting;
//! - article pages of many link blocks beside a long paragraph, of a
//!   paragraph of many empty date `<span>`s, of many two-letter paragraphs
//!   (the extractor's link stripping, date pruning and block revision).
//!
//! Run: `cargo bench --bench hostile` (release build, one thread).

use std::time::Instant;

use chrono::Utc;
use tidings::model::{Body, StoredItem};
use tidings::publish::{ChannelInfo, Format, render};

fn nested(n: usize) -> String {
    format!("{}deep text{}", "<div>".repeat(n), "</div>".repeat(n))
}

fn escaped(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn feed_with(description: &str) -> Vec<u8> {
    format!(
        "<rss version=\"2.0\"><channel><title>T</title><item><guid>g</guid><title>t</title>\
         <link>https://h.example/a</link><description>{}</description></item></channel></rss>",
        escaped(description)
    )
    .into_bytes()
}

/// Seconds for `f` (best of three runs, so a noisy machine inflates less).
fn time(mut f: impl FnMut()) -> f64 {
    (0..3)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn row(name: &str, sizes: &[usize], mut run: impl FnMut(usize) -> f64) {
    let mut prev: Option<f64> = None;
    let mut cells = Vec::new();
    for &n in sizes {
        let t = run(n);
        let ratio = prev.map_or(String::new(), |p| format!(" (×{:.1})", t / p.max(1e-9)));
        cells.push(format!("{n}: {:.1} ms{ratio}", t * 1000.0));
        prev = Some(t);
    }
    println!("{name:<44} {}", cells.join("  "));
}

fn main() {
    let sizes = [12_500, 25_000, 50_000, 100_000];
    let base = url::Url::parse("https://h.example/feed.xml").unwrap();
    println!("time at each size (best of 3) and its ratio to the previous size; ≈2 is linear");

    row("extract::article, nested <div>s", &sizes, |n| {
        let page = format!("<html><body>{}</body></html>", nested(n));
        time(|| {
            let _ = tidings::extract::article(&page, &base, &[]);
        })
    });
    row(
        "extract::article, nested <div>s in a script template",
        &sizes,
        |n| {
            // An empty page whose "post" is a markup template: the extractor
            // expands templates when a page shows nothing, a second parse.
            let page = format!(
                "<html><body><div class=\"post\"></div><script type=\"text/template\">{}<p>{}</p></script></body></html>",
                nested(n),
                "words of a post ".repeat(20)
            );
            time(|| {
                let _ = tidings::extract::article(&page, &base, &[]);
            })
        },
    );
    row(
        "extract::article, a long <p>, n/4 link blocks",
        &sizes,
        |n| {
            // (Elements number n/2 at most in these rows: pages of more
            // than extract::MAX_ELEMENTS are refused before any of this.)
            // A standfirst of one long paragraph followed by link blocks
            // (kickers) in the element before the body: the region analysis
            // adds it and strips each link block from it.
            let lead = "The council wants buses to run every half hour after midnight on the busiest routes and it has asked residents which lines should come first before the vote. ";
            let body = [
                "The proposal, published on Tuesday, would add six night lines linking the centre with the outer districts, where many shift workers live and where the last trains leave early.",
                "Officials said the network would cost about four million a year to run, and that the money would come from the parking charges that were raised last autumn after a long debate.",
                "Residents have until the end of April to comment on the routes, and the council will hold two public meetings in the town hall, one of them on a Saturday morning.",
            ]
            .map(|p| format!("<p>{p}</p>"))
            .concat();
            let page = format!(
                "<html><body><article><header><p>{}</p>{}</header><div class=\"body\">{}</div></article></body></html>",
                lead.repeat(n / 40),
                "<a href=\"/c\">City</a><div></div>".repeat(n / 4),
                body.repeat(n / 100),
            );
            time(|| {
                let _ = tidings::extract::article(&page, &base, &[]);
            })
        },
    );
    row(
        "extract::article, a <p> of n/2 empty date <span>s",
        &sizes,
        |n| {
            let page = format!(
                "<html><body><article><p>A short line.{}</p></article></body></html>",
                "<span class=\"date\"></span>".repeat(n / 2)
            );
            time(|| {
                let _ = tidings::extract::article(&page, &base, &[]);
            })
        },
    );
    row("extract::article, n/2 × <p>ab</p>", &sizes, |n| {
        let page = format!("<html><body>{}</body></html>", "<p>ab</p>".repeat(n / 2));
        time(|| {
            let _ = tidings::extract::article(&page, &base, &[]);
        })
    });
    row(
        "parse + normalize, escaped nesting in an item",
        &sizes,
        |n| {
            let doc = feed_with(&nested(n));
            time(|| {
                let parsed = tidings::parse::feed(&doc, &base, None, 64 << 20, 100).unwrap();
                let items = tidings::normalize::entries(&parsed, &[]);
                assert_eq!(items.len(), 1);
            })
        },
    );
    row("render of an output holding that item", &sizes, |n| {
        let doc = feed_with(&nested(n));
        let parsed = tidings::parse::feed(&doc, &base, None, 64 << 20, 100).unwrap();
        let item = tidings::normalize::entries(&parsed, &[]).remove(0);
        let now = Utc::now();
        let stored = StoredItem {
            uid: "u".into(),
            feed_name: "f".into(),
            feed_url: base.to_string(),
            link: item.link.clone(),
            canonical_link: None,
            title: item.title.clone(),
            summary: item.summary.clone(),
            content: item.content.clone(),
            authors: vec![],
            author: None,
            categories: vec![],
            enclosures: vec![],
            first_seen: now,
            date: now,
            updated: None,
            modified: now,
            story: None,
            also: Vec::new(),
        };
        let channel = ChannelInfo {
            name: "o",
            title: "o",
            description: "",
            self_url: "http://127.0.0.1/feeds/o.xml",
            site_url: "http://127.0.0.1/",
        };
        time(|| {
            for f in [Format::Rss, Format::Atom, Format::Json] {
                let _ = render(f, &channel, std::slice::from_ref(&stored));
            }
        })
    });
    row("text::sanitize, nested <div>s", &sizes, |n| {
        let html = nested(n);
        time(|| {
            let _ = tidings::text::sanitize(&html, Some(&base));
        })
    });
    row(
        "text::sanitize, nested lists (<ul><li> × n)",
        &sizes,
        |n| {
            let html = "<ul><li>x".repeat(n);
            time(|| {
                let _ = tidings::text::sanitize(&html, Some(&base));
            })
        },
    );
    row(
        "extract::article, nested lists (<ul><li> × n)",
        &sizes,
        |n| {
            let page = format!("<html><body>{}</body></html>", "<ul><li>x".repeat(n));
            time(|| {
                let _ = tidings::extract::article(&page, &base, &[]);
            })
        },
    );
    row("text::to_text, nested <div>s", &sizes, |n| {
        let html = nested(n);
        time(|| {
            let _ = tidings::text::to_text(&html);
        })
    });
    row("text::prepare, flat text (n × 20 bytes)", &sizes, |n| {
        let body = Body::html("Words and <b>more</b> ".repeat(n));
        time(|| {
            let _ = tidings::text::prepare(&body, Some(&base));
        })
    });
    row(
        "text::prepare, unclosed tags (`x <a é` × n)",
        &sizes,
        |n| {
            let body = Body::html("x <a é".repeat(n));
            time(|| {
                let _ = tidings::text::prepare(&body, Some(&base));
            })
        },
    );
    row(
        "text::prepare, unclosed <b>s with attributes",
        &sizes,
        |n| {
            let body = Body::html(
                (0..n)
                    .map(|i| format!("<b id=\"{i}\">x"))
                    .collect::<String>(),
            );
            time(|| {
                let _ = tidings::text::prepare(&body, Some(&base));
            })
        },
    );
}
