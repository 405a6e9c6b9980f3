//! A second opinion on where the article is.
//!
//! dom_smoothie (Readability) scores paragraphs by commas and length and
//! picks one container plus related siblings. Leads, standfirsts and sections
//! outside that container are lost, and on short or untypical pages it may
//! find nothing. Here the pruned page is segmented into classified blocks
//! ([`super::blocks`]): dom_smoothie's container is located among them and
//! widened to the ancestors that add prose (and little else) next to it; when
//! dom_smoothie found nothing, the element with the most prose net of links
//! is taken instead.

use std::collections::{HashMap, HashSet};

use dom_query::{Document, NodeRef};

use super::Cleaned;
use super::blocks::{Class, Page, Sums};
use super::text::squash;

/// Picks the body: dom_smoothie's cleaned `container`, or a wider or other
/// element of the pruned page `doc`, cleaned by `clean`.
pub(crate) fn choose(
    doc: &Document,
    container: Option<Cleaned>,
    clean: impl Fn(&str) -> Option<Cleaned>,
) -> Option<Cleaned> {
    let body = doc.select("body");
    let Some(root) = body.nodes().first().copied() else {
        return container;
    };
    let page = Page::new(&root);
    let Some(c) = container else {
        let (id, _) = page.best_region()?;
        return clean(&NodeRef::new(id, &doc.tree).html());
    };
    let Some(Seed {
        node: seed,
        good: ds_good,
        good_places,
    }) = seed(&page, doc, &c.text)
    else {
        return Some(c);
    };
    // A short container next to a much larger island of prose elsewhere:
    // dom_smoothie took a teaser, a box or a description for the article.
    // An island that holds the container is left to the widening below
    // (which keeps comment threads out), unless it repeats the container's
    // prose elsewhere: a product page's short description above the full
    // one.
    if ds_good < SHORT_CONTAINER
        && let Some((id, _)) = page.best_region()
    {
        let r = page.ranges[&id];
        let s = page.ranges[&seed.id];
        let holds_seed = r.0 <= s.0 && s.1 <= r.1;
        let inside = |i: usize, (a, b): (usize, usize)| a <= i && i < b;
        let repeats = !good_places.is_empty()
            && good_places
                .iter()
                .all(|ix| ix.iter().any(|&i| inside(i, r) && !inside(i, s)));
        let region_good = page.sums(r).good;
        // Measured against the container's prose, or half its text when it
        // holds lists or tables rather than prose (a recipe, a spec sheet).
        let held = ds_good.max(c.text.chars().count() as i64 / 2).max(1);
        let island = NodeRef::new(id, &doc.tree);
        if region_good >= 3 * held && (repeats || !holds_seed) && !is_item_list(&page, &island) {
            return clean(&island.html()).or(Some(c));
        }
    }
    let (before, after) = widen(&page, seed, root.id);
    if before.is_empty() && after.is_empty() {
        return Some(c);
    }
    let mut html = String::new();
    for n in &before {
        strip_links(&page, doc, n);
        html.push_str(&n.html());
    }
    html.push_str("<div>");
    html.push_str(&c.html);
    html.push_str("</div>");
    for n in &after {
        strip_links(&page, doc, n);
        html.push_str(&n.html());
    }
    clean(&html).or(Some(c))
}

/// True when most of the prose below `node` sits in repeated items (siblings
/// of one tag and class, each with several blocks): a comment thread, a list
/// of testimonials, teasers or article cards, not an article, whose
/// paragraphs are single blocks.
fn is_item_list(page: &Page, node: &NodeRef) -> bool {
    let total = page.ranges.get(&node.id).map_or(0, |&r| page.sums(r).good);
    item_group_good(page, node.element_children().into_iter()) * 5 >= total.max(1) * 3
}

