use super::*;

fn html(s: &str) -> Body {
    Body {
        value: s.to_string(),
        kind: TextKind::Html,
    }
}

fn text(s: &str) -> Body {
    Body {
        value: s.to_string(),
        kind: TextKind::Text,
    }
}

// Regression: Atom `type="text"` and JSON Feed `content_text` were read as
// HTML, so `<tags>` and `&` in them vanished from every output and filter.
#[test]
fn plain_text_keeps_its_angle_brackets_and_ampersands() {
    let p = prepare(
        &text("Use <div> & <span> for layout\n\nSecond  paragraph"),
        None,
    );
    assert_eq!(p.text, "Use <div> & <span> for layout\n\nSecond paragraph");
    assert_eq!(
        p.html,
        "<p>Use &lt;div&gt; &amp; &lt;span&gt; for layout</p><p>Second paragraph</p>"
    );
    assert_eq!(to_text(&p.html), p.text);
    let one = prepare(&text("AT&T <b>"), None);
    assert_eq!(one.html, "AT&amp;T &lt;b&gt;");
}

#[test]
fn html_bodies_are_sanitised_and_their_text_derived() {
    let p = prepare(
        &html("<p>Hello <b>world</b><script>x()</script></p><p>Two</p>"),
        None,
    );
    assert_eq!(p.html, "<p>Hello <b>world</b></p><p>Two</p>");
    assert_eq!(p.text, "Hello world\n\nTwo");
}

// The shortcut for bodies without markup gives what the sanitiser gives.
#[test]
fn plain_html_bodies_take_the_short_way_to_the_same_result() {
    for s in [
        "Plain words only",
        "  a > b  ",
        "x\u{0}y",
        "multi\nline\n\npara",
    ] {
        let short = prepare(&html(s), None);
        let long = sanitize(s, None);
        assert_eq!(short.html, long, "{s:?}");
        assert_eq!(short.text, to_text(&long), "{s:?}");
    }
}

#[test]
fn inline_text_for_titles() {
    assert_eq!(inline("  AT&amp;T <b>wins</b>\n again "), "AT&T wins again");
    assert_eq!(inline_auto("Use <div> for layout"), "Use <div> for layout");
    assert_eq!(inline_auto("AT&amp;T <b>wins</b>"), "AT&T wins");
    assert_eq!(inline_auto("Tom & Jerry"), "Tom & Jerry");
    assert_eq!(inline_auto("a\u{0}b\u{c}c"), "abc");
}

#[test]
fn looks_like_html_as_feed_readers_decide() {
    assert!(looks_like_html("a <b>b</b>"));
    assert!(looks_like_html("AT&amp;T"));
    assert!(looks_like_html("&#8212;"));
    assert!(!looks_like_html("a <div> b"));
    assert!(!looks_like_html("Q&A & more"));
    assert!(!looks_like_html("x </"));
}

#[test]
fn control_characters() {
    assert_eq!(strip_control("a\u{0}b\u{7f}c\u{1}d"), "abcd");
    // C1 controls are Windows-1252 bytes read as Latin-1.
    assert_eq!(strip_control("it\u{92}s \u{93}q\u{94} \u{81}"), "it’s “q” ");
    assert!(matches!(strip_control("clean"), Cow::Borrowed(_)));
    // The chunked pre-check: controls at and across 32-byte chunk edges, and
    // clean text full of tabs, line breaks, NBSP (C2 A0) and "￼" (EF BF BC).
    for at in [0, 30, 31, 32, 33, 63, 64] {
        for bad in ["\u{1}", "\u{7f}", "\u{85}", "\u{fffe}", "\u{ffff}"] {
            let s = format!("{}{bad}{}", "a".repeat(at), "b".repeat(40));
            assert_eq!(
                strip_control(&s).len(),
                at + 40 + usize::from(bad == "\u{85}") * 3,
                "{bad:?} at {at}"
            );
        }
    }
    let clean = "tab\there\r\nline\u{a0}nbsp \u{fffc} ".repeat(20);
    assert!(matches!(strip_control(&clean), Cow::Borrowed(_)));
}

#[test]
fn entities_from_the_full_table() {
    assert_eq!(named_entity("amp"), Some(('&', None)));
    assert_eq!(named_entity("eacute"), Some(('é', None)));
    assert_eq!(named_entity("hearts"), Some(('♥', None)));
    assert_eq!(
        named_entity("NotEqualTilde"),
        Some(('\u{2242}', Some('\u{338}')))
    );
    for (name, c) in [
        ("lt", '<'),
        ("gt", '>'),
        ("quot", '"'),
        ("apos", '\''),
        ("LT", '<'),
    ] {
        assert_eq!(named_entity(name), Some((c, None)), "{name}");
    }
    assert_eq!(named_entity("bogus"), None);
    assert_eq!(named_entity(""), None);
    assert_eq!(named_entity(&"a".repeat(40)), None);
    assert_eq!(named_entity(&"é".repeat(30)), None);
}

