//! One test per repair class, plus limits and hostile inputs.

use std::time::{Duration, Instant};

use super::*;

fn base() -> url::Url {
    url::Url::parse("http://example.com/feed.xml").unwrap()
}

fn ok(bytes: &[u8]) -> (Feed, Vec<&'static str>) {
    ok_ct(bytes, None)
}

fn ok_ct(bytes: &[u8], ct: Option<&str>) -> (Feed, Vec<&'static str>) {
    match parse(bytes, &base(), ct, &Limits::default()) {
        Ok(r) => (r.feed, r.repairs),
        Err(e) => panic!("expected a feed, got {e:?}"),
    }
}

fn titles(feed: &Feed) -> Vec<String> {
    feed.entries
        .iter()
        .map(|e| {
            e.title
                .as_ref()
                .map_or(String::new(), |t| t.content.clone())
        })
        .collect()
}

fn rss(items: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>T</title>\
         <link>http://example.com/</link><description>d</description>{items}</channel></rss>"
    )
}

#[test]
fn clean_feed_takes_the_fast_path() {
    let (feed, repairs) =
        ok(rss("<item><title>a &amp; b</title><link>http://x/1</link></item>").as_bytes());
    assert_eq!(titles(&feed), ["a & b"]);
    assert!(repairs.is_empty(), "{repairs:?}");
    assert_eq!(feed.entries[0].id, "", "ids are not invented");
}

#[test]
fn bare_ampersand_is_escaped() {
    let (feed, repairs) =
        ok(rss("<item><title>Tom & Jerry</title><link>http://x/?a=1&b=2</link></item>").as_bytes());
    assert_eq!(titles(&feed), ["Tom & Jerry"]);
    assert_eq!(feed.entries[0].links[0].href, "http://x/?a=1&b=2");
    assert!(repairs.contains(&"escaped a bare &"));
}

#[test]
fn html_entities_become_characters() {
    let (feed, repairs) =
        ok(rss("<item><title>a&nbsp;b&mdash;c&hellip;&bogus;</title></item>").as_bytes());
    assert_eq!(titles(&feed), ["a\u{a0}b\u{2014}c\u{2026}&bogus;"]);
    assert!(repairs.contains(&"mapped HTML entities to character references"));
}

#[test]
fn cp1252_bytes_in_utf8_are_decoded_per_run() {
    let mut doc = rss("<item><title>\u{e9}t\u{e9} X</title></item>").into_bytes();
    // Replace "X" by cp1252 curly quotes around "q": 0x93 q 0x94 (invalid UTF-8).
    let x = doc.iter().position(|&b| b == b'X').unwrap();
    doc.splice(x..x + 1, [0x93, b'q', 0x94]);
    let (feed, repairs) = ok(&doc);
    assert_eq!(titles(&feed), ["\u{e9}t\u{e9} \u{201c}q\u{201d}"]);
    assert!(repairs.contains(&"decoded cp1252 bytes in UTF-8 text"));
}

fn utf16(s: &str, be: bool, bom: bool) -> Vec<u8> {
    let mut out = Vec::new();
    if bom {
        out.extend(if be { [0xFE, 0xFF] } else { [0xFF, 0xFE] });
    }
    for u in s.encode_utf16() {
        out.extend(if be { u.to_be_bytes() } else { u.to_le_bytes() });
    }
    out
}

#[test]
fn utf16be_with_bom_does_not_panic_and_decodes() {
    let doc =
        rss("<item><title>\u{c11c}\u{c6b8} caf\u{e9}</title></item>").replace("UTF-8", "UTF-16");
    let (feed, repairs) = ok(&utf16(&doc, true, true));
    assert_eq!(titles(&feed), ["\u{c11c}\u{c6b8} caf\u{e9}"]);
    assert!(repairs.contains(&"decoded UTF-16 to UTF-8"));
    // Without BOM, little endian: found from the byte pattern of "<?xml".
    let (feed, _) = ok(&utf16(&doc, false, false));
    assert_eq!(feed.entries.len(), 1);
}

