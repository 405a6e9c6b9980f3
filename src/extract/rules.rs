//! Per-site rules: selecting the rule for a URL, deleting elements, selecting
//! the article container.

use dom_query::Document;

use super::SiteRule;

/// Returns the rule whose `domain` is the URL's host or its longest matching
/// parent domain.
pub(crate) fn find<'a>(rules: &'a [SiteRule], url: &url::Url) -> Option<&'a SiteRule> {
    let host = url.host_str()?.trim_end_matches('.').to_ascii_lowercase();
    rules
        .iter()
        .filter(|r| {
            let d = r
                .domain
                .trim()
                .trim_start_matches('.')
                .trim_end_matches('.')
                .to_ascii_lowercase();
            !d.is_empty()
                && (host == d
                    || (host.ends_with(&d) && host[..host.len() - d.len()].ends_with('.')))
        })
        .max_by_key(|r| r.domain.len())
}

/// Deletes every element matched by the rule's `remove` selectors.
/// Invalid selectors are ignored.
pub(crate) fn apply_remove(doc: &Document, rule: &SiteRule) {
    for sel in &rule.remove {
        if let Ok(m) = dom_query::Matcher::new(sel) {
            doc.select_matcher(&m).remove();
        }
    }
}

/// Returns the outer HTML of the elements matched by the rule's `body`
/// selector (document order, nested matches skipped), or `None` when there is
/// no `body` selector, it is invalid, or it matches nothing with text.
pub(crate) fn select_body(doc: &Document, rule: &SiteRule) -> Option<String> {
    let m = dom_query::Matcher::new(rule.body.as_deref()?).ok()?;
    let sel = doc.select_matcher(&m);
    let nodes = sel.nodes();
    let mut out = String::new();
    for (i, n) in nodes.iter().enumerate() {
        // Skip a match nested in an earlier match: it is already included.
        if nodes[..i]
            .iter()
            .any(|p| n.ancestors_it(None).any(|a| a.id == p.id))
        {
            continue;
        }
        out.push_str(&n.html());
    }
    let probe = Document::from(out.as_str());
    if probe.select("body").text().trim().is_empty() {
        return None;
    }
    Some(out)
}

/// The outer HTML of the page's own article markup, for pages where no
/// container can be scored: the first `[itemprop=articleBody]`, else
/// `article`, else `main` or `[role=main]`, that holds some text.
pub(crate) fn article_markup(doc: &Document) -> Option<String> {
    ["[itemprop=articleBody]", "article", "main, [role=main]"]
        .iter()
        .find_map(|sel| {
            doc.select(sel)
                .nodes()
                .iter()
                .find(|n| super::hints::text_len_capped(n, MARKUP_MIN_CHARS) >= MARKUP_MIN_CHARS)
                .map(|n| n.html().to_string())
        })
}

/// Text (characters) a markup container needs to be taken.
const MARKUP_MIN_CHARS: usize = 100;
