//! The HTML tokenizer (html5ever's, no tree builder) driving two linear passes:
//! [`to_text`] (HTML → plain text) and [`bounded`] (HTML with its nesting capped
//! before any tree is built).
//!
//! Tree builders are not linear in nesting: html5ever checks "is a `<p>` in
//! button scope" by walking the stack of open elements at every start tag, so a
//! page of 100,000 unclosed `<div>`s costs ~10¹⁰ steps (53 s to extract, 80–100 s
//! to sanitize). The tokenizer is linear, so [`bounded`] counts depth on tokens
//! and drops the tags nested deeper than the cap (their text stays) before
//! ammonia or dom_query ever see the document.

use std::borrow::Cow;
use std::cell::RefCell;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};

use super::builder::{Role, TextBuilder, role};

/// Feeds `html` through the tokenizer into `sink`.
fn tokenize<S: TokenSink<Handle = ()>>(html: &str, sink: S) -> S {
    let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
    let queue = BufferQueue::default();
    queue.push_back(StrTendril::from_slice(html));
    let _ = tokenizer.feed(&queue);
    tokenizer.end();
    tokenizer.sink
}

/// What the tokenizer must switch to after a start tag, as the tree builder would
/// tell it (scripting enabled, as browsers and html5ever's parser assume).
fn raw_state(name: &str) -> TokenSinkResult<()> {
    match name {
        "script" => TokenSinkResult::RawData(RawKind::ScriptData),
        "style" | "xmp" | "iframe" | "noembed" | "noframes" | "noscript" => {
            TokenSinkResult::RawData(RawKind::Rawtext)
        }
        "textarea" | "title" => TokenSinkResult::RawData(RawKind::Rcdata),
        "plaintext" => TokenSinkResult::Plaintext,
        _ => TokenSinkResult::Continue,
    }
}

/// Elements that never have content (no end tag).
pub(crate) fn is_void(name: &str) -> bool {
    matches!(
        name,
        "area"
            | "base"
            | "br"
            | "col"
            | "embed"
            | "hr"
            | "img"
            | "input"
            | "link"
            | "meta"
            | "source"
            | "track"
            | "wbr"
            | "param"
            | "keygen"
            | "basefont"
            | "bgsound"
            | "frame"
            | "image"
    )
}

// ---------------------------------------------------------------- to_text

/// What [`to_text`] does with each token: one rule set, driven by the
/// tokenizer ([`TextSink`]) or by [`serialized_text`]'s scan.
#[derive(Default)]
struct TextEvents {
    b: TextBuilder,
    /// Open elements whose content is skipped (innermost last).
    skipping: Vec<String>,
}

impl TextEvents {
    fn chars(&mut self, s: &str) {
        if self.skipping.is_empty() {
            self.b.text(s);
        }
    }

    /// A start tag, by its lower-case name.
    fn start(&mut self, name: &str, self_closing: bool) {
        // A ruby reading ends where the next reading or base starts (`</rt>`
        // and `</rp>` are optional).
        if matches!(name, "rt" | "rp" | "rb" | "rtc")
            && self
                .skipping
                .last()
                .is_some_and(|s| matches!(&**s, "rt" | "rp"))
        {
            self.skipping.pop();
        }
        let r = role(name);
        if r == Role::Skip {
            if !is_void(name) && !self_closing {
                self.skipping.push(name.to_string());
            }
        } else if self.skipping.is_empty() {
            self.b.open(r);
        }
    }

    /// An end tag, by its lower-case name.
    fn end(&mut self, name: &str) {
        if name == "ruby"
            && self
                .skipping
                .last()
                .is_some_and(|s| matches!(&**s, "rt" | "rp"))
        {
            self.skipping.pop();
        }
        if self.skipping.last().is_some_and(|s| s == name) {
            self.skipping.pop();
        } else if self.skipping.is_empty() {
            self.b.close(role(name));
        }
    }
}

struct TextSink(RefCell<TextEvents>);

impl TokenSink for TextSink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut ev = self.0.borrow_mut();
        match token {
            Token::CharacterTokens(t) => ev.chars(&t),
            Token::TagToken(tag) => match tag.kind {
                TagKind::StartTag => {
                    ev.start(&tag.name, tag.self_closing);
                    return raw_state(&tag.name);
                }
                TagKind::EndTag => ev.end(&tag.name),
            },
            Token::NullCharacterToken
            | Token::CommentToken(_)
            | Token::DoctypeToken(_)
            | Token::EOFToken
            | Token::ParseError(_) => {}
        }
        TokenSinkResult::Continue
    }
}

