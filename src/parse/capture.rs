//! A second, shallow look at an XML feed document: the child elements of each
//! entry as the document wrote them, for what feed-rs drops or flattens (naked
//! and base64 markup, text-construct types, `dc:subject`, `dcterms:` dates,
//! author e-mails, every enclosure, `xml:base`…). `fields` maps them.
//!
//! One linear pass with quick-xml over the document feed-rs read (the original
//! or the repaired text). Inner markup is kept as byte ranges into the document,
//! not copied. Any XML error ends the pass; what was captured before it stays.

use std::ops::Range;
use std::rc::Rc;

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

/// The namespaces whose elements matter here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ns {
    /// No namespace (RSS 0.9x/2.0, CDF).
    None,
    /// Atom 1.0, or Atom 0.3 (`http://purl.org/atom/ns#`).
    Atom,
    /// RSS 1.0 or 0.90 (RDF).
    Rss,
    /// Dublin Core elements.
    Dc,
    /// Dublin Core terms.
    DcTerms,
    /// `content:` (RSS 1.0 content module).
    Content,
    /// XHTML.
    Xhtml,
    /// Apple's iTunes podcast namespace.
    Itunes,
    /// Media RSS.
    Media,
    /// `xml:` (xml:base, xml:lang).
    Xml,
    /// Anything else.
    Other,
}

impl Ns {
    fn of(uri: &str) -> Ns {
        // Case-insensitive, trailing slashes ignored; no copy (this runs for
        // every element and attribute of a document).
        const KNOWN: [(&str, Ns); 10] = [
            ("http://www.w3.org/2005/atom", Ns::Atom),
            ("http://purl.org/atom/ns#", Ns::Atom),
            ("http://purl.org/rss/1.0", Ns::Rss),
            ("http://my.netscape.com/rdf/simple/0.9", Ns::Rss),
            ("http://purl.org/dc/elements/1.1", Ns::Dc),
            ("http://purl.org/dc/terms", Ns::DcTerms),
            ("http://purl.org/rss/1.0/modules/content", Ns::Content),
            ("http://www.w3.org/1999/xhtml", Ns::Xhtml),
            ("http://www.itunes.com/dtds/podcast-1.0.dtd", Ns::Itunes),
            ("http://search.yahoo.com/mrss", Ns::Media),
        ];
        let uri = uri.trim_end_matches('/');
        if uri.eq_ignore_ascii_case("http://www.w3.org/xml/1998/namespace") {
            return Ns::Xml;
        }
        KNOWN
            .iter()
            .find(|(known, _)| known.eq_ignore_ascii_case(uri))
            .map_or(Ns::Other, |&(_, ns)| ns)
    }

    /// `xml_prefix`: the name is written with the `xml:` prefix.
    fn resolve(r: ResolveResult, xml_prefix: bool) -> Ns {
        match r {
            ResolveResult::Bound(ns) => Ns::of(ns.0),
            ResolveResult::Unbound => Ns::None,
            // `xml:` is bound without a declaration.
            ResolveResult::Unknown(_) if xml_prefix => Ns::Xml,
            ResolveResult::Unknown(_) => Ns::Other,
        }
    }
}

/// One element below an entry (a child, or a grandchild in `children`).
#[derive(Debug, Clone)]
pub struct Child {
    /// Its namespace.
    pub ns: Ns,
    /// Local name as written (case kept).
    pub name: String,
    /// Attributes: namespace, local name, value (entities decoded).
    pub attrs: Vec<(Ns, String, String)>,
    /// The text of it and its descendants, entities decoded.
    pub text: String,
    /// The raw markup between its start and end tags, as a range of the document.
    pub inner: Range<usize>,
    /// Whether it has child elements (naked markup, or a structure like an
    /// Atom person).
    pub elements: bool,
    /// The `xml:base` in effect on it, if the document declared one (shared
    /// by every element it covers, not copied to each).
    pub base: Option<Rc<str>>,
    /// Its own child elements (not deeper), for structures such as `author`.
    pub children: Vec<Child>,
}

