//! Post-cleaning of the container chosen by dom_smoothie.
//!
//! Layers, in order:
//! 1. tracking images out;
//! 2. for a site-rule body only (the generic path pruned the whole page
//!    before scoring): teaser-card groups and attribute hints;
//! 3. the title repeated as a heading;
//! 4. boilerplate lines by text ([`super::lines`]): share rows, font-size
//!    widgets, credits, bylines, date lines, "Top 10 Stories"-style labels, and
//!    the link-dense blocks that follow such labels;
//! 5. link-dense lists/blocks and link-only headline paragraphs;
//! 6. the tail: trailing link-dense or short unpunctuated lines after the last
//!    prose paragraph;
//! 7. empty wrappers.

use dom_query::NodeRef;

use super::hints::{link_density, text_len};
use super::text::{is_block, squash};
use super::{lines, prune, sanitize, teasers};

fn name_of(n: &NodeRef) -> String {
    n.node_name().map(|s| s.to_string()).unwrap_or_default()
}

/// Collects leaf blocks below `n` into `out`; returns whether the subtree
/// of `n` (including `n`) contains a block element.
fn collect_leaves<'a>(n: &NodeRef<'a>, is_root: bool, out: &mut Vec<NodeRef<'a>>) -> bool {
    let mark = out.len();
    let mut any_block_below = false;
    for k in n.element_children() {
        any_block_below |= collect_leaves(&k, false, out);
    }
    let self_block = n.node_name().is_some_and(|t| is_block(&t));
    if !any_block_below && self_block && !is_root {
        out.truncate(mark);
        out.push(*n);
    }
    any_block_below || self_block
}

/// Leaf blocks (block elements with no block descendants), document order.
fn leaf_blocks<'a>(root: &NodeRef<'a>) -> Vec<NodeRef<'a>> {
    let mut out = Vec::new();
    collect_leaves(root, true, &mut out);
    out
}

fn attached(n: &NodeRef, root: &NodeRef) -> bool {
    n.ancestors_it(None).any(|a| a.id == root.id)
}

/// True when `n` is a paragraph of prose: long enough, punctuated, not links.
fn is_prose(n: &NodeRef) -> bool {
    let t = squash(&n.text());
    let len = t.chars().count();
    len >= 60 && link_density(n) < 0.5 && !lines::is_boiler_line(&t)
}

fn remove_title(root: &NodeRef, title: Option<&str>) {
    let Some(title) = title else { return };
    let key = lines::label_key(title);
    if key.is_empty() {
        return;
    }
    for h in root.descendants() {
        if h.is_element() && matches!(name_of(&h).as_str(), "h1" | "h2") {
            let t = lines::label_key(&squash(&h.text()));
            if !t.is_empty() && (t == key || (t.chars().count() >= 20 && key.contains(&t))) {
                h.remove_from_parent();
            }
        }
    }
}

fn remove_following_links(start: &NodeRef) {
    let mut next = start.next_element_sibling();
    let mut n = 0;
    while let Some(sib) = next {
        next = sib.next_element_sibling();
        let tl = text_len(&sib);
        if tl == 0 {
            continue;
        }
        if link_density(&sib) > 0.4 && !is_prose_heavy(&sib) {
            sib.remove_from_parent();
            n += 1;
            if n >= 4 {
                break;
            }
        } else {
            break;
        }
    }
}

fn is_prose_heavy(n: &NodeRef) -> bool {
    text_len(n) > 1200
}

const LINK_ONLY_P: bool = false;

