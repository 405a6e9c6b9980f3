//! Full-article extraction for tidings.
//!
//! [`article`] turns an article page (HTML already decoded, see [`decode_html`])
//! into an [`Article`]: metadata, sanitized body HTML and plain text.
//!
//! Pipeline (each stage is its own submodule; [`article_with_layers`] is the
//! one orchestrator):
//! 1. `rules`: the best-matching [`SiteRule`] (`remove` selectors; a `body`
//!    selector replaces container detection).
//! 2. `prune` + `teasers` + `hints`: the whole page is cleaned before scoring:
//!    links in quoted posts are unwrapped (embedded tweets survive); groups of
//!    teaser cards go; hidden elements and blocks whose tag/role/class/id mark
//!    them as boilerplate (share bars, related lists, newsletter boxes,
//!    comments, ads, menus, footers, font-size widgets, "go top"), short
//!    caption/credit/byline/date blocks, and sections headed by "Related" or
//!    "Comments" headings go. A prose guard keeps wrappers that hold much of
//!    the page's paragraph text whatever their class.
//! 3. dom_smoothie (a Readability.js port) picks the article container and
//!    merges sibling sections that belong to it.
//! 4. `post` + `lines`: the container is cleaned: repeated title, boilerplate
//!    lines by their text (share rows, widgets, labels and the lists after
//!    them, credits, bylines, date lines, pitches, copyright), link-dense
//!    blocks, and the tail after the last prose paragraph.
//! 5. `sanitize`: tracking pixels out, then ammonia with absolute URLs.
//! 6. `text`: plain text built from the cleaned DOM.
//! 7. `meta`: title, byline, date and lead image.
//!
//! If page pruning leaves almost nothing, the page is extracted again without
//! it and the longer result is kept. [`decode_html`] (`charset`) turns fetched
//! bytes into the `&str` that [`article`] takes.

mod blocks;
mod charset;
mod hints;
mod lines;
mod meta;
mod post;
mod prune;
mod region;
mod rules;
mod sanitize;
mod stopwords;
mod teasers;
mod templates;
mod text;

pub use charset::decode_html;

use dom_query::Document;
use dom_smoothie::{Config, Readability, ReadabilityError};

/// Pages larger than this many bytes are refused with [`ExtractError::TooLarge`].
pub const MAX_HTML_BYTES: usize = 10 * 1024 * 1024;

/// Pages with more element nodes than this are refused with
/// [`ExtractError::TooManyElements`] (bounds the work done on huge pages).
pub const MAX_ELEMENTS: usize = 100_000;

/// Pages nested deeper than this are refused with [`ExtractError::TooDeep`]
/// (tree-scoring work grows with depth; real articles stay far below it).
pub const MAX_DEPTH: usize = 256;

/// A per-site extraction rule, applied before the generic extractor.
///
/// A rule applies when the page URL's host equals `domain` or is a subdomain
/// of it (`domain = "example.com"` matches `www.example.com`). When several
/// rules match, the one with the longest `domain` wins.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SiteRule {
    /// Host name (or parent domain) the rule applies to, e.g. `koreatimes.co.kr`.
    pub domain: String,
    /// CSS selector of the article container. When it matches, the matched
    /// elements (in document order) are the article body and the generic
    /// container detection is skipped; when it matches nothing, the generic
    /// extractor runs as usual.
    #[serde(default)]
    pub body: Option<String>,
    /// CSS selectors of elements to delete from the page before extraction.
    #[serde(default)]
    pub remove: Vec<String>,
}

/// An extracted article.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Article {
    /// Article headline (from metadata or the page title, site name stripped).
    pub title: Option<String>,
    /// Author(s), as the page states them.
    pub byline: Option<String>,
    /// Publication date as found in the page (usually ISO 8601), not reformatted.
    pub published: Option<String>,
    /// Absolute URL of the lead image (`og:image`, JSON-LD, or the first body image).
    pub lead_image: Option<String>,
    /// Sanitized article body HTML: no script/style/iframe, no event handlers,
    /// no `javascript:` URLs, no tracking pixels, all URLs absolute.
    pub html: String,
    /// Plain text of the body, paragraphs separated by blank lines
    /// (the title is not included).
    pub text: String,
}

/// Why extraction failed.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ExtractError {
    /// The page is larger than [`MAX_HTML_BYTES`].
    #[error("page too large ({0} bytes, limit {MAX_HTML_BYTES})")]
    TooLarge(usize),
    /// The page has more than [`MAX_ELEMENTS`] elements.
    #[error("page has too many elements ({0}, limit {MAX_ELEMENTS})")]
    TooManyElements(usize),
    /// The page's elements are nested deeper than [`MAX_DEPTH`].
    #[error("page nesting too deep (over {MAX_DEPTH} levels)")]
    TooDeep,
    /// No article body could be found (or it has no text).
    #[error("no article content found")]
    NoContent,
    /// A bug in the extractor or its HTML libraries (a caught panic).
    #[error("internal extractor error")]
    Internal,
    /// The page URL cannot be used as a base URL (e.g. `data:` URLs).
    #[error("page URL is not a usable base URL")]
    BadUrl,
}

