//! Boilerplate hints from `class`/`id`/`role` attributes, plus small DOM
//! measurement helpers shared by the pruning layers.

use std::collections::HashMap;
use std::sync::OnceLock;

use aho_corasick::AhoCorasick;
use dom_query::NodeRef;

/// Whole class/id tokens (lower-cased, split on non-alphanumerics and
/// camelCase) that mark a block as page furniture rather than article prose.
const BOILER_TOKENS: &[&str] = &[
    "share",
    "shares",
    "sharing",
    "sharebar",
    "sharetools",
    "social",
    "socials",
    "sns",
    "newsletter",
    "newsletters",
    "subscribe",
    "subscription",
    "signup",
    "related",
    "relatedposts",
    "recommended",
    "recommendations",
    "recommendation",
    "recirc",
    "recirculation",
    "outbrain",
    "taboola",
    "comment",
    "comments",
    "disqus",
    "promo",
    "promotion",
    "promos",
    "advert",
    "advertisement",
    "advertising",
    "ads",
    "ad",
    "adsbygoogle",
    "dfp",
    "gpt",
    "sponsor",
    "sponsored",
    "breadcrumb",
    "breadcrumbs",
    "popular",
    "trending",
    "toolbar",
    "print",
    "sidebar",
    "widget",
    "widgets",
    "nav",
    "navbar",
    "navigation",
    "menu",
    "masthead",
    "slideshow",
    "carousel",
    "pagination",
    "pager",
    "footer",
    "follow",
    "rail",
    "bio",
    "tooltip",
    "hovercard",
    "rollover",
    "skip",
    "jumplink",
    "noprint",
    "donate",
    "banner",
    "disclaimer",
    "disclosure",
    "notice",
];

/// Class/id tokens of layers drawn over the page (dialogs, pop-ups, cookie
/// and consent banners, login forms): never the article, however much text
/// they hold.
const OVERLAY_TOKENS: &[&str] = &[
    "cookie",
    "cookies",
    "consent",
    "gdpr",
    "modal",
    "popup",
    "overlay",
    "dialog",
    "popover",
    "login",
    "signin",
    "registration",
];

/// Concatenated token sequences (tokens joined without separator) that mark
/// boilerplate: "most-read" becomes "mostread" and so on.
const BOILER_PHRASES: &[&str] = &[
    "mostread",
    "mostpopular",
    "mostviewed",
    "mostshared",
    "readmore",
    "morestories",
    "topstories",
    "topnews",
    "fontsize",
    "textsize",
    "fontcontrol",
    "gotop",
    "backtotop",
    "totop",
    "scrolltop",
    "alsolike",
    "maylike",
    "mightlike",
    "nextarticle",
    "prevarticle",
    "nextpost",
    "previouspost",
    "relatedarticle",
    "relatedpost",
    "relatedstor",
    "relatedcontent",
    "relatedlink",
    "relatednews",
    "sharebutton",
    "socialshare",
    "sharelink",
    "adslot",
    "adunit",
    "adcontainer",
    "adwrapper",
    "moreon",
    "morefrom",
    "seealso",
    "alsoread",
    "editorspick",
    "authorinfo",
    "aboutauthor",
    "postnav",
    "entrynav",
    "tagcloud",
    "taglist",
    "articletags",
    "posttags",
    "entrytags",
    "authorbox",
    "authorbio",
    "authorcard",
    "authordetail",
    "authorprofile",
    "aboutauthor",
];

/// Tokens for small metadata blocks: removed only when short (see
/// [`META_MAX_CHARS`]), since the same words also appear on article wrappers.
const META_TOKENS: &[&str] = &[
    "byline",
    "author",
    "authors",
    "dateline",
    "date",
    "time",
    "timestamp",
    "published",
    "updated",
    "meta",
    "tags",
    "tag",
    "keywords",
    "source",
    "categories",
    "category",
    "kicker",
    "eyebrow",
    "label",
    "headline",
    "title",
    "subtitle",
    "readtime",
];

/// Caption-like tokens: like [`META_TOKENS`] but captions may be longer.
const CAPTION_TOKENS: &[&str] = &[
    "caption",
    "captions",
    "figcaption",
    "credit",
    "credits",
    "copyright",
    "photocredit",
    "legend",
    "legende",
];

/// Text length under which a [`META_TOKENS`] block is removed.
pub(crate) const META_MAX_CHARS: usize = 120;

/// Text length under which a [`CAPTION_TOKENS`] block is removed.
pub(crate) const CAPTION_MAX_CHARS: usize = 300;