/// The prose held by the largest group (three or more) of repeated
/// multi-block items among `kids`.
fn item_group_good<'a>(page: &Page, kids: impl Iterator<Item = NodeRef<'a>>) -> i64 {
    let mut by_sig: HashMap<String, (usize, i64)> = HashMap::new();
    for k in kids {
        let Some(&(s, e)) = page.ranges.get(&k.id) else {
            continue;
        };
        if e - s < 2 {
            continue;
        }
        let sig = format!(
            "{}.{}",
            k.node_name().unwrap_or_default(),
            k.attr("class").unwrap_or_default()
        );
        let entry = by_sig.entry(sig).or_default();
        entry.0 += 1;
        entry.1 += page.sums((s, e)).good;
    }
    by_sig
        .values()
        .filter(|&&(n, _)| n >= 3)
        .map(|&(_, good)| good)
        .max()
        .unwrap_or(0)
}

/// True when the first block below `node` is a heading that is not a link
/// (a section of the text, not a card or a comment).
fn opens_with_heading(page: &Page, node: &NodeRef) -> bool {
    page.ranges
        .get(&node.id)
        .and_then(|&(s, e)| page.blocks[s..e].first())
        .is_some_and(|b| b.heading && b.link_len * 2 < b.len)
}

/// The prose of the largest group of repeated items anywhere below `node`.
fn items_below(page: &Page, node: &NodeRef) -> i64 {
    let mut best = 0;
    let mut stack = vec![*node];
    while let Some(n) = stack.pop() {
        let kids = n.element_children();
        if kids.len() >= 3 {
            best = best.max(item_group_good(page, kids.iter().copied()));
        }
        stack.extend(
            kids.into_iter()
                .filter(|k| page.ranges.get(&k.id).is_some_and(|&(s, e)| e - s >= 2)),
        );
    }
    best
}

/// Where dom_smoothie's container sits among the page's blocks.
struct Seed<'a> {
    /// The smallest element holding its blocks.
    node: NodeRef<'a>,
    /// The prose it kept (characters of good blocks).
    good: i64,
    /// For each prose block it kept, every block of the page with that text.
    good_places: Vec<Vec<usize>>,
}

/// Prose (characters of good blocks) under which dom_smoothie's container is
/// checked against the page's largest island of prose.
const SHORT_CONTAINER: i64 = 1000;

/// The smallest element of the page holding the blocks that dom_smoothie
/// kept (its prose blocks when it kept any), and the prose they hold.
fn seed<'a>(page: &Page, doc: &'a Document, text: &str) -> Option<Seed<'a>> {
    let mut index: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, b) in page.blocks.iter().enumerate() {
        index.entry(b.text.as_str()).or_default().push(i);
    }
    // Texts found once on the page place the container; a text repeated
    // elsewhere (a description shown twice) would stretch it.
    let mut unique: Vec<usize> = Vec::new();
    let mut repeated: Vec<usize> = Vec::new();
    let mut good = 0;
    let mut good_places = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    for para in text.split("\n\n") {
        if let Some((key, ix)) = index.get_key_value(squash(para).as_str())
            && seen.insert(key)
        {
            let b = &page.blocks[ix[0]];
            if b.class == Class::Good {
                good += b.len as i64;
                good_places.push(ix.clone());
            }
            if ix.len() == 1 {
                unique.push(ix[0]);
            } else {
                repeated.extend(ix);
            }
        }
    }
    // Its prose blocks place it, unless it is mostly something else (a
    // reference list, a spec table) that the prose would not reach.
    let is_good = |i: &usize| page.blocks[*i].class == Class::Good;
    let len = |set: &[usize]| set.iter().map(|&i| page.blocks[i].len).sum::<usize>();
    let pick: Vec<usize> = [&unique, &repeated]
        .iter()
        .flat_map(|set| {
            let g: Vec<usize> = set.iter().copied().filter(is_good).collect();
            if len(&g) * 4 < len(set) {
                [set.to_vec(), g]
            } else {
                [g, set.to_vec()]
            }
        })
        .find(|v| !v.is_empty())?;
    let lo = *pick.iter().min()?;
    let hi = *pick.iter().max()?;
    let mut node = NodeRef::new(page.blocks[lo].node, &doc.tree);
    loop {
        if let Some(&(s, e)) = page.ranges.get(&node.id)
            && s <= lo
            && hi < e
        {
            return Some(Seed {
                node,
                good,
                good_places,
            });
        }
        node = node.parent()?;
    }
}