/// Plain text of an HTML fragment: paragraphs separated by blank lines,
/// whitespace collapsed, entities decoded (the full HTML table), scripts, styles,
/// form controls and ruby readings left out. Linear in the input; never panics.
pub fn to_text(html: &str) -> String {
    if !html.contains(['<', '&']) {
        // No markup: the tokenizer would hand over one run of characters.
        let mut b = TextBuilder::default();
        b.text(html);
        return b.finish();
    }
    let sink = tokenize(html, TextSink(RefCell::default()));
    sink.0.into_inner().b.finish()
}

/// [`to_text`] of HTML that html5ever's serializer wrote (what
/// [`super::sanitize`] returns), from one scan of its bytes instead of the
/// tokenizer: the same text, at several times the speed. Such HTML has a
/// narrow form: `<` only opens a tag (`<name>`, `<name a="v">`, `</name>`),
/// attribute values are double-quoted with `"`, `<` and `>` escaped, and text
/// holds no reference but `&amp;`, `&lt;`, `&gt;`, `&quot;` and `&nbsp;`.
/// Anything else (a comment, another reference, a raw-text element such as an
/// SVG `<title>`, a carriage return) returns None, and the caller tokenizes.
pub fn serialized_text(html: &str) -> Option<String> {
    // The tokenizer drops a byte order mark at the start.
    let html = html.strip_prefix('\u{feff}').unwrap_or(html);
    let b = html.as_bytes();
    // The tokenizer turns CR and CR LF into LF and drops NUL.
    if memchr::memchr2(b'\r', 0, b).is_some() {
        return None;
    }
    let mut ev = TextEvents::default();
    let mut name = String::new();
    let mut i = 0;
    while i < b.len() {
        let Some(at) = memchr::memchr2(b'<', b'&', &b[i..]).map(|p| i + p) else {
            ev.chars(&html[i..]);
            break;
        };
        if at > i {
            ev.chars(&html[i..at]);
        }
        if b[at] == b'&' {
            let rest = &b[at..];
            let (c, len) = [
                ("&", "&amp;"),
                ("<", "&lt;"),
                (">", "&gt;"),
                ("\"", "&quot;"),
                ("\u{a0}", "&nbsp;"),
            ]
            .into_iter()
            .find(|(_, r)| rest.starts_with(r.as_bytes()))
            .map(|(c, r)| (c, r.len()))?;
            ev.chars(c);
            i = at + len;
            continue;
        }
        let end_tag = b.get(at + 1) == Some(&b'/');
        let start = at + 1 + usize::from(end_tag);
        let len = b[start..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b':' | b'_'))
            .count();
        if !b.get(start).is_some_and(u8::is_ascii_alphabetic) {
            return None;
        }
        name.clear();
        name.push_str(&html[start..start + len]);
        name.make_ascii_lowercase();
        let mut j = start + len;
        if end_tag {
            if b.get(j) != Some(&b'>') {
                return None;
            }
            ev.end(&name);
            i = j + 1;
            continue;
        }
        // Attributes: ` name="value"` each, then `>`.
        loop {
            match b.get(j) {
                Some(b'>') => break,
                Some(b' ') => {
                    let eq = memchr::memchr(b'=', &b[j + 1..]).map(|p| j + 1 + p)?;
                    let attr = &b[j + 1..eq];
                    if attr.is_empty()
                        || attr.iter().any(|c| {
                            c.is_ascii_whitespace()
                                || matches!(c, b'"' | b'\'' | b'<' | b'>' | b'/')
                        })
                        || b.get(eq + 1) != Some(&b'"')
                    {
                        return None;
                    }
                    let close = memchr::memchr(b'"', &b[eq + 2..]).map(|p| eq + 2 + p)?;
                    j = close + 1;
                }
                _ => return None,
            }
        }
        if !matches!(raw_state(&name), TokenSinkResult::Continue) {
            return None;
        }
        ev.start(&name, false);
        i = j + 1;
    }
    Some(ev.b.finish())
}

// ---------------------------------------------------------------- bounded

