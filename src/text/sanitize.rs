//! The one sanitizing policy for HTML we republish: feed summaries and contents
//! at ingest, extracted articles. ammonia does the work; a linear token pass
//! before it caps nesting and drops tracking pixels.

use std::borrow::Cow;
use std::collections::HashSet;

use ammonia::{Builder, UrlRelative};
use html5ever::tokenizer::Tag;

use super::{MAX_DEPTH, strip_control, tokens};

/// Substrings of image URLs that identify tracking pixels and beacons.
pub(super) const TRACKER_PATTERNS: &[&str] = &[
    "pixel",
    "beacon",
    "tracking",
    "tracker",
    "/track/",
    "doubleclick.net",
    "google-analytics.com",
    "googletagmanager",
    "facebook.com/tr",
    "scorecardresearch",
    "quantserve",
    "/b/ss/",
    "1x1",
    "spacer.gif",
    "blank.gif",
    "clear.gif",
    "feeds.feedburner.com/~r",
    "stats.wp.com",
];

/// Elements removed together with their content.
const CLEAN_CONTENT: &[&str] = &[
    "script", "style", "noscript", "template", "iframe", "object", "embed", "button", "select",
    "textarea",
];

/// Whether an image is a tracking pixel: declared 0 or 1 pixel wide or high, or
/// its URL matches a known tracker. The arguments are its attributes.
pub fn is_tracking_image(width: Option<&str>, height: Option<&str>, src: Option<&str>) -> bool {
    let tiny = |v: Option<&str>| {
        v.and_then(|v| v.trim().trim_end_matches("px").trim().parse::<u32>().ok())
            .is_some_and(|v| v <= 1)
    };
    if tiny(width) || tiny(height) {
        return true;
    }
    let src = src.unwrap_or("").to_ascii_lowercase();
    TRACKER_PATTERNS.iter().any(|p| src.contains(p))
}

/// The tokenizer's view of [`is_tracking_image`].
pub(super) fn is_pixel_tag(tag: &Tag) -> bool {
    let attr = |name: &str| {
        tag.attrs
            .iter()
            .find(|a| &*a.name.local == name)
            .map(|a| &*a.value)
    };
    &*tag.name == "img" && is_tracking_image(attr("width"), attr("height"), attr("src"))
}

/// Inline SVG and MathML that feeds carry (charts, formulas), with presentation
/// attributes only: no scripts, styles, animation, external references.
/// ammonia checks that each element is in the namespace it claims.
const SVG_TAGS: &[&str] = &[
    "svg", "g", "circle", "ellipse", "line", "path", "polygon", "polyline", "rect", "text",
    "tspan", "title", "desc",
];
const SVG_ATTRIBUTES: &[&str] = &[
    "width",
    "height",
    "viewbox",
    "version",
    "baseprofile",
    "cx",
    "cy",
    "r",
    "rx",
    "ry",
    "x",
    "y",
    "x1",
    "y1",
    "x2",
    "y2",
    "d",
    "points",
    "fill",
    "stroke",
    "stroke-width",
    "transform",
    "opacity",
    "font-size",
    "text-anchor",
];
const MATHML_TAGS: &[&str] = &[
    "math",
    "mi",
    "mn",
    "mo",
    "ms",
    "mtext",
    "mspace",
    "mrow",
    "mfrac",
    "msqrt",
    "mroot",
    "msub",
    "msup",
    "msubsup",
    "munder",
    "mover",
    "munderover",
    "mtable",
    "mtr",
    "mtd",
    "mstyle",
    "mpadded",
    "mphantom",
    "menclose",
    "semantics",
    "annotation",
];
const MATHML_ATTRIBUTES: &[&str] = &["mathvariant", "display", "displaystyle", "scriptlevel"];

thread_local! {
    /// What relative URLs resolve against in the current [`sanitize`] call.
    static BASE: std::cell::RefCell<Option<url::Url>> = const { std::cell::RefCell::new(None) };
    /// The policy, built once per thread: building ammonia's tables on every
    /// call cost as much as cleaning a short summary.
    static POLICY: Builder<'static> = policy();
}

/// Resolves a relative URL against [`BASE`]; without one it is dropped.
fn resolve(relative: &str) -> Option<Cow<'_, str>> {
    BASE.with(|b| {
        b.borrow()
            .as_ref()
            .and_then(|base| base.join(relative).ok())
            .map(|u| Cow::Owned(u.to_string()))
    })
}

fn policy() -> Builder<'static> {
    let mut b = Builder::default();
    b.add_tags(SVG_TAGS).add_tags(MATHML_TAGS);
    for tag in SVG_TAGS {
        b.add_tag_attributes(tag, SVG_ATTRIBUTES);
    }
    for tag in MATHML_TAGS {
        b.add_tag_attributes(tag, MATHML_ATTRIBUTES);
    }
    b.link_rel(Some("noopener noreferrer nofollow"))
        .clean_content_tags(CLEAN_CONTENT.iter().copied().collect::<HashSet<_>>())
        // `srcset` goes: ammonia does not rewrite the URLs inside it.
        .rm_tag_attributes("img", ["srcset"])
        .url_relative(UrlRelative::Custom(Box::new(resolve)));
    b
}

