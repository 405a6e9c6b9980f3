//! The page as a sequence of text blocks, each classified as prose or
//! boilerplate the way jusText does: by length, link density and the share
//! of function words ([`super::stopwords`]), then revised by context (a short
//! line between two prose paragraphs belongs to them; a heading right before
//! prose is part of it).
//!
//! A block is the text between two block-level boundaries (paragraphs, list
//! items, table cells, headings...). Every element knows the range of blocks
//! below it, so the value of any subtree is one subtraction of prefix sums.

use std::collections::HashMap;

use dom_query::{NodeId, NodeRef};

use super::lines;
use super::stopwords::{self, Lang};

/// What a block reads as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// Prose: long enough and full of function words, few links.
    Good,
    /// Prose-like but short or a little thin; decided by its neighbours.
    NearGood,
    /// Too short to judge alone; decided by its neighbours.
    Short,
    /// Links, labels, lists of names, furniture.
    Bad,
}

/// One block of text.
#[derive(Debug, Clone)]
pub(crate) struct Block {
    /// The innermost block-level element holding the text.
    pub node: NodeId,
    /// The text, whitespace collapsed.
    pub text: String,
    /// Length in characters, CJK characters counting double (they carry
    /// about as much as two letters of an alphabet).
    pub len: usize,
    /// Characters inside links.
    pub link_len: usize,
    /// Inside a heading (`h1`–`h6`).
    pub heading: bool,
    /// The class before context revision.
    pub raw: Class,
    /// The final class.
    pub class: Class,
}

/// The segmented page.
pub(crate) struct Page {
    pub blocks: Vec<Block>,
    /// For every element below the root: `[start, end)` of its blocks.
    pub ranges: HashMap<NodeId, (usize, usize)>,
    /// The elements of [`Page::ranges`] in the order the walk closed them
    /// (descendants before their ancestors, earlier siblings first), so that
    /// choices among equals do not depend on hash order.
    order: Vec<NodeId>,
    /// The page's language (by its function words).
    pub lang: Lang,
    /// Prefix sums of [`value`], of the length of good blocks and of link
    /// characters.
    prefix: Vec<Sums>,
}

/// Running totals over blocks.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Sums {
    /// Sum of [`value`].
    pub value: i64,
    /// Length of [`Class::Good`] blocks.
    pub good: i64,
    /// Characters inside links.
    pub links: i64,
    /// Length of all blocks.
    pub len: i64,
}

impl std::ops::Sub for Sums {
    type Output = Sums;
    fn sub(self, o: Sums) -> Sums {
        Sums {
            value: self.value - o.value,
            good: self.good - o.good,
            links: self.links - o.links,
            len: self.len - o.len,
        }
    }
}

impl std::ops::Add for Sums {
    type Output = Sums;
    fn add(self, o: Sums) -> Sums {
        Sums {
            value: self.value + o.value,
            good: self.good + o.good,
            links: self.links + o.links,
            len: self.len + o.len,
        }
    }
}

/// Blocks shorter than this are [`Class::Short`] (jusText's `length_low`).
const LENGTH_LOW: usize = 70;
/// Prose blocks longer than this are [`Class::Good`] outright.
const LENGTH_HIGH: usize = 200;
/// Link density above which a block is [`Class::Bad`].
const MAX_LINK_DENSITY: f32 = 0.2;
/// A heading this close (characters) before prose counts as part of it.
const MAX_HEADING_DISTANCE: usize = 200;

fn is_block_tag(name: &str) -> bool {
    super::text::is_block(name)
        || matches!(
            name,
            "td" | "th" | "legend" | "option" | "optgroup" | "col" | "colgroup" | "dialog"
        )
}

/// Elements whose content is not page text: the text renderer's list, and
/// formulas (MathML), which score no prose.
fn is_skipped(name: &str) -> bool {
    crate::text::is_skipped(name) || name == "math"
}

fn is_cjk(c: char) -> bool {
    ('\u{AC00}'..='\u{D7A3}').contains(&c)
        || ('\u{3041}'..='\u{30FF}').contains(&c)
        || ('\u{4E00}'..='\u{9FFF}').contains(&c)
        || ('\u{3400}'..='\u{4DBF}').contains(&c)
}

struct Walker {
    blocks: Vec<Block>,
    ranges: HashMap<NodeId, (usize, usize)>,
    order: Vec<NodeId>,
    cur: String,
    link_len: usize,
    pending_space: bool,
}