/// Whether some `<img>` tag might be a tracking pixel: a cheap look at each
/// image tag's text (a superset of what `sanitize::is_pixel_tag` decides on
/// the parsed tag), so that pages whose images are all plain photos skip the
/// token pass.
fn may_hold_a_pixel(html: &str) -> bool {
    let b = html.as_bytes();
    let mut i = 0;
    while let Some(at) = b[i..].iter().position(|&c| c == b'<').map(|p| i + p) {
        i = at + 1;
        if !b
            .get(at + 1..at + 4)
            .is_some_and(|n| n.eq_ignore_ascii_case(b"img"))
        {
            continue;
        }
        let end = b[at..]
            .iter()
            .position(|&c| c == b'>')
            .map_or(b.len(), |p| at + p);
        let tag = html[at..end].to_ascii_lowercase();
        let tiny = ["width", "height"].iter().any(|a| {
            tag.match_indices(a).any(|(p, _)| {
                let v = tag[p + a.len()..]
                    .trim_start()
                    .trim_start_matches('=')
                    .trim_start();
                let v = v.trim_start_matches(['"', '\'']);
                v.starts_with(['0', '1']) && !v[1..].starts_with(|c: char| c.is_ascii_digit())
            })
        });
        if tiny
            || super::sanitize::TRACKER_PATTERNS
                .iter()
                .any(|p| tag.contains(p))
        {
            return true;
        }
        i = end;
    }
    false
}

/// Elements whose end tag may be left out: a new one closes the open one.
fn closes_itself(name: &str) -> bool {
    matches!(
        name,
        "p" | "li"
            | "dt"
            | "dd"
            | "tr"
            | "td"
            | "th"
            | "option"
            | "optgroup"
            | "rb"
            | "rt"
            | "rtc"
            | "rp"
            | "thead"
            | "tbody"
            | "tfoot"
            | "colgroup"
    )
}

/// How far down the open elements a tag looks for the one it closes. Constant,
/// so every tag costs O(1) and the pass stays linear.
const LOOKBACK: usize = 8;

/// Whether a tree builder, meeting the start tag `new` (one that
/// [`closes_itself`]), looks past the open element `open` for one of its
/// kind to close. Where it would not (`<ul>` between two `<li>`s, a `<table>`
/// between two `<td>`s, a `<button>` between two `<p>`s), the new element
/// nests: counting it as closing would let `<ul><li>` × 100,000 through as
/// depth 2, where the tree is 200,000 deep. Erring towards "nests" only drops
/// tags of documents this deep sooner.
fn start_passes(new: &str, open: &str) -> bool {
    match new {
        // The list-item algorithm stops at special elements but these three.
        "li" | "dt" | "dd" => !is_special(open) || matches!(open, "address" | "div" | "p"),
        // "A p element in button scope".
        "p" => !is_scope_boundary(open) && open != "button",
        // Only the current node (an option inside an optgroup for optgroup).
        "option" => false,
        "optgroup" => open == "option",
        // Implied end tags: only these are closed on the way.
        "rb" | "rt" | "rtc" | "rp" => matches!(
            open,
            "rb" | "rp" | "rt" | "rtc" | "p" | "li" | "dd" | "dt" | "option" | "optgroup"
        ),
        // Table parts: "in table scope".
        _ => !matches!(open, "table" | "template" | "html"),
    }
}

/// Whether an end tag `name` looks past the open element `open` for its own:
/// never past a scope boundary, and, for other than the block elements whose
/// end tag closes what is inside them, never past a special element.
fn end_passes(name: &str, open: &str) -> bool {
    if is_scope_boundary(open) {
        return false;
    }
    matches!(
        name,
        "address"
            | "article"
            | "aside"
            | "blockquote"
            | "center"
            | "details"
            | "dialog"
            | "dir"
            | "div"
            | "dl"
            | "fieldset"
            | "figcaption"
            | "figure"
            | "footer"
            | "header"
            | "hgroup"
            | "listing"
            | "main"
            | "menu"
            | "nav"
            | "ol"
            | "pre"
            | "section"
            | "summary"
            | "ul"
            | "p"
            | "li"
            | "dd"
            | "dt"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "table"
            | "tbody"
            | "thead"
            | "tfoot"
            | "tr"
            | "td"
            | "th"
    ) || !is_special(open)
}

/// The boundaries of an element's "default scope" (HTML elements).
fn is_scope_boundary(name: &str) -> bool {
    matches!(
        name,
        "applet"
            | "caption"
            | "html"
            | "table"
            | "td"
            | "th"
            | "marquee"
            | "object"
            | "template"
            | "svg"
            | "math"
            | "foreignObject"
            | "foreignobject"
    )
}

