//! Evaluates a compiled rule on one item: folds the fields the rule looks at,
//! runs the rule's automata over each of them once, records which
//! patterns occurred at valid word boundaries, then walks the boolean tree.
//!
//! The per-item buffers live in a thread-local [`Ctx`] so that evaluating many
//! items allocates nothing in the steady state.

use std::cell::RefCell;

use chrono::{DateTime, Utc};

use super::ItemView;
use super::ast::{Field, FieldSet, TimeCond};
use super::compiled::{Compiled, Node, TermKind};
use super::fold::{boundary_after, boundary_before, fold_into, is_unspaced, is_word_char};

/// `about()` holds on the text (rather than the title) with at least this many
/// mentions of its terms in the summary and content...
pub(crate) const ABOUT_MIN_MENTIONS: usize = 3;
/// ...and at least one mention per this many words of that text.
pub(crate) const ABOUT_WORDS_PER_MENTION: usize = 50;

/// How prominent the terms of an `about()` are in an item.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct AboutScore {
    /// A term occurs in the title.
    pub title: bool,
    /// Occurrences of the terms in the summary and content, repeats included.
    pub mentions: usize,
    /// Words of the summary and content (two characters of Chinese or
    /// Japanese count as one word).
    pub words: usize,
}

impl AboutScore {
    /// The item is about the terms: they are in the title, or they dominate
    /// the text (at least [`ABOUT_MIN_MENTIONS`] mentions and one per
    /// [`ABOUT_WORDS_PER_MENTION`] words).
    pub(crate) fn holds(&self) -> bool {
        self.title || self.dominates()
    }

    pub(crate) fn dominates(&self) -> bool {
        self.mentions >= ABOUT_MIN_MENTIONS && self.mentions * ABOUT_WORDS_PER_MENTION >= self.words
    }
}

/// Words in folded text: runs of letters and digits of spaced scripts and of
/// Hangul (Korean is written with spaces); other unspaced scripts (Chinese,
/// Japanese, Thai...) count one word per two characters.
pub(crate) fn word_count(text: &str) -> usize {
    let (mut words, mut unspaced, mut in_word) = (0, 0, false);
    for ch in text.chars() {
        let hangul = matches!(ch as u32, 0x1100..=0x11FF | 0x3130..=0x318F | 0xAC00..=0xD7FF);
        if is_word_char(ch) || hangul {
            if !in_word {
                words += 1;
                in_word = true;
            }
        } else {
            in_word = false;
            if is_unspaced(ch) {
                unspaced += 1;
            }
        }
    }
    words + usize::div_ceil(unspaced, 2)
}

/// Where a pattern occurred in a folded field value (recorded for `explain`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Hit {
    pub field: Field,
    pub value: usize,
    pub pattern: usize,
    pub start: usize,
    pub end: usize,
    pub exact: bool,
}

/// Per-item evaluation state, reused across items.
pub(crate) struct Ctx {
    /// Folded values per field (`Field as usize`); the first `used[f]` are valid.
    pub texts: [Vec<String>; 8],
    pub used: [usize; 8],
    /// Byte maps from folded values back to the originals (only when recording).
    pub maps: [Vec<Vec<u32>>; 8],
    pub record: bool,
    pub positions: Vec<Hit>,
    /// Per field, two bits per pattern: bit 2p = found with a valid start
    /// (enough for prefix terms), bit 2p+1 = found as a whole word.
    hits: Vec<u64>,
    words: usize,
    /// Per (regex, field): 0 = not evaluated yet, 1 = no match, 2 = match.
    regex_memo: Vec<u8>,
    /// For `about()`: per pattern, occurrences in the summary and content
    /// together, `[2p]` with a valid start, `[2p + 1]` as whole words.
    mentions: Vec<u32>,
    /// Words of the summary and content, counted when first needed.
    body_words: Option<usize>,
}

thread_local! {
    static CTX: RefCell<Ctx> = RefCell::new(Ctx::new(false));
}

