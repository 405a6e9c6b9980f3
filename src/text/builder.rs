//! Plain text from HTML: which elements make paragraphs, which hold no text, and
//! the builder that assembles paragraphs. Two drivers feed it the same events:
//! the tokenizer (`tokens::to_text`, for stored HTML) and a DOM walk
//! ([`node_text`], for the extractor, which already has a tree).
//!
//! Block-level elements end a paragraph; paragraphs are separated by one blank
//! line. Whitespace inside a paragraph is collapsed, and element boundaries never
//! glue two words together (unlike a naive `text_content`). Ruby annotations
//! (`<rt>`, `<rp>`) are readings of the base text, not text: `<ruby>日本<rt>に
//! っぽん</rt></ruby>` reads `日本`.

use dom_query::NodeRef;

/// How an element takes part in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// Its content is never text (scripts, media, form controls, ruby readings).
    Skip,
    /// It starts and ends a paragraph.
    Block,
    /// A line break inside the paragraph (`<br>`).
    Break,
    /// A table cell: a space on each side.
    Cell,
    /// Preformatted: whitespace kept, its own paragraph.
    Pre,
    /// Everything else: text flows through.
    Inline,
}

/// The role of an element, by its lower-case local name.
pub(crate) fn role(name: &str) -> Role {
    match name {
        "br" => Role::Break,
        "td" | "th" => Role::Cell,
        "pre" | "listing" | "xmp" | "plaintext" => Role::Pre,
        n if is_skipped(n) => Role::Skip,
        n if is_block(n) => Role::Block,
        _ => Role::Inline,
    }
}

/// Elements whose boundaries start a new paragraph.
pub(crate) fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "div"
            | "section"
            | "article"
            | "main"
            | "header"
            | "footer"
            | "aside"
            | "nav"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "ul"
            | "ol"
            | "li"
            | "dl"
            | "dt"
            | "dd"
            | "blockquote"
            | "pre"
            | "table"
            | "thead"
            | "tbody"
            | "tfoot"
            | "tr"
            | "figure"
            | "figcaption"
            | "caption"
            | "hr"
            | "address"
            | "details"
            | "summary"
            | "form"
            | "fieldset"
            | "legend"
            | "center"
            | "body"
            | "html"
    )
}

/// Elements whose content is never text.
pub(crate) fn is_skipped(name: &str) -> bool {
    matches!(
        name,
        "script"
            | "style"
            | "noscript"
            | "template"
            | "head"
            | "title"
            | "svg"
            | "iframe"
            | "object"
            | "embed"
            | "select"
            | "option"
            | "button"
            | "input"
            | "textarea"
            | "canvas"
            | "video"
            | "audio"
            | "form"
            | "rt"
            | "rp"
    )
}

/// Zero-width characters that alone do not make a paragraph (spacers).
fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}'
        )
}

/// Assembles paragraphs from text and element events.
#[derive(Default)]
pub(crate) struct TextBuilder {
    paras: Vec<String>,
    cur: String,
    /// A whitespace was seen since the last non-space character.
    pending_space: bool,
    pre_depth: usize,
}

impl TextBuilder {
    /// Text content (entities already decoded).
    pub(crate) fn text(&mut self, s: &str) {
        if self.pre_depth > 0 {
            self.cur.push_str(s);
            return;
        }
        // Word by word: whitespace between words (and at either end) becomes
        // one pending space.
        if s.starts_with(char::is_whitespace) {
            self.pending_space = true;
        }
        // ASCII text (most of it) splits on bytes; the same words as
        // `split_whitespace` unless it holds a vertical tab, which only
        // Unicode's definition counts as whitespace.
        if s.is_ascii() && !s.as_bytes().contains(&0x0B) {
            self.words(s.split_ascii_whitespace());
        } else {
            self.words(s.split_whitespace());
        }
        if s.ends_with(char::is_whitespace) {
            self.pending_space = true;
        }
    }

