//! Pages that render their text from a script template.
//!
//! Some pages (Blogger themes among them) ship the post as HTML inside
//! `<script type="text/template">` and let a script put it into the page;
//! without scripts the page shows an empty body. [`expand`] turns such
//! templates into ordinary markup in place, for a second extraction when the
//! first one found (almost) nothing. Templates with placeholders (`{{…}}`,
//! `<%…%>`, `${…}`) are widgets waiting for data and are left alone.

use dom_query::Document;

/// `type` values of scripts that hold markup rather than code.
const TEMPLATE_TYPES: &[&str] = &["text/template", "text/x-template", "text/html"];

/// Template text shorter than this (characters) is a widget, not a post.
const MIN_TEXT: usize = 200;

/// The page with its markup templates expanded in place, or `None` when it
/// has none worth expanding.
pub(crate) fn expand(html: &str) -> Option<String> {
    if !may_hold_templates(html.as_bytes()) {
        return None;
    }
    // Both parses are capped in nesting like the extraction itself: a
    // template is as much a third party's markup as the page.
    let doc = Document::from(crate::text::bounded(html, super::MAX_DEPTH).as_ref());
    let mut expanded = 0;
    for script in doc.select("script[type]").nodes() {
        let kind = script
            .attr("type")
            .map(|t| t.trim().to_ascii_lowercase())
            .unwrap_or_default();
        if !TEMPLATE_TYPES.contains(&kind.as_str()) {
            continue;
        }
        let source = script.text();
        if !source.contains('<') || ["{{", "<%", "${", "{%"].iter().any(|p| source.contains(p)) {
            continue;
        }
        let source = crate::text::bounded(&source, super::MAX_DEPTH).into_owned();
        let fragment = Document::fragment(source.clone());
        let text_len = fragment.root().normalized_char_count();
        if text_len < MIN_TEXT {
            continue;
        }
        script.replace_with_html(format!("<div>{source}</div>"));
        expanded += 1;
    }
    (expanded > 0).then(|| doc.html().to_string())
}

/// A cheap pre-check before a parse: some attribute could be `type` set to
/// one of [`TEMPLATE_TYPES`] (any case, as the check on the parsed `type`).
/// `text/html` alone is not enough, as nearly every page says it in a
/// `<meta content>`; it must follow `type=` (with optional quote and spaces).
fn may_hold_templates(html: &[u8]) -> bool {
    if occurrences(html, b"text/template").next().is_some()
        || occurrences(html, b"text/x-template").next().is_some()
    {
        return true;
    }
    occurrences(html, b"text/html").any(|at| {
        let before = &html[..at];
        let before = before.trim_ascii_end();
        let before = before
            .strip_suffix(b"\"")
            .or_else(|| before.strip_suffix(b"'"))
            .unwrap_or(before)
            .trim_ascii_end();
        before.strip_suffix(b"=").is_some_and(|b| {
            let b = b.trim_ascii_end();
            b.len() >= 4 && b[b.len() - 4..].eq_ignore_ascii_case(b"type")
        })
    })
}

/// Start offsets of `pat` in `hay`, ASCII case ignored.
fn occurrences<'a>(hay: &'a [u8], pat: &'a [u8]) -> impl Iterator<Item = usize> + 'a {
    hay.windows(pat.len())
        .enumerate()
        .filter(move |(_, w)| w.eq_ignore_ascii_case(pat))
        .map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_markup_templates_only() {
        let post = "<p>The first snow came early this year, and the village spent the whole weekend clearing the roads to the farms in the valley.</p><p>By Monday the buses were running again, although the pass to the next valley stayed closed.</p>";
        let html = format!(
            r#"<html><body><div class="post-body"></div><script type="text/template">{post}</script><script type="text/template"><div>{{{{title}}}} {post}</div></script><script>var x = "<p>{post}</p>";</script></body></html>"#
        );
        let out = expand(&html).unwrap();
        let d = Document::from(out.as_str());
        assert_eq!(d.select("body > div > p").length(), 2);
        assert_eq!(d.select("script").length(), 2);
        assert!(expand("<html><body><p>plain</p></body></html>").is_none());
    }

    #[test]
    fn pre_check_looks_for_template_types_not_any_text_html() {
        assert!(!may_hold_templates(
            br#"<meta http-equiv="Content-Type" content="text/html; charset=utf-8"><p>x</p>"#
        ));
        for yes in [
            &br#"<script type="text/html"><p>x</p></script>"#[..],
            br#"<script TYPE = ' Text/HTML '>"#,
            br#"<script type=text/html>"#,
            br#"<script type="TEXT/TEMPLATE">"#,
            br#"<script type="text/x-template">"#,
        ] {
            assert!(may_hold_templates(yes), "{}", String::from_utf8_lossy(yes));
        }
    }
}