/// Whole class names that mean "not rendered".
const HIDDEN_CLASSES: &[&str] = &[
    "hidden",
    "hide",
    "is-hidden",
    "u-hidden",
    "sr-only",
    "visually-hidden",
    "visuallyhidden",
    "screen-reader-text",
    "screen-reader-only",
    "screenreader",
    "off-screen",
    "offscreen",
    "invisible",
    "element-invisible",
    "a11y",
    "assistive-text",
    "show-for-sr",
];

/// Splits class/id text into lower-case tokens (also on camelCase).
#[cfg(test)]
fn tokens(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut buf = String::new();
    for word in s.split_whitespace() {
        for_each_token(word, &mut buf, |t| out.push(t.to_string()));
    }
    out
}

/// Kinds of class/id tokens, as bits.
const OVERLAY: u8 = 1;
const BOILER: u8 = 2;
const META: u8 = 4;
const CAPTION: u8 = 8;

/// Every known token with the kinds it marks.
fn token_kinds() -> &'static HashMap<&'static str, u8> {
    static T: OnceLock<HashMap<&'static str, u8>> = OnceLock::new();
    T.get_or_init(|| {
        let mut m: HashMap<&'static str, u8> = HashMap::new();
        for (list, kind) in [
            (OVERLAY_TOKENS, OVERLAY),
            (BOILER_TOKENS, BOILER),
            (META_TOKENS, META),
            (CAPTION_TOKENS, CAPTION),
        ] {
            for t in list {
                *m.entry(t).or_default() |= kind;
            }
        }
        m
    })
}

/// One automaton for all of [`BOILER_PHRASES`].
fn boiler_phrases() -> &'static AhoCorasick {
    static A: OnceLock<AhoCorasick> = OnceLock::new();
    A.get_or_init(|| AhoCorasick::new(BOILER_PHRASES).expect("static patterns"))
}

/// Calls `f` with each lower-case token of one class/id word (split on
/// non-alphanumerics and camelCase), using `buf` as scratch space.
fn for_each_token(word: &str, buf: &mut String, mut f: impl FnMut(&str)) {
    buf.clear();
    let mut prev_lower = false;
    for ch in word.chars() {
        if ch.is_ascii_alphanumeric() {
            if ch.is_ascii_uppercase() && prev_lower && !buf.is_empty() {
                f(buf);
                buf.clear();
            }
            prev_lower = ch.is_ascii_lowercase() || ch.is_ascii_digit();
            buf.push(ch.to_ascii_lowercase());
        } else {
            if !buf.is_empty() {
                f(buf);
                buf.clear();
            }
            prev_lower = false;
        }
    }
    if !buf.is_empty() {
        f(buf);
    }
}

/// What a node's attributes say about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hint {
    /// Nothing special.
    None,
    /// Not rendered (hidden attribute / style / class).
    Hidden,
    /// Page furniture: share bars, related lists, comments, newsletter
    /// boxes, ads, menus, sidebars, footers...
    Boiler,
    /// A layer over the page: dialog, pop-up, cookie banner, login form.
    Overlay,
    /// Small metadata block (byline, date, tags...).
    Meta,
    /// Caption or credit block.
    Caption,
}

/// Classifies an element by its tag, `hidden`/`style`/`role`/`class`/`id`.
pub(crate) fn hint(node: &NodeRef) -> Hint {
    // One borrow of the element, no attribute copies.
    let Some(el) = node.element_ref() else {
        return Hint::None;
    };
    let name: &str = &el.name.local;
    match name {
        "figcaption" => return Hint::Caption,
        "aside" | "footer" | "nav" | "button" | "select" | "form" | "menu" => {
            return Hint::Boiler;
        }
        "dialog" => return Hint::Overlay,
        _ => {}
    }
    let (mut class, mut id) = ("", "");
    for a in &el.attrs {
        let v: &str = &a.value;
        match &*a.name.local {
            "hidden" => return Hint::Hidden,
            "style" => {
                let st: String = v.to_ascii_lowercase().split_whitespace().collect();
                if st.contains("display:none") || st.contains("visibility:hidden") {
                    return Hint::Hidden;
                }
            }
            "aria-hidden" if v.trim() == "true" => return Hint::Hidden,
            "role" => match &*v.to_ascii_lowercase() {
                "navigation" | "complementary" | "contentinfo" | "banner" | "menu" | "menubar"
                | "toolbar" | "search" | "tablist" => {
                    return Hint::Boiler;
                }
                "dialog" | "alertdialog" => return Hint::Overlay,
                _ => {}
            },
            "class" => class = v,
            "id" => id = v,
            _ => {}
        }
    }
    if class.is_empty() && id.is_empty() {
        return Hint::None;
    }
    if class
        .split_whitespace()
        .any(|c| HIDDEN_CLASSES.iter().any(|h| c.eq_ignore_ascii_case(h)))
    {
        return Hint::Hidden;
    }
    let mut meta = false;
    let mut caption = false;
    let (mut cur, mut joined) = (String::new(), String::new());
    for part in [class, id] {
        for word in part.split_whitespace() {
            let mut kinds = 0u8;
            joined.clear();
            for_each_token(word, &mut cur, |t| {
                kinds |= token_kinds().get(t).copied().unwrap_or(0);
                joined.push_str(t);
            });
            if kinds & OVERLAY != 0 {
                return Hint::Overlay;
            }
            if kinds & BOILER != 0 || boiler_phrases().is_match(&joined) {
                return Hint::Boiler;
            }
            meta |= kinds & META != 0;
            caption |= kinds & CAPTION != 0;
        }
    }
    // Section headings often carry "title" classes; they are article text.
    let heading = matches!(name, "h2" | "h3" | "h4" | "h5" | "h6");
    if caption {
        Hint::Caption
    } else if meta && !heading {
        Hint::Meta
    } else {
        Hint::None
    }
}