/// Extracts the article from `html` (a decoded page) fetched from `url`.
///
/// `rules` are the configured site rules; the best-matching one (if any) is
/// applied first. Returns [`ExtractError::NoContent`] when nothing that looks
/// like an article body is found. Work is bounded by [`MAX_HTML_BYTES`],
/// [`MAX_ELEMENTS`] and [`MAX_DEPTH`]. Never panics: as a last line of
/// defence, a panic inside the HTML libraries is caught and reported as
/// [`ExtractError::Internal`].
pub fn article(html: &str, url: &url::Url, rules: &[SiteRule]) -> Result<Article, ExtractError> {
    article_with_layers(html, url, rules, Layers::default())
}

/// Which of our layers run (all by default). For measuring each layer's
/// contribution (ablation); the daemon uses [`article`].
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct Layers {
    /// Page pre-pruning by hints before container scoring.
    pub pre_prune: bool,
    /// Teaser-card group removal (pre and post).
    pub teasers: bool,
    /// Hint pruning inside the extracted container.
    pub post_prune: bool,
    /// Boilerplate lines by text (and label-triggered list removal).
    pub lines: bool,
    /// Link-dense block removal.
    pub link_blocks: bool,
    /// Tail pruning.
    pub tail: bool,
    /// The block-value region as a second opinion on the container.
    pub region: bool,
    /// Last resort: the page's own article markup (`articleBody`,
    /// `article`, `main`) is the body, with no container scoring.
    pub markup: bool,
}

impl Default for Layers {
    fn default() -> Self {
        Layers {
            pre_prune: true,
            teasers: true,
            post_prune: true,
            lines: true,
            link_blocks: true,
            tail: true,
            region: true,
            markup: false,
        }
    }
}

/// [`article`] with a choice of layers (see [`Layers`]).
#[doc(hidden)]
pub fn article_with_layers(
    html: &str,
    url: &url::Url,
    rules: &[SiteRule],
    layers: Layers,
) -> Result<Article, ExtractError> {
    let run = |html: &str, layers: Layers| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            extract_article(html, url, rules, layers)
        }))
        .unwrap_or(Err(ExtractError::Internal))
    };
    let len = |r: &Result<Article, ExtractError>| r.as_ref().map_or(0, |a| a.text.chars().count());
    let is_weak = |r: &Result<Article, ExtractError>| match r {
        Ok(a) => a.text.chars().count() < FALLBACK_BELOW_CHARS,
        Err(ExtractError::NoContent | ExtractError::Internal) => true,
        Err(_) => false,
    };
    let mut first = run(html, layers);
    // A page that renders its post from a script template shows (almost)
    // nothing without scripts: extract again with the templates expanded.
    if is_weak(&first)
        && let Some(expanded) = templates::expand(html)
    {
        let t = run(&expanded, layers);
        if len(&t) > len(&first) {
            first = t;
        }
    }
    // Safety net: if page pruning left (almost) nothing, it probably removed
    // the article wrapper itself (an unlucky class name); retry without it
    // and keep the retry when it has more text and still holds what the
    // first run found (a longer text elsewhere, such as the author box the
    // pruning had removed, is not the article).
    let weak = is_weak(&first);
    if weak && (layers.pre_prune || layers.teasers) {
        // The region analysis needs a pruned page (comment threads and
        // boxes look like prose to it), so it sits the retry out.
        let second = run(
            html,
            Layers {
                pre_prune: false,
                teasers: false,
                region: false,
                ..layers
            },
        );
        let holds_first = match (&first, &second) {
            (Ok(f), Ok(s)) => f
                .text
                .split("\n\n")
                .max_by_key(|p| p.len())
                .is_none_or(|p| s.text.contains(p)),
            _ => true,
        };
        if len(&second) > len(&first) && holds_first {
            return second;
        }
    }
    // Nothing at all (a post made of links, such as a link roll, or no
    // paragraph long enough to score): the page's own article markup,
    // without the link-density and tail layers that emptied it.
    if matches!(first, Err(ExtractError::NoContent | ExtractError::Internal)) && !layers.markup {
        let third = run(
            html,
            Layers {
                markup: true,
                link_blocks: false,
                tail: false,
                ..layers
            },
        );
        if third.is_ok() {
            return third;
        }
    }
    first
}

/// Results shorter than this (chars) trigger the retry without page pruning.
const FALLBACK_BELOW_CHARS: usize = 250;