/// The HTML parsing algorithm's "special" elements (HTML namespace).
fn is_special(name: &str) -> bool {
    matches!(
        name,
        "address"
            | "applet"
            | "area"
            | "article"
            | "aside"
            | "base"
            | "basefont"
            | "bgsound"
            | "blockquote"
            | "body"
            | "br"
            | "button"
            | "caption"
            | "center"
            | "col"
            | "colgroup"
            | "dd"
            | "details"
            | "dir"
            | "div"
            | "dl"
            | "dt"
            | "embed"
            | "fieldset"
            | "figcaption"
            | "figure"
            | "footer"
            | "form"
            | "frame"
            | "frameset"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "head"
            | "header"
            | "hgroup"
            | "hr"
            | "html"
            | "iframe"
            | "img"
            | "input"
            | "keygen"
            | "li"
            | "link"
            | "listing"
            | "main"
            | "marquee"
            | "menu"
            | "meta"
            | "nav"
            | "noembed"
            | "noframes"
            | "noscript"
            | "object"
            | "ol"
            | "p"
            | "param"
            | "plaintext"
            | "pre"
            | "script"
            | "search"
            | "section"
            | "select"
            | "source"
            | "style"
            | "summary"
            | "table"
            | "tbody"
            | "td"
            | "template"
            | "textarea"
            | "tfoot"
            | "th"
            | "thead"
            | "title"
            | "tr"
            | "track"
            | "ul"
            | "wbr"
            | "xmp"
            | "svg"
            | "math"
    )
}

/// Where among the newest [`LOOKBACK`] open elements the one a start (or end)
/// tag `name` closes is (0: the current node), looking no further than
/// [`start_passes`] (or [`end_passes`]) allows.
fn closing(open: &[html5ever::LocalName], name: &str, start: bool) -> Option<usize> {
    let passes = if start { start_passes } else { end_passes };
    // A new definition term or description closes either, as does a new cell
    // (start tags only: an end tag closes its own kind).
    let kin = |o: &str| match name {
        _ if !start => o == name,
        "dd" | "dt" => matches!(o, "dd" | "dt"),
        "td" | "th" => matches!(o, "td" | "th"),
        _ => o == name,
    };
    for (at, o) in open.iter().rev().take(LOOKBACK).enumerate() {
        if kin(o) {
            return Some(at);
        }
        if !passes(name, o) {
            return None;
        }
    }
    None
}

struct BoundSink {
    max_depth: usize,
    drop_pixels: bool,
    state: RefCell<BoundState>,
}

#[derive(Default)]
struct BoundState {
    out: String,
    open: Vec<html5ever::LocalName>,
    /// Start tags dropped and not yet matched by an end tag.
    dropped_open: usize,
    dropped: bool,
    /// Inside a raw-text element: its characters are written as they are.
    raw: bool,
    /// Inside a raw-text element whose start tag was dropped (too deep): its
    /// characters (script, style) go too, rather than show as text.
    raw_dropped: bool,
}

fn escape_into(out: &mut String, s: &str, attribute: bool) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\u{a0}' => out.push_str("&nbsp;"),
            c => out.push(c),
        }
    }
}

impl TokenSink for BoundSink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut st = self.state.borrow_mut();
        match token {
            Token::CharacterTokens(t) => {
                if st.raw_dropped {
                    return TokenSinkResult::Continue;
                }
                if st.raw {
                    st.out.push_str(&t);
                } else {
                    escape_into(&mut st.out, &t, false);
                }
            }
            Token::TagToken(tag) => {
                let name: &str = &tag.name;
                match tag.kind {
                    TagKind::StartTag => {
                        if self.drop_pixels && super::sanitize::is_pixel_tag(&tag) {
                            st.dropped = true;
                            return TokenSinkResult::Continue;
                        }
                        if closes_itself(name)
                            && let Some(at) = closing(&st.open, name, true)
                        {
                            let keep = st.open.len() - 1 - at;
                            st.open.truncate(keep);
                        }
                        let pushes = !is_void(name) && !tag.self_closing;
                        if pushes && st.open.len() >= self.max_depth {
                            st.dropped_open += 1;
                            st.dropped = true;
                            // The tokenizer still reads a script or style as
                            // raw text, and that text is dropped with its tag.
                            let next = raw_state(name);
                            st.raw_dropped = !matches!(next, TokenSinkResult::Continue);
                            return next;
                        }
                        st.out.push('<');
                        st.out.push_str(name);
                        for a in &tag.attrs {
                            st.out.push(' ');
                            if !a.name.prefix.as_ref().is_none_or(|p| p.is_empty()) {
                                st.out.push_str(a.name.prefix.as_deref().unwrap_or(""));
                                st.out.push(':');
                            }
                            st.out.push_str(&a.name.local);
                            st.out.push_str("=\"");
                            escape_into(&mut st.out, &a.value, true);
                            st.out.push('"');
                        }
                        if tag.self_closing {
                            st.out.push_str(" /");
                        }
                        st.out.push('>');
                        if pushes {
                            st.open.push(tag.name.clone());
                        }
                        let next = raw_state(name);
                        st.raw = !matches!(next, TokenSinkResult::Continue);
                        return next;
                    }
                    TagKind::EndTag => {
                        st.raw = false;
                        st.raw_dropped = false;
                        match closing(&st.open, name, false) {
                            Some(at) => {
                                let keep = st.open.len() - 1 - at;
                                st.open.truncate(keep);
                            }
                            None if st.dropped_open > 0 => {
                                st.dropped_open -= 1;
                                return TokenSinkResult::Continue;
                            }
                            None => {}
                        }
                        st.out.push_str("</");
                        st.out.push_str(name);
                        st.out.push('>');
                    }
                }
            }
            Token::NullCharacterToken
            | Token::CommentToken(_)
            | Token::DoctypeToken(_)
            | Token::EOFToken
            | Token::ParseError(_) => {}
        }
        TokenSinkResult::Continue
    }
}