/// Tag and classes of an element, leaving out the classes that hide it: a
/// hidden slide or tab panel has the signature of its visible sibling.
pub(crate) fn visible_signature(node: &NodeRef) -> String {
    let mut s = node.node_name().map(|n| n.to_string()).unwrap_or_default();
    if let Some(class) = node.attr("class") {
        let mut classes: Vec<&str> = class
            .split_whitespace()
            .filter(|c| !HIDDEN_CLASSES.iter().any(|h| c.eq_ignore_ascii_case(h)))
            .collect();
        classes.sort_unstable();
        for c in classes {
            s.push('.');
            s.push_str(c);
        }
    }
    s
}

/// Number of characters of text below `node`, runs of whitespace counting
/// as one (computed without building the text).
pub(crate) fn text_len(node: &NodeRef) -> usize {
    node.normalized_char_count()
}

/// Like [`text_len`] but stops counting past `limit` (returns `limit + 1`),
/// so that size checks on large subtrees stay cheap.
pub(crate) fn text_len_capped(node: &NodeRef, limit: usize) -> usize {
    let mut n = 0;
    for d in node.descendants_it() {
        if d.is_text() {
            n += d.normalized_char_count();
            if n > limit {
                return limit + 1;
            }
        }
    }
    n
}

/// Non-whitespace characters of text inside `<a>` elements below `node`
/// (including `node` itself when it is a link).
pub(crate) fn link_text_len(node: &NodeRef) -> usize {
    if node.node_name().is_some_and(|n| &*n == "a") {
        return text_len(node);
    }
    let mut n = 0;
    for d in node.descendants_it() {
        if d.is_element() && d.node_name().is_some_and(|n| &*n == "a") {
            // Skip links nested in links (invalid HTML, but parsers allow it).
            if !d
                .ancestors_it(None)
                .take_while(|a| a.id != node.id)
                .any(|a| a.node_name().is_some_and(|n| &*n == "a"))
            {
                n += text_len(&d);
            }
        }
    }
    n
}

/// Fraction of the text below `node` that is link text (0 when no text).
pub(crate) fn link_density(node: &NodeRef) -> f32 {
    let t = text_len(node);
    if t == 0 {
        0.0
    } else {
        link_text_len(node) as f32 / t as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizer_splits_camel_and_dashes() {
        assert_eq!(
            tokens("relatedArticles most-read"),
            vec!["related", "articles", "most", "read"]
        );
        assert_eq!(tokens("SNS_share"), vec!["sns", "share"]);
    }

    #[test]
    fn classes_name_their_blocks() {
        let d = dom_query::Document::from(
            r#"<div class="editorial-disclaimer">a</div><p class="ad-disclosure">b</p>
            <div class="community-notice">c</div><div class="legend">d</div>
            <div class="b-dialog x-dialog-login">e</div><div class="registration-modal">f</div>
            <div class="o-media js-lightbox-gallery">g</div><div class="paywall">h</div>"#,
        );
        let hints: Vec<Hint> = d
            .select("body > *")
            .nodes()
            .iter()
            .map(|n| hint(n))
            .collect();
        use Hint::*;
        assert_eq!(
            hints,
            vec![
                Boiler, Boiler, Boiler, Caption, Overlay, Overlay, None, None
            ]
        );
    }
}
