//! The feeds corpus through tidings' parse stage: no panic, no more items than a
//! document holds, and item counts matching the corpus's ground truth on at least
//! as many files as Python feedparser does (426 of 432 on the dev set).

use std::path::{Path, PathBuf};

use crate::support::shared_path;

#[allow(dead_code)]
#[path = "../benches/corpus.rs"]
mod corpus_bench;

/// ../shared/feeds-corpus, or a clear failure when it (or its manifest) is absent.
fn corpus_root() -> PathBuf {
    shared_path("feeds-corpus/MANIFEST.tsv")
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

#[test]
fn the_dev_corpus_parses_with_feedparser_level_item_counts() {
    let root = corpus_root();
    let base = url::Url::parse("http://example.com/feed.xml").unwrap();
    let cases = corpus_bench::load_cases(&root);
    let (mut known, mut matches, mut more, mut panics) = (0, 0, Vec::new(), Vec::new());
    let mut mismatches = Vec::new();
    for case in &cases {
        let bytes = std::fs::read(&case.path).unwrap();
        let parsed = std::panic::catch_unwind(|| {
            tidings::parse::feed(
                &bytes,
                &base,
                case.content_type.as_deref(),
                64 << 20,
                100_000,
            )
        });
        let count = match parsed {
            Ok(Ok(feed)) => feed.entries.len(),
            Ok(Err(_)) => 0,
            Err(_) => {
                panics.push(case.rel.clone());
                0
            }
        };
        let Some(expected) = case.expected else {
            continue;
        };
        known += 1;
        if count == expected {
            matches += 1;
        } else {
            mismatches.push(format!("{} expected {expected} got {count}", case.rel));
        }
        if count > expected {
            more.push(case.rel.clone());
        }
    }
    assert!(panics.is_empty(), "panics: {panics:?}");
    assert!(
        more.is_empty(),
        "more items than the document holds: {more:?}"
    );
    assert!(known >= 400, "only {known} files with a known count found");
    assert!(
        matches >= known - 6,
        "{matches} of {known} match (feedparser: 426 of 432); mismatches:\n{}",
        mismatches.join("\n")
    );
}

/// `text::serialized_text` (a byte scan of sanitised HTML, used at ingest)
/// gives the tokenizer's text on real pages and feed bodies, and takes most of
/// them (a scan that always gave up would pass the equality alone).
#[test]
fn sanitized_real_html_scans_to_the_tokenizers_text() {
    let mut pages = Vec::new();
    for dir in ["extraction-dev/html", "extraction-dev2/html"] {
        for entry in std::fs::read_dir(shared_path(dir)).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            pages.push(String::from_utf8_lossy(&bytes).into_owned());
        }
    }
    // Feed bodies: every entry's summary and content in the feeds corpus.
    let root = corpus_root();
    let base = url::Url::parse("http://example.com/feed.xml").unwrap();
    for case in corpus_bench::load_cases(&root) {
        let bytes = std::fs::read(&case.path).unwrap();
        let Ok(feed) = tidings::parse::feed(&bytes, &base, None, 64 << 20, 100_000) else {
            continue;
        };
        for e in feed.entries {
            for body in [e.summary, e.content].into_iter().flatten() {
                if body.kind == tidings::model::TextKind::Html {
                    pages.push(body.value);
                }
            }
        }
    }
    let (mut scanned, mut differ) = (0, Vec::new());
    for page in &pages {
        let html = tidings::text::sanitize(page, Some(&base));
        if let Some(text) = tidings::text::serialized_text(&html) {
            scanned += 1;
            if text != tidings::text::to_text(&html) {
                differ.push(html.chars().take(300).collect::<String>());
            }
        }
    }
    assert!(
        differ.is_empty(),
        "{} differ, first: {:?}",
        differ.len(),
        differ.first()
    );
    assert!(pages.len() > 1000, "only {} pages and bodies", pages.len());
    assert!(
        scanned * 10 >= pages.len() * 9,
        "the scan took {scanned} of {}",
        pages.len()
    );
}

/// `parse::recover::timestamp` (strict RFC 3339 / 2822 first, feed-rs's lenient
/// reading for the rest) gives feed-rs's own dates on every corpus document.
#[test]
fn dates_read_strictly_first_match_feed_rs_on_the_corpus() {
    let root = corpus_root();
    let dates = |f: &feed_rs::model::Feed| {
        let mut d = vec![f.updated, f.published];
        for e in &f.entries {
            d.extend([e.published, e.updated]);
        }
        d
    };
    let (mut compared, mut dated) = (0, 0);
    for case in corpus_bench::load_cases(&root) {
        let bytes = std::fs::read(&case.path).unwrap();
        let theirs = std::panic::catch_unwind(|| feed_rs::parser::parse(bytes.as_slice()));
        let ours = std::panic::catch_unwind(|| {
            feed_rs::parser::Builder::new()
                .timestamp_parser(tidings::parse::recover::timestamp)
                .build()
                .parse(bytes.as_slice())
        });
        let (Ok(Ok(theirs)), Ok(Ok(ours))) = (theirs, ours) else {
            continue;
        };
        let (a, b) = (dates(&theirs), dates(&ours));
        assert_eq!(a, b, "{}", case.rel);
        compared += 1;
        dated += a.iter().flatten().count();
    }
    assert!(
        compared >= 300 && dated >= 1000,
        "{compared} documents, {dated} dates"
    );
}