impl Child {
    /// The value of an attribute in no namespace (case-insensitive name).
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(ns, n, _)| matches!(ns, Ns::None | Ns::Other) && n.eq_ignore_ascii_case(name))
            .map(|(_, _, v)| v.as_str())
    }

    /// Whether it is `name` in namespace `ns` (case-insensitive name).
    pub fn is(&self, ns: Ns, name: &str) -> bool {
        self.ns == ns && self.name.eq_ignore_ascii_case(name)
    }

    /// The trimmed text of its first child element called `name`.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.children
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
            .map(|c| c.text.trim())
            .filter(|t| !t.is_empty())
    }
}

/// One entry element and its children.
#[derive(Debug, Clone, Default)]
pub struct Entry {
    /// The entry element's own attributes (CDF's `LASTMOD`, `HREF`).
    pub attrs: Vec<(Ns, String, String)>,
    /// Its child elements in document order.
    pub children: Vec<Child>,
}

/// What the pass found.
#[derive(Debug, Default)]
pub struct Captured {
    /// Every entry (`item` or `entry` element), in document order, up to the cap.
    pub entries: Vec<Entry>,
    /// The document was read to its end without an XML error.
    pub complete: bool,
}

/// Entries deeper than this are not entries (RSS puts items at depth 3).
const ENTRY_DEPTH: usize = 4;

struct Open {
    /// Where in the capture this element goes.
    slot: Slot,
    /// `xml:base` pushed by this element.
    base_pushed: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// Outside any entry.
    Outside,
    /// The entry element itself.
    Entry,
    /// A child of the entry (index into its children).
    Child,
    /// A grandchild (index into the child's children).
    Grandchild,
    /// Deeper inside a child: only its text is collected.
    Deeper,
}

/// Longest `xml:base` (given or resolved) taken, in bytes.
const MAX_BASE: usize = 2048;

