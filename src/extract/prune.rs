//! Attribute-driven pruning of boilerplate blocks (used on the whole page
//! before container scoring, and again on the extracted container).
//!
//! Removes hidden elements and blocks whose tag, role, class or id mark them
//! as furniture (share bars, related/teaser lists, newsletter boxes, comment
//! threads, ads, navigation, footers, font-size widgets, "go top" links) and
//! short metadata blocks (captions, credits, bylines, dates, tags). A guard
//! keeps any block that holds a large share of the prose: an article wrapper
//! carrying an unlucky class such as `post has-comments` survives.

use std::cell::RefCell;
use std::collections::HashMap;

use dom_query::{Document, NodeId, NodeRef};

use super::hints::{self, CAPTION_MAX_CHARS, Hint, META_MAX_CHARS};

/// Paragraph text ("prose") statistics used by the guard.
struct Prose {
    /// Total characters in prose paragraphs below the root.
    total: usize,
    /// Prose characters below each ancestor of a prose paragraph.
    below: HashMap<NodeId, usize>,
}

impl Prose {
    /// One pass over the paragraphs below `root`; each prose paragraph adds
    /// its length to all of its ancestors up to `root`.
    fn measure(root: &NodeRef) -> Self {
        let mut below: HashMap<NodeId, usize> = HashMap::new();
        let mut total = 0;
        for d in root.descendants_it() {
            if d.is_element() && d.node_name().is_some_and(|n| &*n == "p") {
                let t = hints::text_len(&d);
                if t >= PROSE_MIN && (hints::link_text_len(&d) as f32) < 0.5 * t as f32 {
                    total += t;
                    *below.entry(d.id).or_default() += t;
                    for a in d.ancestors_it(None) {
                        if a.id == root.id {
                            break;
                        }
                        *below.entry(a.id).or_default() += t;
                    }
                }
            }
        }
        Prose { total, below }
    }

    fn of(&self, node: &NodeRef) -> usize {
        self.below.get(&node.id).copied().unwrap_or(0)
    }
}

/// A run of text counts as prose when it has at least this many characters.
const PROSE_MIN: usize = 80;

/// True when `node` holds enough of the prose that removing it would be
/// more likely to lose the article than to drop boilerplate.
fn holds_prose(node: &NodeRef, prose: &Prose, share: f32) -> bool {
    if prose.total == 0 {
        return hints::text_len_capped(node, 1500) > 1500;
    }
    prose.of(node) as f32 > share * prose.total as f32
}

/// True for a small wrapper around a quoted post: it holds a `<blockquote>`
/// with real text and little else.
fn is_embedded_quote(node: &NodeRef) -> bool {
    let total = hints::text_len_capped(node, 1500);
    if total > 1500 {
        return false;
    }
    node.descendants_it().any(|d| {
        d.is_element() && d.node_name().is_some_and(|n| &*n == "blockquote") && {
            let t = hints::text_len(&d);
            t >= 40 && t * 10 >= total * 7 && hints::link_density(&d) < 0.5
        }
    })
}

/// True for a hidden slide or tab panel: a sibling with the same tag and
/// classes (apart from the hiding class) is shown, so the hidden ones are
/// the other pages of the same gallery or tab set (shown by a script).
fn is_slide(node: &NodeRef) -> bool {
    const NEAR: usize = 30;
    let sig = hints::visible_signature(node);
    let shown = |k: &NodeRef| hints::hint(k) != Hint::Hidden && hints::visible_signature(k) == sig;
    let mut prev = node.prev_element_sibling();
    for _ in 0..NEAR {
        let Some(p) = prev else { break };
        if shown(&p) {
            return true;
        }
        prev = p.prev_element_sibling();
    }
    let mut next = node.next_element_sibling();
    for _ in 0..NEAR {
        let Some(n) = next else { break };
        if shown(&n) {
            return true;
        }
        next = n.next_element_sibling();
    }
    false
}

fn is_heading(n: &NodeRef) -> bool {
    n.node_name()
        .is_some_and(|t| matches!(&*t, "h2" | "h3" | "h4" | "h5" | "h6"))
}

