//! Tests of mistakes (offsets, messages, rendering), explanations, thread
//! safety, and fuzz loops making sure no input makes compile or evaluation
//! panic.

use super::tests::{err, item, lists, now, rule};
use super::*;

#[test]
fn error_positions_and_messages() {
    assert_eq!(
        err("seoul and (tokyo"),
        (
            16,
            0,
            "expected ')' or a term (to close the '(' at column 11)".into()
        )
    );
    let (o, _, m) = err("a \"unclosed");
    assert_eq!((o, m.starts_with("unclosed quote")), (2, true));
    let (o, l, m) = err("tilte:seoul");
    assert_eq!((o, l), (0, 5));
    assert!(m.starts_with("unknown field scope 'tilte:'"), "{m}");
    assert_eq!(
        err("any(@nope)"),
        (
            4,
            5,
            "unknown term list @nope (defined: diplomacy, ne_asia)".into()
        )
    );
    let (o, l, m) = err("a /kim(/");
    assert_eq!((o, l), (2, 6));
    assert!(
        m.starts_with("invalid regular expression: unclosed group"),
        "{m}"
    );
    let (o, _, m) = err("atleast(@ne_asia)");
    assert_eq!(
        (o, m.as_str()),
        (8, "atleast needs a number first, e.g. atleast(2, @places)")
    );
    let (o, _, m) = err("atleast(2 @ne_asia)");
    assert_eq!(
        (o, m.as_str()),
        (10, "expected ',' after the number in atleast()")
    );
    assert_eq!(
        err("seoul )"),
        (6, 1, "unexpected ')': there is no '(' to close".into())
    );
    assert_eq!(err("seoul or"), (8, 0, "expected a term after 'or'".into()));
    assert_eq!(err("seoul and or tokyo").0, 10);
    assert_eq!(err("not").0, 3);
    assert_eq!(err("").2, "empty rule: expected a term, e.g. any(@places)");
    assert_eq!(err("foo(a)").0, 0);
    let (o, _, m) = err("title:about(seoul)");
    assert_eq!(o, 6);
    assert!(
        m.starts_with("about() looks at the title and the text itself"),
        "{m}"
    );
    let (o, l, m) = err("about(seoul, title:tokyo)");
    assert_eq!((o, l), (19, 5));
    assert!(m.contains("remove this field scope"), "{m}");
    let (o, _, m) = err("about(seoul or tokyo)");
    assert_eq!(o, 6);
    assert!(m.starts_with("about() takes terms and @lists"), "{m}");
    assert_eq!(err("about()").2, "expected a term or @list");
    assert_eq!(
        err("newer(7x)"),
        (
            6,
            2,
            "expected an age like 30m, 12h, 7d or 2w in newer()".into()
        )
    );
    assert_eq!(err("after(yesterday)").0, 6);
    assert_eq!(err("title:newer(7d)").0, 0);
    assert_eq!(
        err("atleast(3, a, b)").2,
        "atleast(3, ...) can never match: it has only 2 distinct terms"
    );
    assert_eq!(err("any()").0, 4);
    assert_eq!(err("any(a,)").0, 6);
    assert_eq!(err("a, b").0, 1);
    assert_eq!(err("domain:bbc*").0, 7);
    assert_eq!(
        err("/x/i").2,
        "unknown regular expression flag 'i' (known: c, case-sensitive)"
    );
    assert_eq!(err("title:not seoul").0, 6);
    assert!(compile("before(2026-11-27T00:00:00Z) \"10:30\" 10:30", &lists()).is_ok());
    assert_eq!(err("http://example.com").0, 0);
    assert_eq!(err("title:").0, 6);
    assert_eq!(
        err(&"(".repeat(100)).2,
        "rule nested too deeply (more than 64 levels)"
    );
    let bad = TermLists::new([("x".to_string(), vec!["ok".to_string(), "/(/".to_string()])]);
    let e = compile("a or any(@x)", &bad)
        .err()
        .map(|e| (e.offset, e.expected));
    assert!(
        e.as_ref().is_some_and(|(o, m)| *o == 9
            && m.starts_with("term list @x, entry 2 (\"/(/\"): invalid regular expression")),
        "{e:?}"
    );
    let empty = TermLists::new([("x".to_string(), vec![])]);
    assert!(compile("@x", &empty).is_err());
}

#[test]
fn rendered_errors_show_a_caret() {
    let src = "any(@diplomacy) and title:(\"K-pop\" or";
    let e = compile(src, &lists()).err();
    assert_eq!(
        e.map(|e| e.render(src)),
        Some(format!(
            "{src}\n{}^ expected a term after 'or'",
            " ".repeat(src.len())
        ))
    );
}