// Regression: javascript:, data: and vbscript: item links were republished as-is.
#[test]
fn only_web_links_are_served() {
    let base = url::Url::parse("https://news.example/feed.xml").unwrap();
    for bad in [
        "javascript:alert(1)",
        " JaVaScRiPt:alert(1)",
        "data:text/html,<script>x</script>",
        "vbscript:msgbox",
        "file:///etc/passwd",
        "http://",
        "",
    ] {
        assert_eq!(safe_link(bad, Some(&base), &[]), None, "{bad}");
    }
    assert_eq!(
        safe_link("/a?b=1", Some(&base), &[]).as_deref(),
        Some("https://news.example/a?b=1")
    );
    assert_eq!(
        safe_link("http://item.TEST/", None, &[]).as_deref(),
        Some("http://item.TEST/")
    );
    assert_eq!(
        safe_link("https://x.example/a b", None, &[]).as_deref(),
        Some("https://x.example/a%20b")
    );
    let allowed = ["gemini".to_string()];
    assert_eq!(
        safe_link("gemini://x.example/", None, &allowed).as_deref(),
        Some("gemini://x.example/")
    );
    assert_eq!(safe_link("gemini://x.example/", None, &[]), None);
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Strings built from the pieces that break hand-written HTML scanners:
    /// unclosed tags, entities, multi-byte characters at every position.
    fn htmlish() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("<".to_string()),
            Just(">".to_string()),
            Just("&".to_string()),
            Just(";".to_string()),
            Just("<a ".to_string()),
            Just("</".to_string()),
            Just("<div>".to_string()),
            Just("</div>".to_string()),
            Just("<ruby>".to_string()),
            Just("<rt>".to_string()),
            Just("<script>".to_string()),
            Just("<!--".to_string()),
            Just("&amp;".to_string()),
            Just("&#x".to_string()),
            Just("é".to_string()),
            Just("한".to_string()),
            Just("日本".to_string()),
            Just("\u{0}".to_string()),
            Just("\u{85}".to_string()),
            Just(" ".to_string()),
            Just("\n".to_string()),
            "[a-z]{1,3}".prop_map(|s| s),
            any::<char>().prop_map(|c| c.to_string()),
        ];
        prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
    }

    /// Well-formed and broken markup of the kinds feeds carry: blocks, inline
    /// elements with attributes, tables, preformatted text, ruby, SVG, skipped
    /// elements, references.
    fn tagged() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            "(p|div|h2|ul|li|b|em|a|span|table|tr|td|th|pre|ruby|rt|rp|blockquote|figure|figcaption|caption|svg|title|math|mi|code|sup|script|style|button|q|s|u|dl|dt|dd)"
                .prop_map(|t| format!("<{t}>")),
            "(p|div|h2|ul|li|b|em|a|span|table|tr|td|th|pre|ruby|rt|rp|blockquote|figure|svg|title|math|code|script|style)"
                .prop_map(|t| format!("</{t}>")),
            Just(r#"<a href="/rel?a=1&amp;b=2" title='t "q"'>"#.to_string()),
            Just(r#"<img src="https://i.example/p.jpg" alt="a<b>" width=640>"#.to_string()),
            Just(r#"<img src="https://t.example/pixel.gif" width="1" height="1">"#.to_string()),
            Just("<br>".to_string()),
            Just("<br/>".to_string()),
            Just("<hr>".to_string()),
            Just("<!-- c -->".to_string()),
            Just("&amp;".to_string()),
            Just("&lt;".to_string()),
            Just("&nbsp;".to_string()),
            Just("&quot;".to_string()),
            Just("&#8212;".to_string()),
            Just("&hellip;".to_string()),
            Just(" & ".to_string()),
            Just(" < ".to_string()),
            Just(">".to_string()),
            Just("\u{a0}".to_string()),
            Just("\u{200b}".to_string()),
            Just("\r\n".to_string()),
            Just("\n\n".to_string()),
            Just("  ".to_string()),
            Just("\t".to_string()),
            Just("é".to_string()),
            Just("日本".to_string()),
            "[a-zA-Z]{1,8}".prop_map(|s| s),
            any::<char>().prop_map(|c| c.to_string()),
        ];
        prop::collection::vec(piece, 0..60).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        #[test]
        fn text_functions_never_panic(s in htmlish()) {
            let _ = to_text(&s);
            let _ = serialized_text(&s);
            let _ = inline(&s);
            let _ = inline_auto(&s);
            let _ = bounded(&s, 3);
            let _ = looks_like_html(&s);
            let _ = strip_control(&s);
            let _ = safe_link(&s, None, &[]);
            for kind in [TextKind::Html, TextKind::Text] {
                let p = prepare(&Body { value: s.clone(), kind }, None);
                // What is served carries no character XML forbids.
                prop_assert!(!p.html.chars().any(|c| c < ' ' && !matches!(c, '\t' | '\n' | '\r')));
                prop_assert!(!p.html.contains("<script"));
            }
        }

        #[test]
        fn arbitrary_strings_never_panic(s in any::<String>()) {
            let _ = to_text(&s);
            let _ = serialized_text(&s);
            let _ = sanitize(&s, None);
            let _ = bounded(&s, 2);
            let _ = plain_paragraphs(&s);
            let _ = escape_html(&s);
        }

        // Sanitised HTML scans to the tokenizer's text, whenever the scan
        // takes it.
        #[test]
        fn sanitized_html_scans_like_the_tokenizer(s in tagged()) {
            let base = url::Url::parse("https://news.example/a/").unwrap();
            let html = sanitize(&s, Some(&base));
            if let Some(text) = serialized_text(&html) {
                prop_assert_eq!(text, to_text(&html), "{}", html);
            }
        }

        // Plain text survives the round trip HTML → text unchanged.
        #[test]
        fn plain_text_round_trips(s in "[a-zA-Z<>&\"' ]{0,60}") {
            let p = prepare(&Body::text(s.clone()), None);
            prop_assert_eq!(&to_text(&p.html), &squash(&s));
            prop_assert_eq!(p.text, squash(&s));
        }
    }
}