    fn words<'a>(&mut self, words: impl Iterator<Item = &'a str>) {
        let mut words = words.peekable();
        while let Some(word) = words.next() {
            if self.pending_space && !self.cur.is_empty() && !self.cur.ends_with('\n') {
                self.cur.push(' ');
            }
            self.cur.push_str(word);
            self.pending_space = words.peek().is_some();
        }
    }

    /// An element of `role` opens.
    pub(crate) fn open(&mut self, role: Role) {
        match role {
            Role::Break => self.line_break(),
            Role::Cell => self.pending_space = true,
            Role::Pre => {
                self.flush();
                self.pre_depth += 1;
            }
            Role::Block => self.flush(),
            Role::Skip | Role::Inline => {}
        }
    }

    /// An element of `role` closes.
    pub(crate) fn close(&mut self, role: Role) {
        match role {
            Role::Cell => self.pending_space = true,
            Role::Pre => {
                self.pre_depth = self.pre_depth.saturating_sub(1);
                self.flush();
            }
            Role::Block => self.flush(),
            Role::Break | Role::Skip | Role::Inline => {}
        }
    }

    fn line_break(&mut self) {
        if !self.cur.is_empty() && !self.cur.ends_with('\n') {
            self.cur.push('\n');
        }
        self.pending_space = false;
    }

    fn flush(&mut self) {
        let p = self
            .cur
            .trim_end_matches([' ', '\n'])
            .trim_start_matches('\n');
        if p.chars().any(|c| !is_invisible(c)) {
            self.paras.push(p.to_string());
        }
        self.cur.clear();
        self.pending_space = false;
    }

    /// The paragraphs, separated by blank lines.
    pub(crate) fn finish(mut self) -> String {
        self.flush();
        self.paras.join("\n\n")
    }
}

/// Deeper than this, a DOM walk stops descending (the tokenizer path bounds
/// depth before any tree is built; this guards trees built elsewhere).
const MAX_WALK_DEPTH: usize = 512;

/// The text below `root` as paragraphs separated by blank lines.
pub fn node_text(root: &NodeRef) -> String {
    let mut b = TextBuilder::default();
    walk(&mut b, root, 0);
    b.finish()
}

fn walk(b: &mut TextBuilder, node: &NodeRef, depth: usize) {
    if depth > MAX_WALK_DEPTH {
        return;
    }
    for child in node.children_it(false) {
        if child.is_text() {
            b.text(&child.text());
        } else if child.is_element() {
            let Some(name) = child.node_name() else {
                continue;
            };
            let role = role(&name);
            if role == Role::Skip {
                continue;
            }
            b.open(role);
            walk(b, &child, depth + 1);
            b.close(role);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dom_query::Document;

    #[test]
    fn paragraphs_and_no_glued_words() {
        let d = Document::from(
            "<div><p>One <b>two</b></p><p>three</p><span>a</span><span>b</span><div>x<br>y</div></div>",
        );
        let t = node_text(&d.select("body").nodes()[0]);
        assert_eq!(t, "One two\n\nthree\n\nab\n\nx\ny");
        let d = Document::from("<p>a</p><p>\u{200B}</p><p> \u{FEFF} </p><p>b</p>");
        assert_eq!(node_text(&d.select("body").nodes()[0]), "a\n\nb");
    }

    #[test]
    fn ascii_and_unicode_whitespace_split_alike() {
        let text = |s: &str| {
            let mut b = TextBuilder::default();
            b.text(s);
            b.finish()
        };
        assert_eq!(text(" a \t b\r\n\u{c}c "), "a b c");
        assert_eq!(text("a\u{b}b"), "a b", "a vertical tab is whitespace");
        assert_eq!(text("a\u{a0}b\u{3000}c"), "a b c");
        let mut b = TextBuilder::default();
        for part in ["one ", "two", " three", "four"] {
            b.text(part);
        }
        assert_eq!(b.finish(), "one two threefour");
    }

    #[test]
    fn ruby_readings_are_not_text() {
        let d = Document::from(
            "<p><ruby>日本<rp>(</rp><rt>にっぽん</rt><rp>)</rp></ruby>の<ruby>首相<rt>しゅしょう</rt></ruby></p>",
        );
        assert_eq!(node_text(&d.select("body").nodes()[0]), "日本の首相");
    }
}
