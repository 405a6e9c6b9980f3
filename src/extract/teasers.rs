//! Repeated-structure detection: teaser cards ("related stories", "more from",
//! river-of-news blocks) are removed as a group.
//!
//! A *card* is a small block (an `article`, `li`, `div`...) whose headline is
//! a link and whose whole text is short. Siblings sharing the same tag and
//! class signature form a group; a group of enough cards is boilerplate even
//! when no class name says so.

use std::collections::HashMap;

use dom_query::NodeRef;

use super::hints;

/// Largest text (non-whitespace chars) a card may have.
const CARD_MAX_CHARS: usize = 450;

fn is_heading(n: &NodeRef) -> bool {
    n.node_name()
        .is_some_and(|t| matches!(&*t, "h1" | "h2" | "h3" | "h4" | "h5" | "h6"))
}

/// True when `n` looks like a teaser card: short text, and a heading (or a
/// first block) that is essentially one link.
fn is_card(n: &NodeRef) -> bool {
    let Some(name) = n.node_name() else {
        return false;
    };
    if !matches!(&*name, "article" | "li" | "div" | "section" | "figure") {
        return false;
    }
    let len = hints::text_len_capped(n, CARD_MAX_CHARS);
    if len == 0 || len > CARD_MAX_CHARS {
        return false;
    }
    n.descendants_it()
        .filter(|d| d.is_element() && is_heading(d))
        .any(|h| {
            let hl = hints::text_len(&h);
            hl >= 10 && hints::link_text_len(&h) as f32 >= 0.7 * hl as f32
        })
}

fn signature(n: &NodeRef) -> String {
    let mut s = n.node_name().map(|t| t.to_string()).unwrap_or_default();
    if let Some(c) = n.attr("class") {
        s.push('.');
        // Ignore per-item variants such as "card--3" by dropping digits.
        s.extend(c.chars().filter(|c| !c.is_ascii_digit()));
    }
    s
}

/// Removes groups of sibling teaser cards below `root`. `min_group` is the
/// number of same-signature cards required (`article` cards need one less).
pub(crate) fn remove_card_groups(root: &NodeRef, min_group: usize) {
    let mut stack = vec![*root];
    let mut steps = 0usize;
    while let Some(node) = stack.pop() {
        steps += 1;
        if steps > 100_000 {
            break;
        }
        let kids = node.element_children();
        if kids.len() >= 2 {
            let mut groups: HashMap<String, Vec<usize>> = HashMap::new();
            let mut card = vec![false; kids.len()];
            for (i, k) in kids.iter().enumerate() {
                if is_card(k) {
                    card[i] = true;
                    groups.entry(signature(k)).or_default().push(i);
                }
            }
            for (sig, idx) in &groups {
                let need = if sig.starts_with("article") {
                    min_group.saturating_sub(1).max(2)
                } else {
                    min_group
                };
                if idx.len() >= need {
                    for &i in idx {
                        kids[i].remove_from_parent();
                    }
                }
            }
            for (i, k) in kids.iter().enumerate() {
                if (!card[i]
                    || !groups
                        .values()
                        .any(|g| g.contains(&i) && g.len() >= min_group))
                    && k.parent().is_some()
                {
                    stack.push(*k);
                }
            }
        } else {
            stack.extend(kids);
        }
    }
}