#[test]
fn utf32_and_legacy_encodings() {
    let doc = rss("<item><title>caf\u{e9}</title></item>");
    let mut wide = vec![0, 0, 0xFE, 0xFF];
    for c in doc.chars() {
        wide.extend((c as u32).to_be_bytes());
    }
    assert_eq!(titles(&ok(&wide).0), ["caf\u{e9}"]);
    let korean = rss("<item><title>\u{c11c}\u{c6b8}</title></item>").replace("UTF-8", "EUC-KR");
    let (bytes, _, _) = encoding_rs::EUC_KR.encode(&korean);
    assert_eq!(titles(&ok(&bytes).0), ["\u{c11c}\u{c6b8}"]);
}

#[test]
fn http_charset_wins_over_the_declaration() {
    let mut doc = rss("<item><title>caf_</title></item>").into_bytes();
    let at = doc.iter().position(|&b| b == b'_').unwrap();
    doc[at] = 0xE9; // latin-1 e-acute, declared UTF-8 but served as windows-1252
    let (feed, repairs) = ok_ct(&doc, Some("text/xml; charset=windows-1252"));
    assert_eq!(titles(&feed), ["caf\u{e9}"]);
    assert!(repairs.contains(&"used the HTTP charset"));
}

#[test]
fn truncated_document_is_closed() {
    let doc = rss("<item><title>one</title></item><item><title>two</title></item><item><title>thr");
    let cut = doc.find("thr").unwrap() + 3;
    let (feed, repairs) = ok(&doc.as_bytes()[..cut]);
    assert_eq!(titles(&feed), ["one", "two", "thr"]);
    assert!(repairs.contains(&"closed a truncated document"));
    // Cut inside a tag: the partial tag is dropped.
    let cut = doc.find("<title>two").unwrap() + 4;
    assert_eq!(titles(&ok(&doc.as_bytes()[..cut]).0), ["one", ""]);
}

#[test]
fn illegal_characters_are_dropped() {
    let (feed, repairs) =
        ok(rss("<item><title>nul\0byte form\x0cfeed &#12;x</title></item>").as_bytes());
    assert_eq!(titles(&feed), ["nulbyte formfeed x"]);
    assert!(repairs.contains(&"dropped characters illegal in XML"));
}

#[test]
fn atom_03_is_read_as_atom_10() {
    let doc = r#"<?xml version="1.0"?>
<feed version="0.3" xmlns="http://purl.org/atom/ns#">
  <title mode="escaped" type="text/html">Feed &lt;b&gt;x&lt;/b&gt;</title>
  <tagline>tag</tagline>
  <entry>
    <title>E1</title>
    <link rel="alternate" type="text/html" href="http://example.org/1"/>
    <issued>2004-01-01T10:00:00Z</issued>
    <modified>2004-01-02T10:00:00Z</modified>
    <content type="application/xhtml+xml"><div xmlns="http://www.w3.org/1999/xhtml">hi</div></content>
  </entry>
</feed>"#;
    let (feed, repairs) = ok(doc.as_bytes());
    assert_eq!(titles(&feed), ["E1"]);
    let e = &feed.entries[0];
    assert_eq!(
        e.published.unwrap().to_rfc3339(),
        "2004-01-01T10:00:00+00:00"
    );
    assert_eq!(e.updated.unwrap().to_rfc3339(), "2004-01-02T10:00:00+00:00");
    assert_eq!(e.links[0].href, "http://example.org/1");
    assert!(
        e.content
            .as_ref()
            .unwrap()
            .body
            .as_deref()
            .unwrap()
            .contains("hi")
    );
    assert_eq!(feed.description.unwrap().content, "tag");
    assert!(repairs.contains(&"mapped Atom 0.3 to Atom 1.0"));
}

#[test]
fn rss_without_or_with_odd_version_is_rss_20() {
    for root in [
        "<rss>",
        "<rss version=\"0.94\">",
        "<rss version=\"2.1\">",
        "<rss version=\"0.93\">",
    ] {
        let doc =
            format!("{root}<channel><title>t</title><item><title>i</title></item></channel></rss");
        let (feed, repairs) = ok(doc.as_bytes());
        assert_eq!(titles(&feed), ["i"], "{root}");
        assert!(repairs.contains(&"read <rss> of missing or unusual version as RSS 2.0"));
    }
    // Items directly under <rss>, no <channel>.
    assert_eq!(
        ok(b"<rss><item><title>i</title></item></rss>")
            .0
            .entries
            .len(),
        1
    );
}

