//! The feeds corpus through tidings' parse stage: no panic, no more items than a
//! document holds, and item counts matching the corpus's ground truth on at least
//! as many files as Python feedparser does (426 of 432 on the dev set).

use std::path::Path;

#[allow(dead_code)]
#[path = "../benches/corpus.rs"]
mod corpus_bench;

#[test]
fn the_dev_corpus_parses_with_feedparser_level_item_counts() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/feeds-corpus");
    assert!(
        root.join("MANIFEST.tsv").exists(),
        "this test needs ../shared/feeds-corpus (the shared folder beside the repository)"
    );
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