impl Walker {
    fn push_text(&mut self, s: &str, in_link: bool) {
        for ch in s.chars() {
            if ch.is_whitespace() {
                self.pending_space = true;
            } else {
                if self.pending_space && !self.cur.is_empty() {
                    self.cur.push(' ');
                    if in_link {
                        self.link_len += 1;
                    }
                }
                self.pending_space = false;
                self.cur.push(ch);
                if in_link {
                    self.link_len += 1 + usize::from(is_cjk(ch));
                }
            }
        }
    }

    fn flush(&mut self, owner: NodeId, heading: bool) {
        self.pending_space = false;
        if self.cur.is_empty() {
            self.link_len = 0;
            return;
        }
        let text = std::mem::take(&mut self.cur);
        let len = text.chars().map(|c| 1 + usize::from(is_cjk(c))).sum();
        self.blocks.push(Block {
            node: owner,
            text,
            len,
            link_len: self.link_len.min(len),
            heading,
            raw: Class::Bad,
            class: Class::Bad,
        });
        self.link_len = 0;
    }

    fn walk(&mut self, node: &NodeRef, owner: NodeId, heading: bool, in_link: bool, depth: usize) {
        if depth > 512 {
            return;
        }
        for child in node.children_it(false) {
            if child.is_text() {
                self.push_text(&child.text(), in_link);
                continue;
            }
            if !child.is_element() {
                continue;
            }
            let Some(name) = child.node_name() else {
                continue;
            };
            if is_skipped(&name) {
                continue;
            }
            let start = self.blocks.len();
            if is_block_tag(&name) {
                self.flush(owner, heading);
                let h = heading || matches!(&*name, "h1" | "h2" | "h3" | "h4" | "h5" | "h6");
                self.walk(&child, child.id, h, in_link, depth + 1);
                self.flush(child.id, h);
            } else {
                if &*name == "br" {
                    self.pending_space = true;
                }
                self.walk(&child, owner, heading, in_link || &*name == "a", depth + 1);
            }
            if self
                .ranges
                .insert(child.id, (start, self.blocks.len()))
                .is_none()
            {
                self.order.push(child.id);
            }
        }
    }
}

impl Page {
    /// Segments and classifies the text below `root`.
    pub(crate) fn new(root: &NodeRef) -> Page {
        let mut w = Walker {
            blocks: Vec::new(),
            ranges: HashMap::new(),
            order: Vec::new(),
            cur: String::new(),
            link_len: 0,
            pending_space: false,
        };
        w.walk(root, root.id, false, false, 0);
        w.flush(root.id, false);
        let mut sample = String::new();
        for b in w.blocks.iter().filter(|b| b.len >= 40) {
            if sample.len() > 60_000 {
                break;
            }
            sample.push_str(&b.text);
            sample.push(' ');
        }
        let lang = stopwords::detect(&sample);
        let mut page = Page {
            blocks: w.blocks,
            ranges: w.ranges,
            order: w.order,
            lang,
            prefix: Vec::new(),
        };
        page.classify();
        page.prefix = std::iter::once(Sums::default())
            .chain(page.blocks.iter().scan(Sums::default(), |acc, b| {
                *acc = *acc
                    + Sums {
                        value: value(b),
                        good: if b.class == Class::Good {
                            b.len as i64
                        } else {
                            0
                        },
                        links: b.link_len as i64,
                        len: b.len as i64,
                    };
                Some(*acc)
            }))
            .collect();
        page
    }

    fn classify(&mut self) {
        let lang = self.lang;
        for b in &mut self.blocks {
            b.raw = classify_one(b, lang);
            b.class = b.raw;
        }
        // A very short article may have no paragraph long enough to be good
        // on its own; then its near-good paragraphs are the best there is.
        if !self.blocks.iter().any(|b| b.raw == Class::Good) {
            for b in &mut self.blocks {
                if b.raw == Class::NearGood {
                    b.class = Class::Good;
                }
            }
        }
        self.revise();
    }