/// `html` with elements nested deeper than `max_depth` unwrapped (their tags
/// dropped, their text kept), so that building a tree of it costs time linear
/// in its length. Borrowed when nothing had to be dropped (the usual case).
/// Depth is counted on tokens the way a tree builder would, approximately:
/// void elements do not nest, and `<p>`, `<li>`, `<td>`… close an open one of
/// their kind nearby.
pub fn bounded(html: &str, max_depth: usize) -> Cow<'_, str> {
    prefilter(html, max_depth, false)
}

/// [`bounded`], and with `drop_pixels` without tracking pixels (see
/// [`super::is_tracking_image`]), in the same pass.
pub(crate) fn prefilter(html: &str, max_depth: usize, drop_pixels: bool) -> Cow<'_, str> {
    // Fewer start tags than the cap cannot nest past it, and without an image tag
    // that might be a pixel there is nothing to drop: most bodies need no pass.
    let b = html.as_bytes();
    let starts = memchr::memchr_iter(b'<', b)
        .filter(|&i| b.get(i + 1).is_some_and(u8::is_ascii_alphabetic))
        .take(max_depth + 1)
        .count();
    if starts <= max_depth && !(drop_pixels && may_hold_a_pixel(html)) {
        return Cow::Borrowed(html);
    }
    let sink = tokenize(
        html,
        BoundSink {
            max_depth,
            drop_pixels,
            state: RefCell::new(BoundState {
                out: String::with_capacity(html.len()),
                ..Default::default()
            }),
        },
    );
    let state = sink.state.into_inner();
    if state.dropped {
        Cow::Owned(state.out)
    } else {
        Cow::Borrowed(html)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_of_fragments() {
        assert_eq!(
            to_text("<p>One <b>two</b></p><p>three</p>"),
            "One two\n\nthree"
        );
        assert_eq!(to_text("AT&amp;T <b>wins</b>"), "AT&T wins");
        assert_eq!(to_text("1 < 2 & 3"), "1 < 2 & 3");
        assert_eq!(to_text("&bogus; &"), "&bogus; &");
        assert_eq!(
            to_text("Seoul&nbsp;talks &#8212; &#x4E2D; &hearts;"),
            "Seoul talks — 中 ♥"
        );
        assert_eq!(to_text("a<script>x<y</script>b<style>p{}</style>c"), "abc");
        assert_eq!(to_text("x<br>y<div>z</div>"), "x\ny\n\nz");
        assert_eq!(to_text("plain\n\ntext  here"), "plain text here");
    }

    // Regression: an unclosed tag at the end of a description ending in a
    // non-ASCII character made the old hand scanner slice inside the character
    // and panic (and the daemon with it, at start-up).
    #[test]
    fn unclosed_tags_before_multibyte_text() {
        assert_eq!(to_text("<a é"), "");
        assert_eq!(to_text("x <b 한"), "x");
        assert_eq!(to_text("x <b>한"), "x 한");
        assert_eq!(bounded("<a é", 4), "<a é");
    }

    #[test]
    fn serialized_html_scans_to_the_tokenizers_text() {
        for html in [
            "<p>One <b>two</b></p><p>three &amp; four&nbsp;five &lt;6&gt; \"q\"</p>",
            "<h2>Head</h2><ul><li>a</li><li>b</li></ul><p>x<br>y</p>",
            r#"<p><a href="https://e.example/?a=1&amp;b=&quot;2&quot;" rel="noopener">more</a> <img src="https://e.example/i.jpg" alt="a &lt;b&gt;"></p>"#,
            "<table><tbody><tr><td>1</td><td>2</td></tr></tbody></table><pre>  keep\n  this </pre>",
            "<ruby>日本<rt>にっぽん</rt></ruby>語 <ruby>漢<rp>(</rp><rt>かん</rt><rp>)</rp></ruby>",
            "plain words only",
            "",
        ] {
            assert_eq!(
                serialized_text(html).as_deref(),
                Some(&*to_text(html)),
                "{html}"
            );
        }
        // What the serializer never writes goes to the tokenizer.
        for html in [
            "a<!-- c -->b",
            "&#8212;",
            "&hellip;",
            "a & b",
            "x\r\ny",
            "<svg><title>t</title></svg>",
            "<br/>",
            "<a href=x>",
            "1 < 2",
            "<>",
            "</ b>",
        ] {
            assert_eq!(serialized_text(html), None, "{html}");
        }
    }

    #[test]
    fn ruby_readings_dropped_closed_or_not() {
        assert_eq!(to_text("<ruby>日本<rt>にっぽん</rt></ruby>"), "日本");
        assert_eq!(
            to_text("<ruby>漢<rp>(</rp><rt>かん<rp>)</rp>字<rt>じ</ruby>です"),
            "漢字です"
        );
    }

    #[test]
    fn the_pixel_precheck_is_a_superset_of_the_rule() {
        for html in [
            r#"<img src="x" width="1" height="1">"#,
            "<IMG SRC=x HEIGHT=0>",
            "<img width = '1px' src=x>",
            r#"<img src="https://stats.wp.com/g.gif">"#,
        ] {
            assert!(may_hold_a_pixel(html), "{html}");
        }
        for html in [
            r#"<img src="a.jpg" width="100" height="12">"#,
            "<p>no image</p>",
            "<imgx>",
        ] {
            assert!(!may_hold_a_pixel(html), "{html}");
        }
    }

    #[test]
    fn deep_nesting_is_unwrapped_and_text_kept() {
        let deep = format!("{}core{}", "<div>".repeat(1000), "</div>".repeat(1000));
        let b = bounded(&deep, 64);
        assert_eq!(b.matches("<div>").count(), 64);
        assert_eq!(b.matches("</div>").count(), 64);
        assert!(b.contains("core"));
        // Shallow documents come back untouched.
        let shallow = "<ul><li>a<li>b<li>c</ul><p>x<p>y";
        assert!(matches!(bounded(shallow, 3), Cow::Borrowed(_)));
        // Unclosed list items and paragraphs do not count as nesting.
        let list = format!("<ul>{}</ul>", "<li><p>item".repeat(500));
        assert!(matches!(bounded(&list, 8), Cow::Borrowed(_)));
    }

    #[test]
    fn a_script_past_the_depth_cap_goes_with_its_tag() {
        let deep = format!(
            "{}<script>var a = '<b>x</b>';</script><style>p{{}}</style>text{}",
            "<div>".repeat(100),
            "</div>".repeat(100)
        );
        let b = bounded(&deep, 64);
        assert!(b.contains("text"), "{b}");
        assert!(!b.contains("var a") && !b.contains("p{}"), "{b}");
    }

    #[test]
    fn items_that_nest_in_a_tree_builder_count_as_nesting() {
        // A list inside each item, a table inside each cell, a button between
        // paragraphs, a block between list items: a tree builder nests each new
        // element (html5ever's stack grows with every repetition), so they count.
        for unit in [
            "<ul><li>x",
            "<table><tr><td>x",
            "<p><button>x",
            "<li><blockquote>x",
            "<div><table>x</div>",
        ] {
            let html = unit.repeat(200);
            let b = bounded(&html, 64);
            assert!(matches!(b, Cow::Owned(_)), "{unit} was not bounded");
            assert_eq!(b.matches('x').count(), 200, "{unit}: text kept");
        }
        // Flat repetitions still close each other.
        for flat in ["<li>x", "<dt>x<dd>x", "<p>x", "<tr><td>x<td>x", "<option>x"] {
            let html = format!("<ul><table><select>{}", flat.repeat(200));
            assert!(matches!(bounded(&html, 64), Cow::Borrowed(_)), "{flat}");
        }
    }
}
