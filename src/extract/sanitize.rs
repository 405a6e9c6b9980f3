//! Sanitizing the article HTML with ammonia.

use std::sync::OnceLock;

use ammonia::{Builder, UrlRelative};
use dom_query::{Document, NodeRef};

/// Substrings of image URLs that identify tracking pixels / beacons.
const TRACKER_PATTERNS: &[&str] = &[
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

/// True when an `<img>` is a tracking pixel: declared 1x1 (or 0) in size, or
/// its URL matches a known tracker pattern.
pub(crate) fn is_tracking_image(img: &NodeRef) -> bool {
    let tiny = |a: &str| {
        img.attr(a)
            .and_then(|v| v.trim().trim_end_matches("px").parse::<u32>().ok())
            .is_some_and(|v| v <= 1)
    };
    if tiny("width") || tiny("height") {
        return true;
    }
    let src = img
        .attr("src")
        .map(|s| s.to_ascii_lowercase())
        .unwrap_or_default();
    TRACKER_PATTERNS.iter().any(|p| src.contains(p))
}

/// Removes tracking images below `root`.
pub(crate) fn drop_tracking_images(root: &NodeRef) {
    for img in root.descendants() {
        if img.is_element()
            && img.node_name().is_some_and(|n| &*n == "img")
            && is_tracking_image(&img)
        {
            img.remove_from_parent();
        }
    }
}

fn builder_tags() -> &'static std::collections::HashSet<&'static str> {
    static CLEAN: OnceLock<std::collections::HashSet<&'static str>> = OnceLock::new();
    CLEAN.get_or_init(|| {
        [
            "script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "math",
            "form", "button", "select", "textarea",
        ]
        .into_iter()
        .collect()
    })
}

/// Sanitizes `html` (a body fragment) and makes every URL absolute against
/// `base`. Removes script/style/iframe (with content), event-handler
/// attributes, and non-http(s)/mailto URLs (hence `javascript:`).
pub(crate) fn sanitize(html: &str, base: &url::Url) -> String {
    let mut b = Builder::default();
    b.url_relative(UrlRelative::RewriteWithBase(base.clone()))
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .clean_content_tags(builder_tags().clone())
        // `srcset` is dropped: ammonia does not rewrite the URLs inside it.
        .rm_tag_attributes("img", ["srcset"])
        .add_tag_attributes("td", ["colspan", "rowspan"])
        .add_tag_attributes("th", ["colspan", "rowspan"]);
    let out = b.clean(html).to_string();
    squeeze_blank_lines(&out)
}

fn squeeze_blank_lines(s: &str) -> String {
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

/// First `<img src>` of sanitized HTML (already absolute), if any.
pub(crate) fn first_image(html: &str) -> Option<String> {
    if !html.contains("<img") {
        return None;
    }
    let d = Document::from(html);
    d.select("img[src]")
        .nodes()
        .first()
        .and_then(|n| n.attr("src"))
        .map(|s| s.to_string())
        .filter(|s| s.starts_with("http"))
}