/// Climbs from `seed` while each step adds prose next to it. At each step the
/// siblings of the element reached so far are sorted: those without prose go
/// when they carry links or lie outside the prose (a date line above the
/// body, a "more on this" line below it). What is left must add prose with
/// fewer links than prose: before the body any amount (a lead, a
/// standfirst), after it only a substantial part (a second half after an
/// ad, not an author box or a pitch), and in all not more than half again the
/// prose already held (a bigger island is another text: comments, a pop-up,
/// the next article). Steps that add nothing are taken too.
///
/// Returns the siblings added before and after the seed, in document order
/// (empty when no step added prose).
fn widen<'a>(
    page: &Page,
    seed: NodeRef<'a>,
    root: dom_query::NodeId,
) -> (Vec<NodeRef<'a>>, Vec<NodeRef<'a>>) {
    let mut cur = seed;
    // Kept siblings per step, innermost step first.
    let mut steps: Vec<(Vec<NodeRef<'a>>, Vec<NodeRef<'a>>)> = Vec::new();
    let mut useful = 0;
    let sums_of = |n: &NodeRef| page.ranges.get(&n.id).map(|&r| (r, page.sums(r)));
    while let Some(parent) = cur.parent() {
        if parent.id == root {
            break;
        }
        let Some((_, inner)) = sums_of(&cur) else {
            break;
        };
        let kids = parent.element_children();
        let Some(at) = kids.iter().position(|k| k.id == cur.id) else {
            break;
        };
        let good: Vec<bool> = kids
            .iter()
            .map(|k| sums_of(k).is_some_and(|(_, s)| s.good > 0))
            .collect();
        let first = good.iter().position(|&g| g).unwrap_or(at).min(at);
        let last = good.iter().rposition(|&g| g).unwrap_or(at).max(at);
        // Per side: the siblings kept and their totals.
        let side = |range: std::ops::Range<usize>| {
            let mut sums = Sums::default();
            let mut kept = Vec::new();
            for i in range {
                let Some((r, s)) = sums_of(&kids[i]) else {
                    continue;
                };
                let prose = good[i] && s.links * 2 <= s.good;
                if r.0 < r.1 && (prose || (s.links == 0 && first < i && i < last)) {
                    sums = sums + s;
                    kept.push(kids[i]);
                }
            }
            (sums, kept)
        };
        let (before, kept_before) = side(0..at);
        let (after, kept_after) = side(at + 1..kids.len());
        // Repeated items after the body (comments, cards, the next articles
        // of a list) are another text, not more of this one; sections that
        // each open with their own heading are more of it.
        let items = |kept: &[NodeRef<'a>]| {
            let sections = kept.iter().all(|k| opens_with_heading(page, k));
            if sections {
                return 0;
            }
            let group = item_group_good(page, kept.iter().copied().chain([cur]))
                - inner.good.min(item_group_good(page, [cur].into_iter()));
            kept.iter()
                .map(|k| items_below(page, k))
                .fold(group.max(0), i64::max)
        };
        // Siblings built like the body's own element (the other slides of a
        // gallery, the other rows of a page builder, the other paragraph
        // components of a CMS) are its peers: they continue it whatever
        // their number or size.
        // (Bare tags are too common to tell: layout table rows, plain divs.)
        let sig = super::hints::visible_signature(&cur);
        let peers = sig.contains('.')
            && !kept_after.is_empty()
            && kept_after
                .iter()
                .all(|k| super::hints::visible_signature(k) == sig);
        let ok_before = before.good > 0 && before.links * 2 <= before.good;
        let enough = if peers { 1 } else { (inner.good / 4).max(300) };
        let ok_after = after.good >= enough
            && after.links * 4 <= after.good
            && items(&kept_after) * 5 < after.good * 3;
        let added = if ok_before { before.good } else { 0 }
            + if ok_after && !peers { after.good } else { 0 };
        // Measured against the prose held, or half the text when that is
        // mostly lists or tables (a reference list, a spec sheet).
        if added > inner.good.max(inner.len / 2) * 3 {
            break;
        }
        let neutral = before.good == 0 && after.good == 0 && before.links == 0 && after.links == 0;
        if !(ok_before || ok_after || neutral) {
            break;
        }
        steps.push((
            if ok_before { kept_before } else { Vec::new() },
            if ok_after { kept_after } else { Vec::new() },
        ));
        if ok_before || ok_after {
            useful = steps.len();
        }
        cur = parent;
    }
    steps.truncate(useful);
    let mut before = Vec::new();
    let mut after = Vec::new();
    for (b, _) in steps.iter().rev() {
        before.extend(b.iter().copied());
    }
    for (_, a) in &steps {
        after.extend(a.iter().copied());
    }
    (before, after)
}

