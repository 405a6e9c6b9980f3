//! The article's HTML goes through the one sanitizing policy ([`crate::text`]);
//! here only what is particular to a page already parsed into a DOM.

use dom_query::{Document, NodeRef};

/// Removes tracking images below `root` (the shared pixel rule).
pub(crate) fn drop_tracking_images(root: &NodeRef) {
    for img in root.descendants() {
        if img.is_element()
            && img.node_name().is_some_and(|n| &*n == "img")
            && crate::text::is_tracking_image(
                img.attr("width").as_deref(),
                img.attr("height").as_deref(),
                img.attr("src").as_deref(),
            )
        {
            img.remove_from_parent();
        }
    }
}

/// Sanitizes the article body HTML, every URL made absolute against `base`.
/// Inline SVG on a page is an icon or a chart, not article text: it goes first.
pub(crate) fn sanitize(html: &str, base: &url::Url) -> String {
    let html = if html.contains("<svg") {
        let doc = Document::from(html);
        doc.select("svg").remove();
        doc.select("body").inner_html().to_string()
    } else {
        html.to_string()
    };
    crate::text::sanitize(&html, Some(base))
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