#[test]
fn rss_090_and_11_are_read_as_rss_10() {
    let rss090 = r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://my.netscape.com/rdf/simple/0.9/">
<channel><title>c</title><link>http://x/</link></channel>
<item><title>a</title><link>http://x/a</link></item><item><title>b</title></item></rdf:RDF>"#;
    let (feed, repairs) = ok(rss090.as_bytes());
    assert_eq!(titles(&feed), ["a", "b"]);
    assert!(repairs.contains(&"mapped the RSS 0.90 namespace to RSS 1.0"));
    let rss11 = r#"<Channel xmlns="http://purl.org/net/rss1.1#" xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" rdf:about="http://x/">
<title>c</title><link>http://x/</link><description>d</description>
<items rdf:parseType="Collection"><item rdf:about="http://x/1"><title>one</title><link>http://x/1</link></item>
<item rdf:about="http://x/2"><title>two</title></item></items></Channel>"#;
    let (feed, repairs) = ok(rss11.as_bytes());
    assert_eq!(titles(&feed), ["one", "two"]);
    assert_eq!(
        feed.entries[1].links[0].href, "http://x/2",
        "link from rdf:about"
    );
    assert_eq!(feed.title.unwrap().content, "c");
    assert!(repairs.contains(&"mapped RSS 1.1 to RSS 1.0"));
}

#[test]
fn unusual_content_type_does_not_lose_the_feed() {
    let doc = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>f</title>
<entry><title type="application/x-custom">odd</title><summary type="application/octet-stream">PHA+</summary></entry>
<entry><title>fine</title><content type="text/plain" src="http://x/c">not empty</content></entry></feed>"#;
    let (feed, repairs) = ok(doc.as_bytes());
    assert_eq!(titles(&feed), ["odd", "fine"]);
    assert!(repairs.contains(&"replaced a content type feed-rs rejects"));
    assert!(repairs.contains(&"dropped an element feed-rs rejects"));
}

#[test]
fn leading_junk_and_doctype_are_removed() {
    let doc = format!(
        "\n\n  garbage<br/>\n{}",
        rss("<item><title>x</title></item>")
    );
    assert_eq!(titles(&ok(doc.as_bytes()).0), ["x"]);
    let doc = r#"<?xml version="1.0"?><!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd"><rss version="0.91"><channel><title>n</title><item><title>a&eacute;</title><link>http://x/</link></item></channel></rss>"#;
    assert_eq!(titles(&ok(doc.as_bytes()).0), ["a\u{e9}"]);
}

#[test]
fn internal_entities_expand_and_external_ones_are_never_fetched() {
    let doc = r#"<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY who "World"><!ENTITY xxe SYSTEM "file:///etc/hostname">]>
<rss version="2.0"><channel><title>t</title><item><title>Hello &who;[&xxe;]</title></item></channel></rss>"#;
    let (feed, repairs) = ok(doc.as_bytes());
    assert_eq!(titles(&feed), ["Hello World[]"]);
    assert!(repairs.contains(&"dropped an external entity reference"));
}

#[test]
fn billion_laughs_is_refused_quickly() {
    let mut doc = String::from("<?xml version=\"1.0\"?><!DOCTYPE rss [<!ENTITY lol0 \"lol\">");
    for i in 1..10 {
        doc.push_str(&format!(
            "<!ENTITY lol{i} \"{}\">",
            format!("&lol{};", i - 1).repeat(10)
        ));
    }
    doc.push_str("]><rss version=\"2.0\"><channel><title>&lol9;</title><item><title>b</title></item></channel></rss>");
    let t = Instant::now();
    let r = parse(doc.as_bytes(), &base(), None, &Limits::default());
    assert!(matches!(r, Err(RecoverError::Parser(_))), "{r:?}");
    assert!(t.elapsed() < Duration::from_secs(1));
    // Wide but shallow (empty entities referenced a million times) is bounded too.
    let mut doc = String::from("<!DOCTYPE rss [<!ENTITY e \"\"><!ENTITY f \"");
    doc.push_str(&"&e;".repeat(1000));
    doc.push_str("\">]><rss version=\"2.0\"><channel><title>");
    doc.push_str(&"&f;".repeat(2000));
    doc.push_str("</title></channel></rss>");
    let t = Instant::now();
    let _ = parse(doc.as_bytes(), &base(), None, &Limits::default());
    assert!(t.elapsed() < Duration::from_secs(1));
}

