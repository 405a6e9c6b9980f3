use super::*;
use crate::model::Enclosure;
use chrono::Utc;

/// The HTML as a feed gives it, prepared as the store keeps it.
fn body(html: &str) -> crate::model::HtmlText {
    let base = url::Url::parse("https://src.example/news/1").unwrap();
    crate::text::prepare(&crate::model::Body::html(html), Some(&base))
}

fn stored(uid: &str, title: &str, summary: &str) -> StoredItem {
    StoredItem {
        uid: uid.into(),
        feed_name: "Src".into(),
        feed_url: "https://src.example/rss".into(),
        link: Some("https://src.example/news/1".into()),
        canonical_link: Some("https://src.example/news/1".into()),
        title: title.into(),
        summary: Some(body(summary)),
        content: None,
        author: Some("Kim".into()),
        authors: vec![crate::model::Person {
            name: Some("Kim".into()),
            ..Default::default()
        }],
        categories: vec!["Politics".into()],
        enclosures: vec![],
        first_seen: Utc::now(),
        date: Utc::now(),
        updated: None,
        modified: Utc::now(),
        story: None,
        also: Vec::new(),
    }
}

const CH: ChannelInfo = ChannelInfo {
    name: "out",
    title: "Out & about",
    description: "",
    self_url: "http://127.0.0.1:8080/feeds/out.xml",
    site_url: "http://127.0.0.1:8080/",
};

fn all_formats(items: &[StoredItem]) -> Vec<String> {
    [Format::Rss, Format::Atom, Format::Json]
        .iter()
        .map(|f| String::from_utf8(render(*f, &CH, items)).unwrap())
        .collect()
}

#[test]
fn hostile_html_is_sanitised_and_urls_absolute_in_every_format() {
    let hostile = r#"<p onclick="x()">Hi <script>alert(1)</script><a href="javascript:alert(1)">j</a><img src="/i.png"><img src="https://t.example/p.gif" width="1" height="1"></p>"#;
    for doc in all_formats(&[stored("a", "T", hostile)]) {
        assert!(!doc.contains("<script") && !doc.contains("alert"), "{doc}");
        assert!(!doc.contains("onclick"), "{doc}");
        assert!(!doc.contains("javascript:"), "{doc}");
        assert!(doc.contains("https://src.example/i.png"), "{doc}");
        assert!(
            !doc.contains("t.example/p.gif"),
            "tracking pixel kept: {doc}"
        );
    }
}

#[test]
fn illegal_xml_characters_are_dropped() {
    for doc in all_formats(&[stored("a", "bad\u{0}\u{c}title", "x\u{1}y")]) {
        assert!(doc.contains("badtitle"), "{doc}");
        assert!(!doc.contains('\u{0}') && !doc.contains('\u{c}') && !doc.contains('\u{1}'));
    }
}

#[test]
fn rss_has_self_link_guids_creator_and_enclosure() {
    let mut item = stored("a1", "T", "s");
    item.enclosures = vec![Enclosure {
        url: "https://src.example/ep1.mp3".into(),
        mime_type: Some("audio/mpeg".into()),
        length: Some(1234),
    }];
    item.content = Some(body("<p>Full text</p>"));
    let xml = String::from_utf8(render(Format::Rss, &CH, &[item])).unwrap();
    assert!(xml.contains(r#"<atom:link href="http://127.0.0.1:8080/feeds/out.xml" rel="self" type="application/rss+xml">"#), "{xml}");
    assert!(
        xml.contains(r#"<guid isPermaLink="false">urn:tidings:a1</guid>"#),
        "{xml}"
    );
    assert!(xml.contains("<dc:creator>Kim</dc:creator>"), "{xml}");
    assert!(
        xml.contains(
            r#"<enclosure url="https://src.example/ep1.mp3" length="1234" type="audio/mpeg"/>"#
        ),
        "{xml}"
    );
    assert!(
        xml.contains("<content:encoded><![CDATA[<p>Full text</p>]]></content:encoded>"),
        "{xml}"
    );
    assert!(
        xml.contains("<source url=\"https://src.example/rss\">Src</source>"),
        "{xml}"
    );
}

#[test]
fn rss_description_is_the_content_when_there_is_no_summary() {
    // Atom and JSON sources that give only content: readers that show only
    // <description> must not see an empty item.
    let mut item = stored("a2", "T", "s");
    item.summary = None;
    item.content = Some(body("<p>Only content</p>"));
    let xml = String::from_utf8(render(Format::Rss, &CH, &[item])).unwrap();
    assert!(
        xml.contains("<description><![CDATA[<p>Only content</p>]]></description>"),
        "{xml}"
    );
}

#[test]
fn atom_has_the_required_elements() {
    let xml = String::from_utf8(render(Format::Atom, &CH, &[stored("a1", "T <1>", "s")])).unwrap();
    for needle in [
        "<id>urn:tidings:output:out</id>",
        "<title type=\"text\">Out &amp; about</title>",
        "<link rel=\"self\" type=\"application/atom+xml\" href=\"http://127.0.0.1:8080/feeds/out.xml\"/>",
        "<id>urn:tidings:a1</id>",
        "<title type=\"text\">T &lt;1&gt;</title>",
        "<link rel=\"alternate\" type=\"text/html\" href=\"https://src.example/news/1\"/>",
        "<author><name>Kim</name></author>",
        "<content type=\"html\">s</content>",
    ] {
        assert!(xml.contains(needle), "missing {needle} in\n{xml}");
    }
    assert!(xml.contains("<published>") && xml.contains("<updated>"));
}

#[test]
fn json_feed_has_the_required_fields() {
    let mut item = stored("a1", "T", "<p>Short <b>summary</b></p>");
    item.content = Some(body("<p>One</p><p>Two &amp; three</p>"));
    item.enclosures = vec![Enclosure {
        url: "https://src.example/i.jpg".into(),
        mime_type: None,
        length: None,
    }];
    let v: serde_json::Value = serde_json::from_slice(&render(Format::Json, &CH, &[item])).unwrap();
    assert_eq!(v["version"], "https://jsonfeed.org/version/1.1");
    assert_eq!(v["title"], "Out & about");
    assert_eq!(v["feed_url"], CH.self_url);
    let i = &v["items"][0];
    assert_eq!(i["id"], "urn:tidings:a1");
    assert_eq!(i["url"], "https://src.example/news/1");
    assert_eq!(i["content_text"], "One\n\nTwo & three");
    assert_eq!(i["summary"], "Short summary");
    assert_eq!(i["authors"][0]["name"], "Kim");
    assert_eq!(i["tags"][0], "Politics");
    assert_eq!(i["attachments"][0]["mime_type"], "application/octet-stream");
    assert!(i["date_published"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn formats_from_file_names() {
    assert_eq!(Format::from_file("all.xml"), Some(("all", Format::Rss)));
    assert_eq!(Format::from_file("a.b.atom"), Some(("a.b", Format::Atom)));
    assert_eq!(Format::from_file("all.json"), Some(("all", Format::Json)));
    assert_eq!(Format::from_file("all.html"), None);
    assert_eq!(Format::from_file("all"), None);
}