/// Removes from an added sibling the blocks that are mostly links and hold
/// no prose below them (a breadcrumb or kicker link above a lead).
fn strip_links(page: &Page, doc: &Document, node: &NodeRef) {
    let Some(&(s, e)) = page.ranges.get(&node.id) else {
        return;
    };
    // The element children of each owner met, with their block ranges and
    // (once asked for) their text, and how far the scan has come: blocks
    // come in order, so each child's text is built at most once.
    let mut kids: HashMap<dom_query::NodeId, (Vec<Kid>, usize)> = HashMap::new();
    for (j, b) in page.blocks.iter().enumerate().take(e).skip(s) {
        if !(b.class == Class::Bad && b.link_len * 2 > b.len) {
            continue;
        }
        let owner = NodeRef::new(b.node, &doc.tree);
        let holds_prose = b.node == node.id
            || page
                .ranges
                .get(&b.node)
                .is_some_and(|&r| page.sums(r).good > 0);
        if !holds_prose {
            owner.remove_from_parent();
            continue;
        }
        // Inline text of an element that also holds prose: drop the child
        // that is exactly this block (`<a class="kicker">City</a>`). Only
        // the children whose blocks reach this one can be it (an inline
        // child of the block has the empty range `(j, j)`).
        let (list, pos) = kids.entry(b.node).or_insert_with(|| {
            let list = owner
                .element_children()
                .into_iter()
                .filter_map(|k| {
                    let range = *page.ranges.get(&k.id)?;
                    Some(Kid {
                        node: k,
                        range,
                        text: None,
                    })
                })
                .collect();
            (list, 0)
        });
        while *pos < list.len() && list[*pos].range.1 < j {
            *pos += 1;
        }
        for kid in &mut list[*pos..] {
            if kid.range.0 > j {
                break;
            }
            if kid.node.parent().is_none_or(|p| p.id != b.node) {
                continue;
            }
            if kid.text.get_or_insert_with(|| squash(&kid.node.text())) == &b.text {
                kid.node.remove_from_parent();
                break;
            }
        }
    }
}