/// A block whose first child is a heading announcing related stories or
/// comments ("You may also like", `class="related-posts-title"`) is such a
/// section as a whole, however much text the teasers inside carry.
fn headed_by_related(node: &NodeRef) -> bool {
    let Some(first) = node.first_element_child() else {
        return false;
    };
    if !is_heading(&first) {
        return false;
    }
    let says = matches!(hints::hint(&first), Hint::Boiler | Hint::Overlay)
        || super::lines::is_section_label(&super::text::squash(&first.text()));
    says && !node
        .descendants_it()
        .any(|d| d.is_element() && d.node_name().is_some_and(|n| &*n == "h1"))
}

fn should_remove(node: &NodeRef, prose: &Prose, paras: &Paras) -> bool {
    if headed_by_related(node) {
        return true;
    }
    match hints::hint(node) {
        Hint::None => false,
        Hint::Hidden => !holds_prose(node, prose, 0.3) && !is_slide(node),
        // A pop-up or login form may hold more prose than a short article;
        // only a wrapper of (nearly) the whole page is kept.
        Hint::Overlay => !holds_prose(node, prose, 0.8),
        Hint::Caption => {
            hints::text_len_capped(node, CAPTION_MAX_CHARS) <= CAPTION_MAX_CHARS
                && count_tag(node, "p") <= 1
                && !holds_prose(node, prose, 0.1)
        }
        Hint::Meta => {
            let len = hints::text_len_capped(node, META_MAX_CHARS);
            len <= META_MAX_CHARS
                && count_tag(node, "p") <= 1
                && !holds_prose(node, prose, 0.1)
                && !starts_a_sentence(node, len, paras)
        }
        Hint::Boiler => {
            if is_embedded_quote(node) {
                // Embedded posts (tweets, Instagram captions) wrapped in
                // "social-embed" containers are quoted article content. Drop
                // the misleading class so the scorer does not discard it.
                node.remove_attr("class");
                node.remove_attr("id");
                return false;
            }
            // Little prose: furniture. Most of the prose: the article wrapper
            // with an unlucky class. In between, links decide.
            if !holds_prose(node, prose, 0.25) {
                return true;
            }
            if holds_prose(node, prose, 0.5) {
                return false;
            }
            hints::link_density(node) > 0.5
        }
    }
}

/// True for an inline element that opens or sits inside a longer run of
/// text (`<p><span class="dateline">KOBE –</span> A total of…</p>`): a
/// dateline or a date within a sentence is part of the text.
fn starts_a_sentence(node: &NodeRef, len: usize, paras: &Paras) -> bool {
    let inline = node.node_name().is_some_and(|n| {
        matches!(
            &*n,
            "span" | "a" | "em" | "strong" | "b" | "i" | "small" | "time"
        )
    });
    inline
        && node.parent().is_some_and(|p| {
            let limit = 2 * len + 40;
            p.node_name().is_some_and(|n| &*n == "p") && paras.len_above(&p, limit) > limit
        })
}

fn count_tag(node: &NodeRef, tag: &str) -> usize {
    node.descendants_it()
        .filter(|d| d.is_element() && d.node_name().is_some_and(|n| &*n == tag))
        .count()
}

/// Prunes boilerplate below `root` (never `root` itself).
pub(crate) fn prune_below(root: &NodeRef) {
    prune_unseen(root);
    let prose = Prose::measure(root);
    walk_removing(root, |n, paras| should_remove(n, &prose, paras));
}

/// Removes the layers a reader does not see (hidden elements, dialogs,
/// login forms). They go first, so that the prose shares the other layers
/// are judged by are shares of what a reader sees.
fn prune_unseen(root: &NodeRef) {
    let prose = Prose::measure(root);
    walk_removing(root, |n, paras| {
        matches!(hints::hint(n), Hint::Hidden | Hint::Overlay) && should_remove(n, &prose, paras)
    });
}

/// The text lengths of the `<p>`s open during a [`walk_removing`] (the
/// ones the walk is inside), kept current as elements below them are
/// removed, so that each is measured once however many of its children ask
/// (a `<p>` with 99k date `<span>`s).
#[derive(Default)]
struct Paras {
    /// Innermost last.
    open: RefCell<Vec<OpenPara>>,
}

struct OpenPara {
    id: NodeId,
    /// Characters removed below it so far.
    removed: usize,
    /// Its length when first asked for, and `removed` then.
    measured: Option<(usize, usize)>,
}