/// Captures the entries of `doc` (at most `max_entries`).
pub fn capture(doc: &str, max_entries: usize) -> Captured {
    let mut reader = NsReader::from_str(doc);
    reader.config_mut().check_end_names = false;
    let mut out = Captured::default();
    let mut stack: Vec<Open> = Vec::new();
    let mut bases: Vec<Rc<str>> = Vec::new();
    let mut current: Option<Entry> = None;
    loop {
        let before = reader.buffer_position() as usize;
        let (ns, event) = match reader.read_resolved_event() {
            Ok((r, e)) => {
                let xml_prefix = match &e {
                    Event::Start(s) | Event::Empty(s) => is_xml(s.name().prefix()),
                    _ => false,
                };
                (Ns::resolve(r, xml_prefix), e)
            }
            Err(_) => break,
        };
        let after = reader.buffer_position() as usize;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                let local = e.local_name().into_inner().to_string();
                let mut attrs = Vec::new();
                for a in e.attributes().with_checks(false).flatten() {
                    let (r, l) = reader.resolver().resolve_attribute(a.key);
                    let ans = Ns::resolve(r, is_xml(a.key.prefix()));
                    let value = a
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map(|v| v.into_owned())
                        .unwrap_or_else(|_| a.value.to_string());
                    attrs.push((ans, l.into_inner().to_string(), value));
                }
                let base_pushed = match attrs.iter().find(|(n, l, _)| *n == Ns::Xml && l == "base")
                {
                    // A base longer than any real URL is not one: ignored, so
                    // that resolving against it stays cheap.
                    Some((_, _, b)) if b.len() <= MAX_BASE => {
                        let resolved = match bases.last().and_then(|p| url::Url::parse(p).ok()) {
                            Some(parent) => parent
                                .join(b)
                                .map(String::from)
                                .unwrap_or_else(|_| b.to_string()),
                            None => b.to_string(),
                        };
                        if resolved.len() <= MAX_BASE {
                            bases.push(resolved.into());
                            true
                        } else {
                            false
                        }
                    }
                    Some(_) => false,
                    None => false,
                };
                let parent = stack.last().map_or(Slot::Outside, |o| o.slot);
                let slot = match parent {
                    Slot::Outside
                        if stack.len() < ENTRY_DEPTH
                            && (local == "item"
                                || local == "entry"
                                || local.eq_ignore_ascii_case("item"))
                            && out.entries.len() < max_entries =>
                    {
                        current = Some(Entry {
                            attrs: attrs.clone(),
                            children: Vec::new(),
                        });
                        Slot::Entry
                    }
                    Slot::Outside => Slot::Outside,
                    Slot::Entry => {
                        if let Some(entry) = current.as_mut() {
                            entry.children.push(Child {
                                ns,
                                name: local,
                                attrs,
                                text: String::new(),
                                inner: after..after,
                                elements: false,
                                base: bases.last().cloned(),
                                children: Vec::new(),
                            });
                        }
                        Slot::Child
                    }
                    Slot::Child => {
                        if let Some(child) = current.as_mut().and_then(|e| e.children.last_mut()) {
                            child.elements = true;
                            child.children.push(Child {
                                ns,
                                name: local,
                                attrs,
                                text: String::new(),
                                inner: after..after,
                                elements: false,
                                base: bases.last().cloned(),
                                children: Vec::new(),
                            });
                        }
                        Slot::Grandchild
                    }
                    Slot::Grandchild | Slot::Deeper => {
                        if let Some(g) = current
                            .as_mut()
                            .and_then(|e| e.children.last_mut())
                            .and_then(|c| c.children.last_mut())
                        {
                            g.elements = true;
                        }
                        Slot::Deeper
                    }
                };
                if empty {
                    close(slot, &mut current, &mut out, before);
                    if base_pushed {
                        bases.pop();
                    }
                } else {
                    stack.push(Open { slot, base_pushed });
                }
            }
            Event::End(_) => {
                let Some(open) = stack.pop() else { break };
                close(open.slot, &mut current, &mut out, before);
                if open.base_pushed {
                    bases.pop();
                }
            }
            Event::Text(t) => {
                let raw = t.xml_content(quick_xml::XmlVersion::Implicit1_0);
                add_text(&stack, &mut current, &raw);
            }
            Event::CData(t) => {
                add_text(&stack, &mut current, &t.into_inner());
            }
            Event::GeneralRef(r) => {
                // A reference's characters, without a string for each (a body
                // of escaped HTML is mostly references).
                let mut buf = [0u8; 8];
                let resolved = r.resolve_char_ref();
                let name = r.into_inner();
                let chars = match resolved {
                    Ok(Some(c)) => Some((c, None)),
                    _ => crate::text::named_entity(&name),
                };
                match chars {
                    Some((a, b)) => {
                        let n = a.encode_utf8(&mut buf).len();
                        let m = b.map_or(0, |b| b.encode_utf8(&mut buf[n..]).len());
                        let text = std::str::from_utf8(&buf[..n + m]).unwrap_or_default();
                        add_text(&stack, &mut current, text);
                    }
                    None => add_text(&stack, &mut current, &format!("&{name};")),
                }
            }
            Event::Eof => {
                out.complete = stack.is_empty();
                break;
            }
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    out
}

/// Whether a name's prefix is `xml`.
fn is_xml(prefix: Option<quick_xml::name::Prefix>) -> bool {
    prefix.is_some_and(|p| p.into_inner() == "xml")
}

/// An element ends at byte `end` (the start of its end tag).
fn close(slot: Slot, current: &mut Option<Entry>, out: &mut Captured, end: usize) {
    match slot {
        Slot::Entry => {
            if let Some(entry) = current.take() {
                out.entries.push(entry);
            }
        }
        Slot::Child => {
            if let Some(child) = current.as_mut().and_then(|e| e.children.last_mut()) {
                child.inner.end = end.max(child.inner.start);
            }
        }
        Slot::Grandchild => {
            if let Some(g) = current
                .as_mut()
                .and_then(|e| e.children.last_mut())
                .and_then(|c| c.children.last_mut())
            {
                g.inner.end = end.max(g.inner.start);
            }
        }
        Slot::Outside | Slot::Deeper => {}
    }
}