fn line_pass(root: &NodeRef) {
    for leaf in leaf_blocks(root) {
        if !attached(&leaf, root) {
            continue;
        }
        let t = squash(&leaf.text());
        if t.is_empty() {
            continue;
        }
        if lines::is_label(&t) {
            // A label inside an otherwise empty wrapper: the wrapper's next
            // siblings are the list it introduces.
            let mut anchor = leaf;
            while anchor.next_element_sibling().is_none() {
                match anchor.parent() {
                    Some(p) if p.id != root.id && text_len(&p) == text_len(&leaf) => anchor = p,
                    _ => break,
                }
            }
            remove_following_links(&anchor);
            anchor.remove_from_parent();
            continue;
        }
        if lines::is_boiler_line(&t) {
            leaf.remove_from_parent();
            continue;
        }
        // A paragraph that is one headline-like link ("READ: ...").
        let n = t.chars().count();
        if LINK_ONLY_P
            && name_of(&leaf) == "p"
            && (25..200).contains(&n)
            && link_density(&leaf) > 0.8
        {
            leaf.remove_from_parent();
        }
    }
}

fn link_dense_blocks(root: &NodeRef) {
    let mut stack = root.element_children();
    while let Some(n) = stack.pop() {
        let name = name_of(&n);
        if matches!(
            name.as_str(),
            "ul" | "ol"
                | "dl"
                | "table"
                | "div"
                | "section"
                | "nav"
                | "aside"
                | "header"
                | "footer"
                | "figure"
        ) {
            let tl = text_len(&n);
            // Short lists of links (e.g. "buy" links in a deals post) are content;
            // a related list has several headline-length items.
            let list_ok = !matches!(name.as_str(), "ul" | "ol") || {
                let items = n.element_children().len();
                items >= 3 && tl / items.max(1) >= 15
            };
            if tl > 0 && list_ok && link_density(&n) > 0.5 && tl < 3000 {
                n.remove_from_parent();
                continue;
            }
        }
        stack.extend(n.element_children());
    }
}

fn tail_prune(root: &NodeRef) {
    let leaves = leaf_blocks(root);
    for leaf in leaves.iter().rev().take(12) {
        if !attached(leaf, root) {
            continue;
        }
        let t = squash(&leaf.text());
        if t.is_empty() {
            continue;
        }
        if is_prose(leaf) {
            break;
        }
        if lines::is_sign_off(&t) {
            continue;
        }
        let punct = t.ends_with(['.', '!', '?', '"', '”', '’', '\'', ')', '…', '。', '다']);
        let short_line = t.chars().count() < 80
            && !punct
            && !matches!(name_of(leaf).as_str(), "li" | "dd" | "dt" | "td");
        if link_density(leaf) > 0.5 || lines::is_boiler_line(&t) || short_line {
            leaf.remove_from_parent();
        } else {
            break;
        }
    }
}

/// Removes wrappers left empty by the layers above. Children are visited
/// before parents, so a wrapper is empty when all that is left in it is
/// whitespace text.
fn remove_empty(root: &NodeRef) {
    for n in root.descendants().into_iter().rev() {
        if !n.is_element() {
            continue;
        }
        let name = name_of(&n);
        if matches!(
            name.as_str(),
            "p" | "div"
                | "section"
                | "span"
                | "li"
                | "ul"
                | "ol"
                | "figure"
                | "header"
                | "footer"
                | "article"
                | "blockquote"
        ) && n.children_it(false).all(|c| {
            c.is_text() && c.normalized_char_count() <= 1 && c.text().trim().is_empty()
                || c.is_comment()
        }) {
            n.remove_from_parent();
        }
    }
}

/// Cleans the extracted article (the subtree below `root`) in place.
///
/// `hint_prune`: also run the teaser-group and attribute-hint layers (needed
/// when the page was not pruned before, i.e. for a site-rule body; on the
/// generic path they were applied to the whole page and rarely find more).
pub(crate) fn clean(root: &NodeRef, title: Option<&str>, layers: super::Layers, hint_prune: bool) {
    sanitize::drop_tracking_images(root);
    let root = *root;
    if layers.teasers && hint_prune {
        teasers::remove_card_groups(&root, 3);
    }
    if layers.post_prune && hint_prune {
        prune::prune_below(&root);
    }
    remove_title(&root, title);
    if layers.lines {
        line_pass(&root);
    }
    if layers.link_blocks {
        link_dense_blocks(&root);
    }
    if layers.tail {
        tail_prune(&root);
    }
    remove_empty(&root);
}