/// Whether `item` passes the rule.
pub(crate) fn matches(c: &Compiled, item: &ItemView, now: DateTime<Utc>) -> bool {
    CTX.with(|cell| match cell.try_borrow_mut() {
        Ok(mut ctx) => {
            ctx.load(c, item);
            let verdict = ctx.eval(c, &c.root, item, now);
            ctx.trim();
            verdict
        }
        // Re-entered from the same thread (cannot happen today): use a fresh one.
        Err(_) => {
            let mut ctx = Ctx::new(false);
            ctx.load(c, item);
            ctx.eval(c, &c.root, item, now)
        }
    })
}

/// The values of a field: an optional single value plus a list.
pub(crate) fn values<'a>(item: &ItemView<'a>, f: Field) -> (Option<&'a str>, &'a [String]) {
    match f {
        Field::Title => (Some(item.title), &[]),
        Field::Summary => (Some(item.summary), &[]),
        Field::Content => (Some(item.content), &[]),
        Field::Author => (Some(item.author), &[]),
        Field::Category => (None, item.categories),
        Field::Link => (Some(item.link), &[]),
        Field::Domain => (Some(host(item.link)), &[]),
        Field::Feed => (Some(item.feed_name), item.feed_tags),
    }
}

/// The `i`-th value of a field, as iterated by [`values`].
pub(crate) fn value<'a>(item: &ItemView<'a>, f: Field, i: usize) -> &'a str {
    let (first, rest) = values(item, f);
    let rest = rest.iter().map(String::as_str);
    first.into_iter().chain(rest).nth(i).unwrap_or("")
}

/// The host part of a URL (no scheme, user, port or path).
pub(crate) fn host(link: &str) -> &str {
    let rest = link.split_once("://").map_or(link, |(_, r)| r);
    let auth = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let auth = auth.rsplit_once('@').map_or(auth, |(_, h)| h);
    if auth.starts_with('[') {
        return auth;
    }
    auth.rsplit_once(':').map_or(auth, |(h, _)| h)
}

impl Ctx {
    pub(crate) fn new(record: bool) -> Self {
        Ctx {
            texts: Default::default(),
            used: [0; 8],
            maps: Default::default(),
            record,
            positions: Vec::new(),
            hits: Vec::new(),
            words: 0,
            regex_memo: Vec::new(),
            mentions: Vec::new(),
            body_words: None,
        }
    }

    /// Folds and scans the fields of `item` that the rule needs.
    pub(crate) fn load(&mut self, c: &Compiled, item: &ItemView) {
        self.words = (2 * c.patterns.len()).div_ceil(64);
        self.hits.clear();
        self.hits.resize(8 * self.words, 0);
        self.regex_memo.clear();
        self.regex_memo.resize(8 * c.regexes.len(), 0);
        self.mentions.clear();
        if c.counts_mentions {
            self.mentions.resize(2 * c.patterns.len(), 0);
        }
        self.body_words = None;
        self.positions.clear();
        for f in c.text_fields.iter() {
            let fi = f as usize;
            let (first, rest) = values(item, f);
            let mut n = 0;
            for v in first.into_iter().chain(rest.iter().map(String::as_str)) {
                if self.texts[fi].len() <= n {
                    self.texts[fi].push(String::new());
                    self.maps[fi].push(Vec::new());
                }
                let map = if self.record {
                    Some(&mut self.maps[fi][n])
                } else {
                    None
                };
                fold_into(v, &mut self.texts[fi][n], map);
                n += 1;
            }
            self.used[fi] = n;
            if c.scan_fields.has(f) {
                for i in 0..n {
                    self.scan(c, f, i);
                }
            }
        }
    }