fn add_text(stack: &[Open], current: &mut Option<Entry>, text: &str) {
    let depth_slot = stack.last().map_or(Slot::Outside, |o| o.slot);
    let Some(child) = current.as_mut().and_then(|e| e.children.last_mut()) else {
        return;
    };
    match depth_slot {
        Slot::Child => child.text.push_str(text),
        Slot::Grandchild => {
            child.text.push_str(text);
            if let Some(g) = child.children.last_mut() {
                g.text.push_str(text);
            }
        }
        Slot::Deeper => child.text.push_str(text),
        Slot::Outside | Slot::Entry => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn children_text_inner_and_namespaces() {
        let doc = r#"<rss xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>T</title>
            <item><title>A &amp; B</title><description><p>Naked <b>markup</b></p></description>
            <dc:subject>S1</dc:subject><dc:subject>S2</dc:subject><guid isPermaLink="true">http://g/</guid></item>
            <item><title><![CDATA[C<D>]]></title></item></channel></rss>"#;
        let c = capture(doc, 100);
        assert!(c.complete);
        assert_eq!(c.entries.len(), 2);
        let e = &c.entries[0].children;
        assert_eq!(e[0].text, "A & B");
        assert!(e[1].elements);
        assert_eq!(&doc[e[1].inner.clone()], "<p>Naked <b>markup</b></p>");
        assert!(e[2].is(Ns::Dc, "subject") && e[3].text == "S2");
        assert_eq!(e[4].attr("isPermaLink"), Some("true"));
        assert_eq!(c.entries[1].children[0].text, "C<D>");
    }

    #[test]
    fn a_base_longer_than_a_url_is_ignored_and_shared_ones_are_not_copied() {
        let long = format!("http://a.example/{}/", "d".repeat(MAX_BASE));
        let doc = format!(
            r#"<feed xmlns="http://www.w3.org/2005/Atom" xml:base="http://b.example/">
            <entry xml:base="{long}"><title>t</title><x/><x/></entry></feed>"#
        );
        let c = capture(&doc, 100);
        let kids = &c.entries[0].children;
        assert_eq!(kids[0].base.as_deref(), Some("http://b.example/"));
        // One string for every element under the same base.
        let (a, b) = (
            kids[1].base.as_ref().unwrap(),
            kids[2].base.as_ref().unwrap(),
        );
        assert!(Rc::ptr_eq(a, b));
    }

    #[test]
    fn atom_people_and_xml_base() {
        let doc = r#"<feed xmlns="http://www.w3.org/2005/Atom" xml:base="http://a.example/dir/">
            <entry xml:base="sub/"><author><name>N</name><email>e@x</email></author>
            <content type="html">&lt;a href="x"&gt;x&lt;/a&gt;</content></entry></feed>"#;
        let c = capture(doc, 100);
        let e = &c.entries[0].children;
        assert!(e[0].is(Ns::Atom, "author"));
        assert_eq!(e[0].child_text("email"), Some("e@x"));
        assert_eq!(e[1].text, r#"<a href="x">x</a>"#);
        assert_eq!(e[1].base.as_deref(), Some("http://a.example/dir/sub/"));
    }

    #[test]
    fn broken_documents_keep_what_was_read() {
        let c = capture(
            "<rss><channel><item><title>a</title></item><item><title>b",
            10,
        );
        assert_eq!(c.entries.len(), 1);
        assert!(!c.complete);
        assert_eq!(capture("", 10).entries.len(), 0);
        assert_eq!(capture("<a é", 10).entries.len(), 0);
    }
}