#[test]
fn deep_nesting_is_refused_without_overflow() {
    let depth = 100_000;
    let doc = format!(
        "<rss version=\"2.0\"><channel><item>{}{}</item></channel></rss>",
        "<x>".repeat(depth),
        "</x>".repeat(depth)
    );
    let t = Instant::now();
    assert_eq!(
        parse(doc.as_bytes(), &base(), None, &Limits::default()).unwrap_err(),
        RecoverError::TooDeep
    );
    // Unclosed and truncated: still refused.
    let doc = format!("<rss version=\"2.0\"><channel>{}", "<x>".repeat(depth));
    assert_eq!(
        parse(doc.as_bytes(), &base(), None, &Limits::default()).unwrap_err(),
        RecoverError::TooDeep
    );
    assert!(t.elapsed() < Duration::from_secs(2));
    // Many unclosed <br> in unescaped HTML are not "deep".
    let doc = rss(&"<item><description>a<br>b<br>c</description></item>".repeat(400));
    assert_eq!(ok(doc.as_bytes()).0.entries.len(), 400);
}

#[test]
fn size_and_item_limits() {
    let doc = rss(&"<item><title>i</title></item>".repeat(10));
    let small = Limits {
        max_bytes: 100,
        ..Limits::default()
    };
    assert_eq!(
        parse(doc.as_bytes(), &base(), None, &small).unwrap_err(),
        RecoverError::TooLarge
    );
    let few = Limits {
        max_items: 3,
        ..Limits::default()
    };
    assert_eq!(
        parse(doc.as_bytes(), &base(), None, &few)
            .unwrap()
            .feed
            .entries
            .len(),
        3
    );
}

#[test]
fn not_feeds_are_rejected_cleanly() {
    for doc in [
        "",
        "   \n",
        "<!DOCTYPE html><html><body><p>hi</p></body></html>",
        "just text",
        "<note><to>x</to></note>",
    ] {
        let r = parse(doc.as_bytes(), &base(), None, &Limits::default());
        assert!(
            matches!(r, Err(RecoverError::NotAFeed(_))),
            "{doc:?}: {r:?}"
        );
    }
}

#[test]
fn json_feed_passes_through() {
    let doc = br#"{"version":"https://jsonfeed.org/version/1","title":"j","items":[{"id":"1","content_text":"x"}]}"#;
    assert_eq!(ok(doc).0.entries.len(), 1);
}

#[test]
fn mismatched_end_tags_are_repaired() {
    let doc = r#"<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>a</subtitle><p>x</entry><entry><title>b</title></entry></feed>"#;
    assert_eq!(titles(&ok(doc.as_bytes()).0), ["a", "b"]);
}

#[test]
fn items_after_the_channel_still_count() {
    let doc = "<rss version=\"2.0\"><channel><title>t</title><item><title>a</title></item></channel><item><title>b</title></item></rss>";
    assert_eq!(titles(&ok(doc.as_bytes()).0), ["a", "b"]);
}

#[test]
fn utf8_bom_wins_over_a_contradicting_declaration() {
    let doc = b"\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss version=\"2.0\"><channel><title>t</title><item><title>caf\xc3\xa9</title></item></channel></rss>";
    let (feed, repairs) = ok(doc);
    assert_eq!(titles(&feed), ["caf\u{e9}"]);
    assert!(repairs.contains(&"let the BOM override the declared encoding"));
}

#[test]
fn undeclared_legacy_encodings_are_guessed() {
    let doc = "<rss version=\"2.0\"><channel><title>t</title><item><title>\u{41f}\u{440}\u{438}\u{432}\u{435}\u{442} \u{43c}\u{438}\u{440}, \u{44d}\u{442}\u{43e} \u{442}\u{435}\u{441}\u{442} \u{43d}\u{43e}\u{432}\u{43e}\u{441}\u{442}\u{435}\u{439}</title></item></channel></rss>";
    let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(doc);
    let (feed, repairs) = ok(&bytes);
    assert_eq!(
        titles(&feed)[0],
        "\u{41f}\u{440}\u{438}\u{432}\u{435}\u{442} \u{43c}\u{438}\u{440}, \u{44d}\u{442}\u{43e} \u{442}\u{435}\u{441}\u{442} \u{43d}\u{43e}\u{432}\u{43e}\u{441}\u{442}\u{435}\u{439}"
    );
    assert!(repairs.contains(&"guessed the encoding"));
}