    /// jusText's context revision, in its order: headings near prose, short
    /// blocks by their neighbours, near-good blocks by their neighbours,
    /// then headings again.
    fn revise(&mut self) {
        let n = self.blocks.len();
        // Headings followed closely by prose become near-good.
        for i in 0..n {
            if !(self.blocks[i].heading && self.blocks[i].class == Class::Short) {
                continue;
            }
            let mut dist = 0;
            for j in i + 1..n {
                if self.blocks[j].class == Class::Good {
                    self.blocks[i].class = Class::NearGood;
                    break;
                }
                dist += self.blocks[j].len;
                if dist > MAX_HEADING_DISTANCE {
                    break;
                }
            }
        }
        // Short blocks: by the nearest good/bad blocks on each side.
        let classes: Vec<Class> = self.blocks.iter().map(|b| b.class).collect();
        let strict = Neighbours::new(&classes, true);
        let loose = Neighbours::new(&classes, false);
        let mut new = classes.clone();
        for i in 0..n {
            if classes[i] != Class::Short {
                continue;
            }
            let (prev, next) = (strict.prev[i], strict.next[i]);
            new[i] = match (prev, next) {
                (Class::Good, Class::Good) => Class::Good,
                (Class::Bad, Class::Bad) => Class::Bad,
                _ => {
                    let prev_ng = loose.prev[i] == Class::NearGood;
                    let next_ng = loose.next[i] == Class::NearGood;
                    if (prev == Class::Bad && prev_ng) || (next == Class::Bad && next_ng) {
                        Class::Good
                    } else {
                        Class::Bad
                    }
                }
            };
        }
        // Near-good blocks: bad only between two bad blocks.
        let classes = new.clone();
        let strict = Neighbours::new(&classes, true);
        for i in 0..n {
            if classes[i] != Class::NearGood {
                continue;
            }
            let (prev, next) = (strict.prev[i], strict.next[i]);
            new[i] = if prev == Class::Bad && next == Class::Bad {
                Class::Bad
            } else {
                Class::Good
            };
        }
        for (b, c) in self.blocks.iter_mut().zip(new) {
            b.class = c;
        }
        // Headings that were not prose but lead into prose.
        for i in 0..n {
            let b = &self.blocks[i];
            if !(b.heading && b.class == Class::Bad && b.raw != Class::Bad) {
                continue;
            }
            let mut dist = 0;
            for j in i + 1..n {
                if self.blocks[j].class == Class::Good {
                    self.blocks[i].class = Class::Good;
                    break;
                }
                dist += self.blocks[j].len;
                if dist > MAX_HEADING_DISTANCE {
                    break;
                }
            }
        }
    }

    /// Totals over blocks `[start, end)`.
    pub(crate) fn sums(&self, (start, end): (usize, usize)) -> Sums {
        self.prefix[end] - self.prefix[start]
    }

    /// Sum of [`value`] over blocks `[start, end)`.
    pub(crate) fn value_of(&self, range: (usize, usize)) -> i64 {
        self.sums(range).value
    }

    /// The element whose blocks have the highest total [`value`]: the
    /// smallest subtree that holds the prose and leaves out the furniture.
    /// Among equals the first in walk order wins: the innermost of nested
    /// elements holding the same blocks, else the earliest on the page.
    pub(crate) fn best_region(&self) -> Option<(NodeId, i64)> {
        let mut best: Option<(NodeId, i64, usize)> = None;
        for &id in &self.order {
            let r = self.ranges[&id];
            if r.0 == r.1 {
                continue;
            }
            let v = self.value_of(r);
            let span = r.1 - r.0;
            let better = match best {
                None => true,
                Some((_, bv, bspan)) => v > bv || (v == bv && span < bspan),
            };
            if better {
                best = Some((id, v, span));
            }
        }
        best.map(|(id, v, _)| (id, v)).filter(|&(_, v)| v > 0)
    }
}

/// A block's contribution to a region: its length for prose; minus its
/// length for links; a little less for other text that is not prose (data,
/// names, labels: often part of an article, never the reason to pick one).
pub(crate) fn value(b: &Block) -> i64 {
    match b.class {
        Class::Good => b.len as i64,
        Class::Bad => -(b.link_len as i64),
        Class::NearGood | Class::Short => 0,
    }
}

/// For every block, the class of the nearest block before it (`prev`) and
/// after it (`next`) that is good or bad (and, unless `ignore_near_good`,
/// near-good); the edges of the page count as bad. One pass each way, so a
/// page of many short blocks costs linear time.
struct Neighbours {
    prev: Vec<Class>,
    next: Vec<Class>,
}

impl Neighbours {
    fn new(classes: &[Class], ignore_near_good: bool) -> Neighbours {
        let accept = |c: Class| {
            matches!(c, Class::Good | Class::Bad) || (!ignore_near_good && c == Class::NearGood)
        };
        let mut prev = Vec::with_capacity(classes.len());
        let mut seen = Class::Bad;
        for &c in classes {
            prev.push(seen);
            if accept(c) {
                seen = c;
            }
        }
        let mut next = vec![Class::Bad; classes.len()];
        seen = Class::Bad;
        for (i, &c) in classes.iter().enumerate().rev() {
            next[i] = seen;
            if accept(c) {
                seen = c;
            }
        }
        Neighbours { prev, next }
    }
}