    fn scan(&mut self, c: &Compiled, f: Field, i: usize) {
        let text = &self.texts[f as usize][i];
        if text.is_empty() {
            return;
        }
        let base = f as usize * self.words;
        let count = c.counts_mentions && matches!(f, Field::Summary | Field::Content);
        let mut ascii_text = None;
        for a in &c.automata {
            if !a.ascii && *ascii_text.get_or_insert_with(|| text.is_ascii()) {
                continue;
            }
            for m in a.ac.find_overlapping_iter(text.as_str()) {
                let p = a.ids[m.pattern().as_usize()];
                let pat = &c.patterns[p];
                if pat.start_boundary && !boundary_before(text, m.start()) {
                    continue;
                }
                let exact = !pat.end_boundary || boundary_after(text, m.end());
                self.hits[base + (2 * p) / 64] |= 1 << ((2 * p) % 64);
                if exact {
                    self.hits[base + (2 * p + 1) / 64] |= 1 << ((2 * p + 1) % 64);
                }
                if count {
                    self.mentions[2 * p] += 1;
                    self.mentions[2 * p + 1] += u32::from(exact);
                }
                if self.record {
                    self.positions.push(Hit {
                        field: f,
                        value: i,
                        pattern: p,
                        start: m.start(),
                        end: m.end(),
                        exact,
                    });
                }
            }
        }
    }

    /// Drops oversized buffers left by an exceptionally large item.
    fn trim(&mut self) {
        for t in self.texts.iter_mut().flatten() {
            if t.capacity() > 1 << 20 {
                *t = String::new();
            }
        }
    }

    /// Whether term `t` occurs in field `f` of the loaded item.
    pub(crate) fn term_in(&mut self, c: &Compiled, item: &ItemView, t: usize, f: Field) -> bool {
        match &c.terms[t].kind {
            TermKind::Literal { pattern, prefix } => {
                let bit = 2 * pattern + usize::from(!prefix);
                self.hits
                    .get(f as usize * self.words + bit / 64)
                    .is_some_and(|w| w & (1 << (bit % 64)) != 0)
            }
            TermKind::Regex(r) => {
                let slot = r * 8 + f as usize;
                if self.regex_memo[slot] == 0 {
                    let rt = &c.regexes[*r];
                    let test = |v: &str| {
                        rt.gate.as_ref().is_none_or(|g| v.contains(g.as_str()))
                            && rt.regex.is_match(v)
                    };
                    let found = if rt.case_sensitive {
                        let (first, rest) = values(item, f);
                        first
                            .into_iter()
                            .chain(rest.iter().map(String::as_str))
                            .any(test)
                    } else {
                        self.texts[f as usize][..self.used[f as usize]]
                            .iter()
                            .any(|v| test(v))
                    };
                    self.regex_memo[slot] = if found { 2 } else { 1 };
                }
                self.regex_memo[slot] == 2
            }
            TermKind::Domain(d) => {
                let host = self.texts[Field::Domain as usize]
                    .first()
                    .map_or("", |h| h.trim_end_matches('.'));
                self.used[Field::Domain as usize] > 0 && domain_matches(host, d)
            }
        }
    }

    /// Whether term `t` occurs in any field of `fs`. The hot path of
    /// evaluation: literal terms are a bit test per field.
    fn term_any(&mut self, c: &Compiled, item: &ItemView, t: usize, fs: FieldSet) -> bool {
        if let TermKind::Literal { pattern, prefix } = c.terms[t].kind {
            let bit = 2 * pattern + usize::from(!prefix);
            let (word, mask) = (bit / 64, 1u64 << (bit % 64));
            let mut fields = fs.0;
            while fields != 0 {
                let f = fields.trailing_zeros() as usize;
                if self
                    .hits
                    .get(f * self.words + word)
                    .is_some_and(|w| w & mask != 0)
                {
                    return true;
                }
                fields &= fields - 1;
            }
            return false;
        }
        fs.iter().any(|f| self.term_in(c, item, t, f))
    }

    /// The fields of `fs` in which term `t` occurs.
    pub(crate) fn term_fields(
        &mut self,
        c: &Compiled,
        item: &ItemView,
        t: usize,
        fs: FieldSet,
    ) -> FieldSet {
        let mut found = FieldSet(0);
        for f in fs.iter() {
            if self.term_in(c, item, t, f) {
                found.0 |= FieldSet::one(f).0;
            }
        }
        found
    }