#[test]
fn dates_read_strictly_first_read_as_feed_rs_reads_them() {
    for s in [
        "Tue, 10 Jun 2003 04:00:00 GMT",
        "Tue, 10 Jun 2003 04:00:00 +0000",
        "10 Jun 2003 04:00:00 -0700",
        "Wed, 10 Jun 2003 04:00:00 GMT", // wrong weekday
        "Thurs, 13 Jul 2011 07:38:00 GMT",
        "Tue, 10 June 2003 04:00:00 UTC",
        "Tue, 10 Jun 2003 4:00:00 -0000",
        "Jun 10 2003 04:00:00 +0100",
        "Tue, 10 Jun 2003 24:00:00 GMT",
        "Tue, 15 Nov 2022 20:15:04 Z",
        "2003-12-31T10:14:55Z",
        "2003-12-31T10:14:55.25-08:00",
        "2003-12-31t10:14:55z",
        "2003-12-31 10:14:55Z",
        "2003-12-31T10:14:55+0100",
        "2003-12-31",
        "2003-12",
        "  2003-12-31T10:14:55Z \n",
        "<b>2003</b> & friends",
        "not a date",
        "",
    ] {
        assert_eq!(timestamp(s), lenient_timestamp(s.trim()), "{s:?}");
    }
    assert!(lenient_timestamp("Tue, 10 Jun 2003 04:00:00 GMT").is_some());
    assert!(timestamp("Thurs, 13 Jul 2011 07:38:00 GMT").is_some());
}

mod date_properties {
    use super::*;
    use proptest::prelude::*;

    /// Dates in the forms feeds write, right and wrong: RFC 2822 with or
    /// without (a possibly wrong, possibly long) weekday, long months, one-digit
    /// hours, hour 24, named and numeric zones; RFC 3339 with and without a
    /// colon in the offset, fractions, a space or a lower-case `t`.
    fn datelike() -> impl Strategy<Value = String> {
        let day = prop_oneof![
            Just(""),
            Just("Mon, "),
            Just("Tue, "),
            Just("Thurs, "),
            Just("Sat, ")
        ];
        let month = prop_oneof![
            Just("Jan"),
            Just("Feb"),
            Just("June"),
            Just("Sep"),
            Just("December")
        ];
        let zone = prop_oneof![
            Just("GMT"),
            Just("UT"),
            Just("UTC"),
            Just("Z"),
            Just("EST"),
            Just("+0000"),
            Just("-0000"),
            Just("+0530"),
            Just("-0800"),
            Just("+05:30"),
            Just("")
        ];
        let rfc2822 = (
            day,
            1u32..32,
            month,
            1990u32..2030,
            0u32..25,
            0u32..60,
            0u32..61,
            zone.clone(),
        )
            .prop_map(|(d, dd, m, y, h, mi, s, z)| {
                format!("{d}{dd} {m} {y} {h}:{mi:02}:{s:02} {z}")
            });
        let sep = prop_oneof![Just("T"), Just("t"), Just(" ")];
        let frac = prop_oneof![Just(""), Just(".5"), Just(".123456")];
        let rfc3339 = (
            1990u32..2030,
            1u32..14,
            1u32..32,
            sep,
            0u32..25,
            0u32..60,
            frac,
            zone,
        )
            .prop_map(|(y, mo, d, t, h, mi, f, z)| {
                format!("{y}-{mo:02}-{d:02}{t}{h:02}:{mi:02}:00{f}{z}")
            });
        prop_oneof![rfc2822, rfc3339, "[0-9A-Za-z:,+ -]{0,30}"]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn strict_first_reads_as_feed_rs(s in datelike()) {
            prop_assert_eq!(timestamp(&s), lenient_timestamp(s.trim()), "{:?}", s);
        }
    }
}