fn classify_one(b: &Block, lang: Lang) -> Class {
    let link_density = b.link_len as f32 / b.len.max(1) as f32;
    if link_density > MAX_LINK_DENSITY {
        return Class::Bad;
    }
    if b.text.chars().count() <= 220 && lines::is_boiler_line(&b.text) {
        return Class::Bad;
    }
    if b.len < LENGTH_LOW {
        return if b.link_len > 0 {
            Class::Bad
        } else {
            Class::Short
        };
    }
    let (d, used) = stopwords::density(&b.text, lang);
    let (low, high) = used.thresholds();
    if d >= high {
        if b.len > LENGTH_HIGH {
            Class::Good
        } else {
            Class::NearGood
        }
    } else if d >= low {
        Class::NearGood
    } else {
        Class::Bad
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dom_query::Document;

    #[test]
    fn prose_is_good_menus_are_bad() {
        let d = Document::from(
            r#"<body><ul><li><a href="/">Home</a></li><li><a href="/n">News</a></li></ul>
            <h2>The talks</h2>
            <p>The minister said that the talks with the delegation would continue on Friday, and that both sides were close to an agreement on the main points of the treaty.</p>
            <p>Short line.</p>
            <p>Officials from both countries have been meeting in the capital for a week, and they are expected to sign the agreement before the end of the month if nothing changes.</p>
            <div><a href="/a">Another story about something else entirely</a></div></body>"#,
        );
        let root = d.select("body").nodes()[0];
        let page = Page::new(&root);
        let classes: Vec<(String, Class)> = page
            .blocks
            .iter()
            .map(|b| (b.text.clone(), b.class))
            .collect();
        assert_eq!(page.lang, Lang::En);
        assert_eq!(classes[0].1, Class::Bad, "{classes:?}");
        assert_eq!(classes[2].1, Class::Good, "{classes:?}");
        assert_eq!(classes[2].0, "The talks");
        assert_eq!(classes[3].1, Class::Good, "{classes:?}");
        assert_eq!(classes[4].0, "Short line.");
        assert_eq!(classes[4].1, Class::Good, "{classes:?}");
        assert_eq!(classes[5].1, Class::Good, "{classes:?}");
        assert_eq!(classes.last().unwrap().1, Class::Bad, "{classes:?}");
    }

    #[test]
    fn best_region_among_equals_is_the_innermost_earliest() {
        let para = "The minister said that the talks with the delegation would continue on Friday, and that both sides were close to an agreement on the main points of the treaty.";
        let html = format!(
            r#"<body><div><div><p id="first">{para}</p></div></div><div><p id="second">{para}</p></div></body>"#
        );
        // Hash order differs from one map to the next; the choice must not.
        for _ in 0..20 {
            let d = Document::from(html.as_str());
            let page = Page::new(&d.select("body").nodes()[0]);
            let (id, _) = page.best_region().unwrap();
            assert_eq!(id, d.select("#first").nodes()[0].id);
        }
    }

    /// The nearest accepted class each side, by a plain scan (the definition).
    fn scan(classes: &[Class], i: usize, forward: bool, ignore_near_good: bool) -> Class {
        let accept = |c: &&Class| {
            matches!(c, Class::Good | Class::Bad) || (!ignore_near_good && **c == Class::NearGood)
        };
        let found = if forward {
            classes[i + 1..].iter().find(accept)
        } else {
            classes[..i].iter().rev().find(accept)
        };
        found.copied().unwrap_or(Class::Bad)
    }

    #[test]
    fn neighbours_match_a_scan_on_every_short_sequence() {
        let all = [Class::Good, Class::NearGood, Class::Short, Class::Bad];
        for len in 0..=6 {
            for code in 0..all.len().pow(len as u32) {
                let classes: Vec<Class> = (0..len)
                    .map(|k| all[code / all.len().pow(k as u32) % all.len()])
                    .collect();
                for ignore in [true, false] {
                    let nb = Neighbours::new(&classes, ignore);
                    for i in 0..len {
                        assert_eq!(nb.prev[i], scan(&classes, i, false, ignore), "{classes:?}");
                        assert_eq!(nb.next[i], scan(&classes, i, true, ignore), "{classes:?}");
                    }
                }
            }
        }
    }
}