fn extract_article(
    html: &str,
    url: &url::Url,
    rules: &[SiteRule],
    layers: Layers,
) -> Result<Article, ExtractError> {
    if html.len() > MAX_HTML_BYTES {
        return Err(ExtractError::TooLarge(html.len()));
    }
    if url.cannot_be_a_base() {
        return Err(ExtractError::BadUrl);
    }
    // Nesting is capped on tokens, before a tree is built: tree builders are
    // quadratic in depth (100,000 nested <div>s took 53 s).
    let mut doc = Document::from(crate::text::bounded(html, MAX_DEPTH).as_ref());
    let (n_elems, depth) = tree_size(&doc);
    if n_elems > MAX_ELEMENTS {
        return Err(ExtractError::TooManyElements(n_elems));
    }
    if depth > MAX_DEPTH {
        return Err(ExtractError::TooDeep);
    }
    let rule = rules::find(rules, url);
    if let Some(rule) = rule {
        rules::apply_remove(&doc, rule);
    }
    let cfg = Config {
        max_elements_to_parse: MAX_ELEMENTS,
        keep_classes: true,
        ..Config::default()
    };
    let readability = |doc: Document| {
        Readability::with_document(doc, Some(url.as_str()), Some(cfg.clone()))
            .map_err(|_| ExtractError::BadUrl)
    };
    let ruled_body = match rule.and_then(|rule| rules::select_body(&doc, rule)) {
        None if layers.markup => rules::article_markup(&doc),
        body => body,
    };
    let mut info;
    let cleaned = match ruled_body {
        Some(h) => {
            let r = readability(doc)?;
            let md = r.get_article_metadata(r.parse_json_ld());
            info = meta::Info::from_metadata(&md);
            meta::fill_from_doc(&r.doc, &mut info);
            // A site-rule body has not been through the page pruning yet.
            clean_body(
                &Document::from(h.as_str()),
                info.title.as_deref(),
                layers,
                true,
            )
        }
        None => {
            // Byline/date blocks in the body are pruned below, so look at
            // them first (cheap selectors; `<head>` metadata is unaffected).
            let mut early = meta::Info::default();
            meta::fill_from_doc(&doc, &mut early);
            prune::prune_page(&doc, layers);
            // dom_smoothie consumes its document; the region analysis below
            // needs the pruned page as it is.
            let mut r = readability(if layers.region {
                doc.clone()
            } else {
                std::mem::replace(&mut doc, Document::from(""))
            })?;
            let container = match r.parse() {
                Ok(a) => {
                    info = meta::Info::from_article(&a);
                    info.merge(early);
                    // After `parse`, the document holds the extracted article.
                    clean_body(&r.doc, info.title.as_deref(), layers, false)
                }
                Err(ReadabilityError::TooManyElements(n, _)) => {
                    return Err(ExtractError::TooManyElements(n));
                }
                Err(_) => {
                    info = meta::Info::from_metadata(&r.get_article_metadata(r.parse_json_ld()));
                    info.merge(early);
                    None
                }
            };
            if layers.region {
                region::choose(&doc, container, |html| {
                    clean_body(&Document::from(html), info.title.as_deref(), layers, false)
                })
            } else {
                container
            }
        }
    };
    let Some(Cleaned {
        html: body_html,
        text,
    }) = cleaned
    else {
        return Err(ExtractError::NoContent);
    };
    let html = sanitize::sanitize(&body_html, url);
    let lead_image = info
        .image
        .as_deref()
        .and_then(|s| url.join(s.trim()).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .map(String::from)
        .or_else(|| sanitize::first_image(&html));
    Ok(Article {
        title: info.title,
        byline: info.byline,
        published: info.published,
        lead_image,
        html,
        text,
    })
}

/// An extracted body after post-cleaning: its inner HTML and its text.
pub(crate) struct Cleaned {
    pub html: String,
    pub text: String,
}

/// Post-cleans an extracted body (dom_smoothie's `#readability-page-1`, else
/// the `<body>`); `None` when no text is left. `hint_prune`: also run the
/// attribute-hint and teaser layers (for bodies that skipped page pruning).
fn clean_body(
    doc: &Document,
    title: Option<&str>,
    layers: Layers,
    hint_prune: bool,
) -> Option<Cleaned> {
    let sel = doc.select("#readability-page-1");
    let root = match sel.nodes().first() {
        Some(n) => *n,
        None => *doc.select("body").nodes().first()?,
    };
    post::clean(&root, title, layers, hint_prune);
    let text = text::node_text(&root);
    if text.trim().is_empty() {
        return None;
    }
    Some(Cleaned {
        html: root.inner_html().to_string(),
        text,
    })
}

/// Number of elements and maximum element depth of the document (the walk
/// stops early once either limit is exceeded).
fn tree_size(doc: &Document) -> (usize, usize) {
    let root = doc.root();
    let mut stack = vec![(root, 0usize)];
    let (mut count, mut max_depth) = (0usize, 0usize);
    while let Some((n, d)) = stack.pop() {
        max_depth = max_depth.max(d);
        if d > MAX_DEPTH || count > MAX_ELEMENTS {
            break;
        }
        for c in n.children_it(false) {
            if c.is_element() {
                count += 1;
                stack.push((c, d + 1));
            }
        }
    }
    (count, max_depth)
}