/// A child element of a block's owner, for [`strip_links`].
struct Kid<'a> {
    node: NodeRef<'a>,
    range: (usize, usize),
    text: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const P1: &str = "The proposal, published on Tuesday, would add six night lines linking the centre with the outer districts, where many shift workers live and where the last trains leave early.";
    const P2: &str = "Officials said the network would cost about four million a year to run, and that the money would come from the parking charges that were raised last autumn after a long debate.";
    const P3: &str = "Residents have until the end of April to comment on the routes, and the council will hold two public meetings in the town hall, one of them on a Saturday morning.";

    fn text_of(html: &str) -> Option<Cleaned> {
        let d = Document::from(html);
        let text = super::super::text::node_text(d.select("body").nodes().first()?);
        (!text.is_empty()).then(|| Cleaned {
            html: html.to_string(),
            text,
        })
    }

    fn container(paras: &[&str]) -> Option<Cleaned> {
        text_of(
            &paras
                .iter()
                .map(|p| format!("<p>{p}</p>"))
                .collect::<String>(),
        )
    }

    #[test]
    fn standfirst_before_the_body_is_added_author_box_after_it_is_not() {
        let lead = "The council wants buses to run every half hour after midnight on the busiest routes, and it has asked residents which lines should come first before the vote.";
        let bio = "Jane Doe has covered city hall for the paper since 2019 and writes about housing, transport and the budget; she lives in the old town with her two children.";
        let html = format!(
            r#"<body><nav><a href="/">Home</a> <a href="/city">City</a></nav>
            <article><header><a href="/city">City</a><h1>Night buses</h1><p>{lead}</p></header>
            <div class="body"><p>{P1}</p><p>{P2}</p><p>{P3}</p></div>
            <div class="writer"><p>{bio}</p></div></article>
            <ul><li><a href="/a">Storm closes the harbour for two days</a></li><li><a href="/b">New library opens in the old post office</a></li></ul></body>"#
        );
        let doc = Document::from(html.as_str());
        let out = choose(&doc, container(&[P1, P2, P3]), text_of).unwrap();
        assert!(out.text.contains(lead), "{}", out.text);
        assert!(!out.text.starts_with("City"), "{}", out.text);
        assert!(out.text.contains(P3), "{}", out.text);
        assert!(!out.text.contains("Jane Doe"), "{}", out.text);
        assert!(!out.text.contains("Storm closes"), "{}", out.text);
    }

    #[test]
    fn nothing_found_falls_back_to_the_prose() {
        let html = r#"<body><div class="menu"><a href="/">Accueil</a> <a href="/actus">Actualités</a></div>
            <article><h1>La porte-parole invitée</h1><p>La porte-parole de l'association était l'invitée de la radio ce matin pour parler du lancement de la campagne et de la pétition.</p></article>
            <div><ul><li><a href="/x">Article du 31 octobre</a></li><li><a href="/y">Vidéo du 3 juillet</a></li></ul></div></body>"#;
        let doc = Document::from(html);
        let out = choose(&doc, None, text_of).unwrap();
        assert!(out.text.contains("était l'invitée"), "{}", out.text);
        assert!(!out.text.contains("Vidéo du"), "{}", out.text);
    }

    #[test]
    fn short_teaser_gives_way_to_the_description() {
        let teaser = "Im Glas ein zartes Rosa, in der Nase rote Beeren und ein Hauch von Muskat.";
        let d = [
            "Das Weingut gehört zu den traditionsreichen Häusern im Napa Valley und wurde schon im neunzehnten Jahrhundert von zwei Brüdern gegründet, die aus dem Rheingau kamen.",
            "Dieser Rosé ist ein ausgewogener Sommerwein, der mit seiner feinen Süße und den frischen Aromen von Erdbeeren vor allem auf der Terrasse viele Freunde findet.",
            "Besonders gut passt er zu asiatischen Gerichten mit etwas Schärfe, zu Salaten mit Früchten und zu leichten Desserts, wobei er gut gekühlt serviert werden sollte.",
        ];
        let html = format!(
            r#"<body><div class="box"><h1>Zinfandel Rosé</h1><p>{teaser}</p><div>jetzt 7,49 €</div></div>
            <div class="links"><a href="/a">Rotwein</a> <a href="/b">Weißwein</a></div>
            <div class="tab"><p>{}</p><p>{}</p><p>{}</p></div></body>"#,
            d[0], d[1], d[2]
        );
        let doc = Document::from(html.as_str());
        let out = choose(&doc, container(&[teaser, "jetzt 7,49 €"]), text_of).unwrap();
        assert!(out.text.contains(d[2]), "{}", out.text);
        // The same in one product wrapper, the description repeating the
        // teaser's text: the island holds the container but is a fuller copy.
        let html = format!(
            r#"<body><div class="product"><div class="box"><h1>Zinfandel Rosé</h1><p>{}</p><div>jetzt 7,49 €</div></div>
            <div class="links"><a href="/a">Rotwein</a> <a href="/b">Weißwein</a></div>
            <div class="tab"><p>{}</p><p>{}</p><p>{}</p><p>{}</p></div></div></body>"#,
            d[0], d[0], d[1], d[2], teaser
        );
        let doc = Document::from(html.as_str());
        let out = choose(&doc, container(&[d[0], "jetzt 7,49 €"]), text_of).unwrap();
        assert!(out.text.contains(d[2]), "{}", out.text);
    }

    #[test]
    fn a_comment_thread_is_not_the_article() {
        let short = "The council approved the budget on Tuesday after a debate of three hours, and the mayor said the new bus lines would start in the autumn.";
        let comment = "I have lived here for twenty years and the buses have never been this bad, so I hope the new lines will finally make a difference for us.";
        let items: String = (0..8)
            .map(|i| format!(r#"<div class="c"><span>Reader {i}</span><p>{comment}</p></div>"#))
            .collect();
        let html = format!(
            r#"<body><div class="story"><p>{short}</p></div><div class="thread">{items}</div></body>"#
        );
        let doc = Document::from(html.as_str());
        let out = choose(&doc, container(&[short]), text_of).unwrap();
        assert_eq!(out.text, short);
    }

    #[test]
    fn sections_after_the_body_are_added_comments_are_not() {
        let section =
            |h: &str| format!("<div class=\"row\"><h2>{h}</h2><p>{P1}</p><p>{P2}</p></div>");
        let comment = |i: usize| {
            format!(
                "<div class=\"item\"><span>12.01.2020, 13:4{i}</span><p>Reader {i}: {P3}</p></div>"
            )
        };
        let html = format!(
            r#"<body><main><div class="row"><h2>Leasing</h2><p>{P3}</p><p>{P2}</p></div>{}{}</main>
            <div class="thread">{}</div></body>"#,
            section("Financing"),
            section("Conclusion"),
            (1..=6).map(comment).collect::<String>()
        );
        let doc = Document::from(html.as_str());
        let out = choose(&doc, container(&["Leasing", P3, P2]), text_of).unwrap();
        assert!(out.text.contains("Conclusion"), "{}", out.text);
        assert!(!out.text.contains("Reader 2"), "{}", out.text);
        let html = format!(
            r#"<body><main><div class="body"><p>{P3}</p><p>{P2}</p></div>
            <div class="thread">{}</div></main></body>"#,
            (1..=6).map(comment).collect::<String>()
        );
        let doc = Document::from(html.as_str());
        let out = choose(&doc, container(&[P3, P2]), text_of).unwrap();
        assert!(!out.text.contains("Reader 2"), "{}", out.text);
    }

    #[test]
    fn a_short_last_component_of_the_body_is_added() {
        // A CMS splits the body into paragraph components; the last one is
        // a heading and one short paragraph, too small to pass for more of
        // the text on its own, but built like the one before it.
        let html = format!(
            r#"<body><div class="items"><div class="field__item"><div class="text"><p>{P1}</p><p>{P2}</p></div></div>
            <div class="field__item"><div class="text"><h2>Police ask for witnesses</h2><p>The police are now investigating, and anyone who saw something near the forest roads is asked to call the station in town.</p></div></div>
            <div class="field__item"><div class="share"><a href="/fb">Facebook</a> <a href="/tw">Twitter</a></div></div></div></body>"#
        );
        let doc = Document::from(html.as_str());
        let out = choose(&doc, container(&[P1, P2]), text_of).unwrap();
        assert!(
            out.text.contains("asked to call the station"),
            "{}",
            out.text
        );
        assert!(!out.text.contains("Facebook"), "{}", out.text);
    }
}
