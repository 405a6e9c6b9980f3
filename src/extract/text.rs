//! Plain-text rendering of cleaned article HTML.
//!
//! Block-level elements end a paragraph; paragraphs are separated by one blank
//! line. Whitespace inside a paragraph is collapsed, and element boundaries
//! never glue two words together (unlike a naive `text_content`).

use dom_query::NodeRef;

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
            | "center"
            | "body"
            | "html"
    )
}

/// Elements whose content is never text.
fn is_skipped(name: &str) -> bool {
    matches!(
        name,
        "script"
            | "style"
            | "noscript"
            | "template"
            | "head"
            | "title"
            | "svg"
            | "math"
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
    )
}

struct Builder {
    paras: Vec<String>,
    cur: String,
    /// A whitespace was seen since the last non-space character.
    pending_space: bool,
    pre_depth: usize,
}

impl Builder {
    fn push_text(&mut self, s: &str) {
        if self.pre_depth > 0 {
            self.cur.push_str(s);
            return;
        }
        for ch in s.chars() {
            if ch.is_whitespace() {
                self.pending_space = true;
            } else {
                if self.pending_space && !self.cur.is_empty() && !self.cur.ends_with('\n') {
                    self.cur.push(' ');
                }
                self.pending_space = false;
                self.cur.push(ch);
            }
        }
    }

    fn line_break(&mut self) {
        if !self.cur.is_empty() && !self.cur.ends_with('\n') {
            self.cur.push('\n');
        }
        self.pending_space = false;
    }

    fn cell_break(&mut self) {
        self.pending_space = true;
    }

    fn flush(&mut self) {
        let p = self
            .cur
            .trim_end_matches([' ', '\n'])
            .trim_start_matches('\n');
        // Zero-width characters alone (spacer paragraphs) are not text.
        let visible = p.chars().any(|c| {
            !c.is_whitespace()
                && !matches!(
                    c,
                    '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}'
                )
        });
        if visible {
            self.paras.push(p.to_string());
        }
        self.cur.clear();
        self.pending_space = false;
    }

    fn walk(&mut self, node: &NodeRef, depth: usize) {
        if depth > 512 {
            return;
        }
        for child in node.children_it(false) {
            if child.is_text() {
                self.push_text(&child.text());
            } else if child.is_element() {
                let Some(name) = child.node_name() else {
                    continue;
                };
                let name: &str = &name;
                if is_skipped(name) {
                    continue;
                }
                match name {
                    "br" => self.line_break(),
                    "td" | "th" => {
                        self.cell_break();
                        self.walk(&child, depth + 1);
                        self.cell_break();
                    }
                    "pre" => {
                        self.flush();
                        self.pre_depth += 1;
                        self.walk(&child, depth + 1);
                        self.pre_depth -= 1;
                        self.flush();
                    }
                    n if is_block(n) => {
                        self.flush();
                        self.walk(&child, depth + 1);
                        self.flush();
                    }
                    _ => self.walk(&child, depth + 1),
                }
            }
        }
    }
}

/// Renders the text below `root` as paragraphs separated by blank lines.
pub(crate) fn node_text(root: &NodeRef) -> String {
    let mut b = Builder {
        paras: Vec::new(),
        cur: String::new(),
        pending_space: false,
        pre_depth: 0,
    };
    b.walk(root, 0);
    b.flush();
    b.paras.join("\n\n")
}

/// Collapses all runs of whitespace in `s` to single spaces and trims it.
pub(crate) fn squash(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for w in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
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
}