#[test]
fn explanations_name_clauses_fields_and_context() {
    let r = rule("atleast(2, @ne_asia) and any(@diplomacy) and not title:(\"K-pop\" or stocks)");
    let it = item(
        "China, Japan foreign ministers meet in Busan ahead of trilateral summit",
        "Talks hosted by Seoul.",
    );
    let ex = r.explain(&it, now());
    assert!(ex.matched);
    let text = ex.reasons.join("\n");
    assert!(
        ex.reasons[0].starts_with("✓ atleast(2, @ne_asia) and any(@diplomacy)"),
        "{text}"
    );
    assert!(
        text.contains("✓ atleast(2, @ne_asia) — 2 found, 2 needed: Seoul (summary), Japan (title)"),
        "{text}"
    );
    assert!(
        text.contains("title: \"China, [Japan] foreign ministers meet in…\""),
        "{text}"
    );
    assert!(
        text.contains("✓ not title:(\"K-pop\" or stocks) — the negated clause does not hold"),
        "{text}"
    );
    assert!(
        text.contains("✗ title:(\"K-pop\" or stocks) — no alternative holds"),
        "{text}"
    );
    let ex = r.explain(&item("K-pop star in Seoul and Tokyo summit", ""), now());
    assert!(!ex.matched);
    assert!(
        ex.reasons
            .iter()
            .any(|l| l.contains("excluded: the negated clause holds")),
        "{:?}",
        ex.reasons
    );
    assert!(
        ex.reasons
            .iter()
            .any(|l| l.contains("title: \"[K-pop] star in Seoul and Tokyo summit\"")),
        "{:?}",
        ex.reasons
    );
}

#[test]
fn rules_are_send_sync_and_clone() {
    fn check<T: Send + Sync + Clone>() {}
    check::<Rules>();
    let r = rule("seoul");
    let handle = std::thread::spawn(move || r.matches(&item("Seoul", ""), now()));
    assert!(handle.join().unwrap_or(false));
}

/// Random rules built from the language's own pieces must never panic, only
/// compile or fail with an offset inside the rule.
#[test]
fn compile_never_panics_on_random_input() {
    let pieces = [
        "a",
        "Korea*",
        "\"ph rase\"",
        "\"",
        "(",
        ")",
        ",",
        "@ne_asia",
        "@",
        "@nope",
        "and",
        "or",
        "not",
        "title:",
        "domain:",
        "bogus:",
        ":",
        "any(",
        "all(",
        "atleast(",
        "2",
        "0",
        "newer(",
        "7d",
        "after(",
        "2024-01-01",
        "/",
        "/x+/",
        "/(/",
        "*",
        "한국",
        "中国*",
        "\\",
        "é",
        "\u{301}",
        " ",
        "\t\n",
        "ｶﾞ",
        "-",
        "'",
    ];
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    let it = item("Korea a ph rase", "中国 한국");
    for _ in 0..20_000 {
        let len = 1 + next(12);
        let mut src = String::new();
        for _ in 0..len {
            src.push_str(pieces[next(pieces.len())]);
            if next(2) == 0 {
                src.push(' ');
            }
        }
        match compile(&src, &lists()) {
            Ok(r) => {
                assert_eq!(
                    r.matches(&it, now()),
                    r.explain(&it, now()).matched,
                    "{src:?}"
                );
            }
            Err(e) => {
                assert!(e.offset <= src.len(), "{src:?}: {e:?}");
                let _ = e.render(&src);
            }
        }
    }
    // Random item text (combining marks, jamo, full-width, format characters)
    // through matches and explain, whose snippets slice the original text.
    let text_pieces = [
        "Korea",
        "한국",
        "\u{1112}\u{1161}",
        "\u{11AB}",
        "e\u{301}",
        "\u{301}",
        "ｶﾞ",
        "ＡＢ",
        " ",
        "\n\t",
        "\u{AD}",
        "summit",
        "İ",
        "'s",
        "-",
        "中国",
        "Seoul",
        "ﬁ",
    ];
    let rules: Vec<Rules> = [
        "atleast(2, @ne_asia) any(@diplomacy)",
        "\"korea sum\"* or /k.r/ or title:한",
        "not any(@ne_asia)",
    ]
    .iter()
    .filter_map(|r| compile(r, &lists()).ok())
    .collect();
    for _ in 0..5_000 {
        let mut t = String::new();
        for _ in 0..next(10) {
            t.push_str(text_pieces[next(text_pieces.len())]);
        }
        let it = item(&t, &t);
        for r in &rules {
            assert_eq!(
                r.matches(&it, now()),
                r.explain(&it, now()).matched,
                "{t:?}"
            );
        }
    }
    // Arbitrary bytes as UTF-8, too.
    for _ in 0..5_000 {
        let s: String = (0..next(20))
            .filter_map(|_| char::from_u32(next(0x3_0000) as u32))
            .collect();
        if let Err(e) = compile(&s, &lists()) {
            let _ = e.render(&s);
        }
    }
}