impl Paras {
    /// The characters of `p` as [`hints::text_len_capped`] counts them when
    /// that is at most `limit`, else some count above `limit`.
    fn len_above(&self, p: &NodeRef, limit: usize) -> usize {
        let mut open = self.open.borrow_mut();
        let Some(top) = open.last_mut().filter(|o| o.id == p.id) else {
            return hints::text_len_capped(p, limit);
        };
        let (len, removed) = *top
            .measured
            .get_or_insert_with(|| (full_len(p), top.removed));
        len.saturating_sub(top.removed - removed)
    }

    fn enter(&self, p: &NodeRef) {
        self.open.borrow_mut().push(OpenPara {
            id: p.id,
            removed: 0,
            measured: None,
        });
    }

    /// Leaves the innermost open `<p>`; what was removed below it was
    /// removed below the one around it too.
    fn leave(&self) {
        let mut open = self.open.borrow_mut();
        if let Some(done) = open.pop()
            && let Some(outer) = open.last_mut()
        {
            outer.removed += done.removed;
        }
    }

    fn removing(&self, node: &NodeRef) {
        if let Some(top) = self.open.borrow_mut().last_mut() {
            top.removed += full_len(node);
        }
    }
}

/// [`hints::text_len_capped`] without a cap.
fn full_len(node: &NodeRef) -> usize {
    hints::text_len_capped(node, usize::MAX - 1)
}

/// Depth-first over the elements below `root`, removing those `remove`
/// accepts (and not descending into them).
fn walk_removing(root: &NodeRef, remove: impl Fn(&NodeRef, &Paras) -> bool) {
    enum Step<'a> {
        Enter(NodeRef<'a>),
        /// The end of an open `<p>`.
        Leave,
    }
    let paras = Paras::default();
    let mut stack: Vec<Step> = root
        .element_children()
        .into_iter()
        .map(Step::Enter)
        .collect();
    stack.reverse();
    let mut steps = 0usize;
    while let Some(step) = stack.pop() {
        let Step::Enter(node) = step else {
            paras.leave();
            continue;
        };
        steps += 1;
        if steps > 200_000 {
            break;
        }
        if remove(&node, &paras) {
            paras.removing(&node);
            node.remove_from_parent();
            continue;
        }
        if node.node_name().is_some_and(|n| &*n == "p") {
            paras.enter(&node);
            stack.push(Step::Leave);
        }
        let mut kids = node.element_children();
        kids.reverse();
        stack.extend(kids.into_iter().map(Step::Enter));
    }
}

/// Embedded posts (tweets etc.) are blockquotes whose permalinks and
/// shortened URLs are links; the container scorer treats such link density as
/// navigation and drops them. Quoted text is content, so links inside
/// substantial blockquotes are unwrapped (their text stays).
fn unlink_quotes(root: &NodeRef) {
    for q in root.descendants() {
        if !(q.is_element() && q.node_name().is_some_and(|n| &*n == "blockquote")) {
            continue;
        }
        let t = hints::text_len(&q);
        if t >= 40 && hints::link_density(&q) < 0.6 {
            // Replaces each <a> by its children (`unwrap_node` would remove
            // the link's *parent* instead).
            q.strip_elements(&["a"]);
        }
    }
}

/// Pre-cleans the whole page (the `<body>`) before container scoring.
pub(crate) fn prune_page(doc: &Document, layers: super::Layers) {
    let body = doc.select("body");
    if let Some(b) = body.nodes().first() {
        unlink_quotes(b);
        if layers.teasers {
            super::teasers::remove_card_groups(b, 3);
        }
        if layers.pre_prune {
            prune_below(b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pruned(html: &str) -> String {
        let d = Document::from(html);
        let body = d.select("body").nodes()[0];
        prune_below(&body);
        super::super::text::squash(&body.text())
    }

    #[test]
    fn a_date_in_a_sentence_stays_and_the_paragraph_shrinks_as_dates_go() {
        let rest = " A total of twelve new night lines will run from the spring, the council said on Tuesday after the vote.";
        assert_eq!(
            pruned(&format!(
                r#"<body><p><span class="dateline">KOBE –</span>{rest}</p></body>"#
            )),
            format!("KOBE –{rest}")
        );
        // The first date is too long for this short paragraph and goes; the
        // second is judged by what is left of the paragraph, not by the
        // paragraph as it was.
        assert_eq!(
            pruned(
                r#"<body><p><span class="date">Tuesday 12 March 2024, 10:30 am</span><span class="date">Today</span> The council met.</p></body>"#
            ),
            "The council met."
        );
    }
}