    /// How prominent the terms of an `about()` are in the loaded item: its
    /// `terms` for the title and regexes, its literal `patterns` counted by
    /// the scan. With `full` false it stops at a match in the title, which
    /// settles it.
    pub(crate) fn about(
        &mut self,
        c: &Compiled,
        item: &ItemView,
        terms: &[usize],
        patterns: &[(usize, bool)],
        full: bool,
    ) -> AboutScore {
        let mut score = AboutScore {
            title: terms
                .iter()
                .any(|&t| self.term_in(c, item, t, Field::Title)),
            ..AboutScore::default()
        };
        if score.title && !full {
            return score;
        }
        score.mentions = patterns
            .iter()
            .map(|&(p, prefix)| self.mentions[2 * p + usize::from(!prefix)] as usize)
            .sum();
        for &t in terms {
            let TermKind::Regex(r) = c.terms[t].kind else {
                continue;
            };
            let rt = &c.regexes[r];
            for f in [Field::Summary, Field::Content] {
                for i in 0..self.used[f as usize] {
                    let hay = if rt.case_sensitive {
                        value(item, f, i)
                    } else {
                        self.texts[f as usize][i].as_str()
                    };
                    if rt.gate.as_ref().is_none_or(|g| hay.contains(g.as_str())) {
                        score.mentions += rt.regex.find_iter(hay).count();
                    }
                }
            }
        }
        if !full && score.mentions < ABOUT_MIN_MENTIONS {
            // Too few mentions to fill any text: no need to count its words.
            return score;
        }
        score.words = match self.body_words {
            Some(w) => w,
            None => {
                let w = [Field::Summary, Field::Content]
                    .iter()
                    .flat_map(|&f| &self.texts[f as usize][..self.used[f as usize]])
                    .map(|t| word_count(t))
                    .sum();
                self.body_words = Some(w);
                w
            }
        };
        score
    }

    pub(crate) fn eval(
        &mut self,
        c: &Compiled,
        node: &Node,
        item: &ItemView,
        now: DateTime<Utc>,
    ) -> bool {
        match node {
            Node::And(parts, _) => parts.iter().all(|p| self.eval(c, p, item, now)),
            Node::Or(parts, _) => parts.iter().any(|p| self.eval(c, p, item, now)),
            Node::Not(inner, _) => !self.eval(c, inner, item, now),
            Node::Time(cond, _) => time_holds(*cond, item.published, now),
            Node::About {
                terms, patterns, ..
            } => self.about(c, item, terms, patterns, false).holds(),
            Node::Count {
                need, terms, exprs, ..
            } => {
                let mut count = 0;
                let mut left = terms.len() + exprs.len();
                for &(t, fs) in terms {
                    left -= 1;
                    if self.term_any(c, item, t, fs) {
                        count += 1;
                        if count >= *need {
                            return true;
                        }
                    } else if count + left < *need {
                        return false;
                    }
                }
                for e in exprs {
                    left -= 1;
                    if self.eval(c, e, item, now) {
                        count += 1;
                        if count >= *need {
                            return true;
                        }
                    } else if count + left < *need {
                        return false;
                    }
                }
                false
            }
        }
    }
}

/// `host` is `domain` or one of its subdomains.
pub(crate) fn domain_matches(host: &str, domain: &str) -> bool {
    host == domain || host.strip_suffix(domain).is_some_and(|h| h.ends_with('.'))
}

pub(crate) fn time_holds(
    cond: TimeCond,
    published: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    let Some(p) = published else { return false };
    match cond {
        TimeCond::Newer(age) => now.checked_sub_signed(age).is_none_or(|t| p >= t),
        TimeCond::Older(age) => now.checked_sub_signed(age).is_some_and(|t| p < t),
        TimeCond::After(t) => p >= t,
        TimeCond::Before(t) => p < t,
    }
}