/// Sanitised HTML: no script, style or embedded frames, no event handlers, no
/// `javascript:`/`vbscript:`/`data:` URLs, no tracking pixels, no characters XML
/// forbids; relative URLs made absolute against `base` (dropped without one).
/// Safe markup (tables with captions, figures, ruby, lists…) is kept. Linear in
/// the input: nesting is capped before a tree is built.
pub fn sanitize(html: &str, base: Option<&url::Url>) -> String {
    let filtered = tokens::prefilter(html, MAX_DEPTH, true);
    BASE.with(|b| *b.borrow_mut() = base.cloned());
    let cleaned = POLICY.with(|p| p.clean(&filtered).to_string());
    squeeze_blank_lines(&strip_control(&cleaned))
}

/// At most one blank line in a row, trailing spaces trimmed.
fn squeeze_blank_lines(s: &str) -> String {
    if !s.contains('\n') {
        return s.trim().to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut blank = 0;
    for line in s.lines() {
        if line.trim().is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> url::Url {
        url::Url::parse("https://news.example/a/story.html").unwrap()
    }

    #[test]
    fn dangerous_markup_goes_safe_markup_stays() {
        let html = r#"<p onclick="x()">Hi <a href="javascript:alert(1)">x</a> <a href="vbscript:y">y</a>
            <a href="data:text/html,zz">z</a><script>bad()</script><iframe src="https://e/"></iframe></p>
            <table><caption>Votes</caption><tr><td colspan="2">1</td></tr></table>
            <ruby>日本<rt>にっぽん</rt></ruby>"#;
        let out = sanitize(html, Some(&base()));
        for bad in [
            "onclick",
            "javascript:",
            "vbscript:",
            "data:",
            "<script",
            "bad()",
            "<iframe",
        ] {
            assert!(!out.contains(bad), "{bad} in {out}");
        }
        for good in [
            "<caption>Votes</caption>",
            "colspan=\"2\"",
            "<ruby>",
            "<rt>",
        ] {
            assert!(out.contains(good), "{good} missing from {out}");
        }
    }

    #[test]
    fn relative_urls_resolve_and_pixels_go() {
        let html = r#"<img src="/i/photo.jpg" alt="p"><img src="https://t.example/p.gif" width="1" height="1">
            <img src="https://x.example/beacon.gif"><a href="../b.html">b</a>"#;
        let out = sanitize(html, Some(&base()));
        assert!(
            out.contains(r#"src="https://news.example/i/photo.jpg""#),
            "{out}"
        );
        assert!(
            out.contains(r#"href="https://news.example/b.html""#),
            "{out}"
        );
        assert!(
            !out.contains("t.example") && !out.contains("beacon"),
            "{out}"
        );
        // Without a base, relative URLs are dropped rather than left dangling.
        let out = sanitize(r#"<a href="/x">x</a>"#, None);
        assert!(!out.contains("href"), "{out}");
    }

    #[test]
    fn pixels_are_recognised_by_declared_size_or_tracker_url() {
        let px = |w, h, src| is_tracking_image(w, h, Some(src));
        assert!(px(Some("1"), Some("1"), "x"));
        assert!(px(None, Some("0"), "x"));
        assert!(px(Some("1px"), None, "x"));
        assert!(px(Some("100"), Some("1"), "x"), "a 1-pixel-high strip");
        assert!(px(None, None, "https://stats.wp.com/g.gif"));
        assert!(!px(Some("10"), Some("12"), "x"));
        assert!(!px(None, None, "https://img.example/photo.jpg"));
        let out = sanitize(
            r#"<img data-width="1" src="https://i.example/a.jpg">"#,
            None,
        );
        assert!(out.contains("a.jpg"), "{out}");
    }

    // Inline SVG and MathML were emptied; their markup is kept, their scripts not.
    #[test]
    fn svg_and_mathml_survive_without_their_dangers() {
        let svg = r#"<svg width="30" height="20" onload="x()"><desc>chart</desc><circle cx="5" cy="5" r="4" fill="red"/><a xlink:href="javascript:alert(1)"><text x="1" y="1">t</text></a><script>bad()</script><animate attributeName="href" to="javascript:x"/></svg>"#;
        let out = sanitize(svg, None);
        assert!(
            out.contains("<svg") && out.contains("<circle") && out.contains("chart"),
            "{out}"
        );
        for bad in ["onload", "javascript", "bad()", "<animate", "<script"] {
            assert!(!out.contains(bad), "{bad} in {out}");
        }
        let math = r#"<math><mrow xlink:href="http://x.example/"><mi>x</mi><mo>=</mo><mn>2</mn></mrow></math>"#;
        let out = sanitize(math, None);
        assert!(out.contains("<math") && out.contains("<mi>x</mi>"), "{out}");
        assert!(!out.contains("xlink"), "{out}");
    }

    #[test]
    fn illegal_xml_characters_are_dropped() {
        let out = sanitize("a\u{0}b\u{c}c\u{7f}d", None);
        assert_eq!(out, "abcd");
    }
}
