//! Property tests over the entry points that take what third parties control:
//! the feed parser (bytes from any server), the article extractor (any page) and
//! the filter compiler (a user's rule). Arbitrary input must give a result or a
//! clear error, never a panic. (The text functions have their own, in
//! `src/text/tests.rs`.) Time stays linear in the input: `cargo bench --bench
//! hostile` measures that on generated nesting and length.

use proptest::prelude::*;

fn base() -> url::Url {
    url::Url::parse("https://p.example/feed.xml").unwrap()
}

/// A feed document with random pieces spliced into its entries.
fn feedish() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just("<item>".to_string()),
        Just("</item>".to_string()),
        Just("<entry>".to_string()),
        Just("<title>".to_string()),
        Just("</title>".to_string()),
        Just("<description><![CDATA[<p>x</p>]]></description>".to_string()),
        Just("<content type=\"xhtml\"><div xmlns=\"http://www.w3.org/1999/xhtml\">".to_string()),
        Just("<content mode=\"base64\">PGI+".to_string()),
        Just("<author>a@b (N)</author>".to_string()),
        Just("<dc:subject>s</dc:subject>".to_string()),
        Just("<link>javascript:x</link>".to_string()),
        Just("&amp;".to_string()),
        Just("&nbsp;".to_string()),
        Just("&#x0;".to_string()),
        Just("<![CDATA[".to_string()),
        Just("]]>".to_string()),
        Just("xml:base=\"/a/\"".to_string()),
        Just("é한".to_string()),
        any::<char>().prop_map(|c| c.to_string()),
        "[a-z <>/=\"]{0,8}".prop_map(|s| s),
    ];
    let heads = prop_oneof![
        Just(
            "<rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel><title>T</title>"
        ),
        Just("<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>T</title>"),
        Just("<feed version=\"0.3\" xmlns=\"http://purl.org/atom/ns#\">"),
        Just(
            "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" xmlns=\"http://purl.org/rss/1.0/\">"
        ),
        Just("{\"version\": \"https://jsonfeed.org/version/1.1\", \"items\": ["),
    ];
    (heads, prop::collection::vec(piece, 0..30))
        .prop_map(|(head, pieces)| format!("{head}{}", pieces.concat()).into_bytes())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn the_feed_parser_never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = tidings::parse::feed(&bytes, &base(), None, 1 << 20, 100);
    }

    #[test]
    fn the_feed_parser_and_normalisation_never_panic_on_feedish_documents(doc in feedish()) {
        if let Ok(parsed) = tidings::parse::feed(&doc, &base(), None, 1 << 20, 100) {
            for item in tidings::normalize::entries(&parsed, &[]) {
                // Only web links are ever served.
                if let Some(link) = &item.link {
                    prop_assert!(link.starts_with("http://") || link.starts_with("https://"), "{link}");
                }
            }
        }
    }

    #[test]
    fn the_extractor_never_fails_internally(page in "(<(div|p|article|ruby|rt|script|table|td)>|</(div|p|article|ruby|rt|script|table|td)>|[a-z é한.]{0,12}|&amp;|<!--){0,60}") {
        let url = url::Url::parse("https://p.example/story").unwrap();
        let r = tidings::extract::article(&page, &url, &[]);
        // A caught panic comes back as Internal: that would be a bug.
        prop_assert!(!matches!(r, Err(tidings::extract::ExtractError::Internal)), "{r:?}");
    }

    #[test]
    fn the_filter_compiler_never_panics(rule in "[a-z@()*:\"/ ,0-9A-Z한]{0,40}") {
        let terms = tidings::filter::TermLists::new([("t".to_string(), vec!["x".to_string()])]);
        if let Ok(rules) = tidings::filter::compile(&rule, &terms) {
            let view = tidings::filter::ItemView {
                title: "x y",
                summary: "한국 z",
                content: "",
                author: "",
                categories: &[],
                link: "https://a.example/",
                feed_name: "f",
                feed_tags: &[],
                published: None,
            };
            let _ = rules.explain(&view, chrono::Utc::now());
        }
    }
}
