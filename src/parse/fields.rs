//! What an XML entry's own elements say, laid over feed-rs's reading of it.
//!
//! feed-rs flattens text constructs to a string (an Atom `type="text"` title and
//! an escaped-HTML one look alike), drops inline markup it does not expect, leaves
//! base64 content encoded, reads one author name without its e-mail, and ignores
//! `dc:subject`, `dc:title`, `dcterms:` dates, `xhtml:body`, `itunes:summary`,
//! permalink guids and `xml:base` on bodies. [`apply`] fills those in from the
//! [`capture`](super::capture) of the same document.

use super::capture::{Child, Entry, Ns};
use super::dates;
use crate::model::{Body, Enclosure, ParsedEntry, Person, TextKind};
use crate::text;

/// RSS elements: no namespace, or RSS 1.0/0.90's.
fn rss(c: &Child) -> bool {
    matches!(c.ns, Ns::None | Ns::Rss)
}

fn inner<'a>(c: &Child, doc: &'a str) -> &'a str {
    doc.get(c.inner.clone()).unwrap_or("")
}

/// An Atom text construct (`title`, `summary`, `content`; Atom 0.3's `mode`
/// included) as a [`Body`]. `None` for out-of-line content (`src`).
fn atom_text(c: &Child, doc: &str) -> Option<Body> {
    if c.attr("src").is_some() && c.text.trim().is_empty() && !c.elements {
        return None;
    }
    let ty = c.attr("type").unwrap_or("text").trim().to_ascii_lowercase();
    let mode = c.attr("mode").map(|m| m.trim().to_ascii_lowercase());
    let textual = matches!(ty.as_str(), "text" | "html" | "xhtml")
        || ty.starts_with("text/")
        || ty.ends_with("xml")
        || ty.contains("html");
    if mode.as_deref() == Some("base64") || !textual {
        let decoded = base64(&c.text)?;
        let kind = if ty.contains("html") || text::looks_like_html(&decoded) {
            TextKind::Html
        } else {
            TextKind::Text
        };
        return Some(Body {
            value: decoded,
            kind,
        });
    }
    if mode.as_deref() == Some("escaped") {
        return Some(Body::html(c.text.trim()));
    }
    let body = match ty.as_str() {
        "xhtml" | "application/xhtml+xml" => {
            // The content is wrapped in one XHTML <div>, which is not part of it.
            let div = c.children.iter().find(|g| g.name == "div");
            let markup = match div {
                Some(d) if c.children.len() == 1 => inner(d, doc),
                _ => inner(c, doc),
            };
            Body::html(markup.trim())
        }
        "html" | "text/html" if c.elements => Body::html(inner(c, doc).trim()),
        "html" | "text/html" => Body::html(c.text.trim()),
        // Atom 0.3 defaults to mode="xml": elements inside are markup.
        _ if c.elements => Body::html(inner(c, doc).trim()),
        t if t.ends_with("xml") => Body::html(inner(c, doc).trim()),
        _ => Body::text(c.text.trim()),
    };
    Some(body)
}

/// An RSS text element: HTML by convention (naked elements are markup too).
fn rss_html(c: &Child, doc: &str) -> Body {
    if c.elements {
        Body::html(inner(c, doc).trim())
    } else {
        Body::html(c.text.trim())
    }
}

/// An RSS title: plain text unless it looks like HTML (see
/// [`text::looks_like_html`]) or holds elements.
fn rss_title(c: &Child, doc: &str) -> Body {
    if c.elements {
        return Body::html(inner(c, doc).trim());
    }
    let t = c.text.trim();
    if text::looks_like_html(t) {
        Body::html(t)
    } else {
        Body::text(t)
    }
}

fn nonempty(b: Option<Body>) -> Option<Body> {
    b.filter(|b| !b.value.trim().is_empty())
}

/// Overlays what `captured` (the same entry, from the document) says on `entry`.
pub fn apply(entry: &mut ParsedEntry, captured: &Entry, doc: &str) {
    let children = &captured.children;
    let find = |pred: &dyn Fn(&Child) -> bool| children.iter().find(|c| pred(c));
    let atom = children.iter().any(|c| c.ns == Ns::Atom);

    // Title.
    let title = if atom {
        find(&|c| c.is(Ns::Atom, "title")).and_then(|c| atom_text(c, doc))
    } else {
        find(&|c| rss(c) && c.name.eq_ignore_ascii_case("title")).map(|c| rss_title(c, doc))
    };
    let title = nonempty(title)
        .or_else(|| find(&|c| c.is(Ns::Dc, "title")).map(|c| Body::text(c.text.trim())));
    if let Some(t) = nonempty(title) {
        entry.title = Some(t);
    }

    // Summary and content, and the xml:base their markup was written against.
    let mut summary = None;
    let mut content = None;
    let mut base = None;
    for c in children {
        let (slot, body) = if c.is(Ns::Atom, "summary") {
            (&mut summary, atom_text(c, doc))
        } else if c.is(Ns::Atom, "content") {
            (&mut content, atom_text(c, doc))
        } else if rss(c) && c.name.eq_ignore_ascii_case("description") {
            (&mut summary, Some(rss_html(c, doc)))
        } else if rss(c) && c.name == "summary" {
            // A summary beside a description is the fuller text.
            if summary.is_some() {
                (&mut content, Some(rss_html(c, doc)))
            } else {
                (&mut summary, Some(rss_html(c, doc)))
            }
        } else if c.is(Ns::Content, "encoded")
            || c.is(Ns::Xhtml, "body")
            || (rss(c) && (c.name == "body" || c.name == "fullitem"))
        {
            (&mut content, Some(rss_html(c, doc)))
        } else {
            continue;
        };
        if slot.is_none()
            && let Some(b) = nonempty(body)
        {
            *slot = Some(b);
            if base.is_none() {
                base = c.base.as_deref().map(str::to_string);
            }
        } else if rss(c) && c.name == "description" && content.is_none() && summary.is_some() {
            // A second description (Atom-style feeds mixing vocabularies).
            content = nonempty(Some(rss_html(c, doc)));
        }
    }
    if summary.is_none() {
        summary = find(&|c| c.is(Ns::Itunes, "summary"))
            .and_then(|c| nonempty(Some(Body::text(c.text.trim()))));
    }
    if summary.is_some() || content.is_some() {
        entry.summary = summary;
        entry.content = content;
    }
    if base.is_some() {
        entry.base = base;
    }

    // Authors, with their e-mail addresses, in document order.
    let mut authors: Vec<Person> = Vec::new();
    for c in children {
        let person = if c.is(Ns::Atom, "author") {
            Some(Person {
                name: c.child_text("name").map(text::inline_auto),
                email: c.child_text("email").map(str::to_string),
                uri: c
                    .child_text("uri")
                    .or_else(|| c.child_text("url"))
                    .and_then(|u| {
                        text::safe_link(
                            u,
                            c.base
                                .as_deref()
                                .and_then(|b| url::Url::parse(b).ok())
                                .as_ref(),
                            &[],
                        )
                    }),
            })
        } else if (rss(c) && c.name == "author")
            || c.is(Ns::Dc, "creator")
            || c.is(Ns::Dc, "author")
            || c.is(Ns::Itunes, "author")
        {
            contact(&c.text)
        } else {
            None
        };
        if let Some(p) = person.filter(|p| p.name.is_some() || p.email.is_some())
            && authors.len() < super::MAX_AUTHORS
            && !authors.contains(&p)
        {
            authors.push(p);
        }
    }
    if !authors.is_empty() {
        entry.authors = authors;
    }

    // Categories: terms, from every vocabulary.
    let mut categories: Vec<String> = Vec::new();
    for c in children {
        let mut push = |t: &str| {
            let t = t.trim();
            if !t.is_empty()
                && categories.len() < super::MAX_CATEGORIES
                && !categories.iter().any(|x| x == t)
            {
                categories.push(t.to_string());
            }
        };
        if c.is(Ns::Atom, "category") {
            if let Some(t) = c
                .attr("term")
                .filter(|t| !t.trim().is_empty())
                .or(c.attr("label"))
            {
                push(t);
            }
        } else if (rss(c) && c.name == "category")
            || c.is(Ns::Dc, "subject")
            || c.is(Ns::Media, "category")
        {
            push(&c.text);
        } else if c.is(Ns::Itunes, "category") {
            if let Some(t) = c.attr("text") {
                push(t);
            }
            for sub in &c.children {
                if let Some(t) = sub.attr("text") {
                    push(t);
                }
            }
        }
    }
    if !categories.is_empty() {
        entry.categories = categories;
    }

    // Dates feed-rs does not read.
    let date_of = |pred: &dyn Fn(&Child) -> bool| find(pred).and_then(|c| dates::parse(&c.text));
    if entry.published.is_none() {
        entry.published = date_of(&|c| {
            c.is(Ns::DcTerms, "issued")
                || c.is(Ns::DcTerms, "created")
                || c.is(Ns::Atom, "issued")
                || c.is(Ns::Atom, "created")
        });
    }
    let stated_update = date_of(&|c| c.is(Ns::DcTerms, "modified") || c.is(Ns::Atom, "modified"))
        .or_else(|| {
            captured
                .attrs
                .iter()
                .find(|(_, n, _)| n.eq_ignore_ascii_case("lastmod"))
                .and_then(|(_, _, v)| dates::parse(v))
        });
    if let Some(u) = stated_update {
        entry.updated = Some(u);
    } else if entry.updated.is_none() {
        entry.updated = date_of(&|c| c.is(Ns::Atom, "updated"));
    }

    // The link as written when it is absolute (feed-rs normalises it, which
    // changes the letter case of hosts, `http://item.TEST/`).
    let written = find(&|c| {
        (rss(c) && c.name == "link")
            || (c.is(Ns::Atom, "link") && matches!(c.attr("rel"), None | Some("alternate")))
    })
    .map(|c| c.attr("href").unwrap_or(&c.text).trim())
    .filter(|l| url::Url::parse(l).is_ok());
    if let (Some(written), Some(link)) = (written, &entry.link)
        && written.eq_ignore_ascii_case(link)
    {
        entry.link = Some(written.to_string());
    }

    // A link: Atom 0.3 links with the URL as text; a permalink guid; CDF's HREF.
    if entry.link.is_none() {
        let atom_link = find(&|c| {
            c.is(Ns::Atom, "link")
                && c.attr("href").is_none()
                && matches!(c.attr("rel"), None | Some("alternate"))
        })
        .map(|c| c.text.trim().to_string());
        let guid_link = find(&|c| rss(c) && c.name == "guid")
            .filter(|c| {
                !c.attr("isPermaLink")
                    .is_some_and(|v| v.trim().eq_ignore_ascii_case("false"))
            })
            .map(|c| c.text.trim().to_string())
            .filter(|g| g.starts_with("http://") || g.starts_with("https://"));
        let cdf = captured
            .attrs
            .iter()
            .find(|(_, n, _)| n.eq_ignore_ascii_case("href"))
            .map(|(_, _, v)| v.clone());
        entry.link = atom_link.or(guid_link).or(cdf).filter(|l| !l.is_empty());
    }

    // Enclosures written as Atom 0.3 links with the URL as their text.
    for c in children {
        if c.is(Ns::Atom, "link")
            && c.attr("rel") == Some("enclosure")
            && c.attr("href").is_none()
            && !c.text.trim().is_empty()
            && entry.enclosures.len() < super::MAX_ENCLOSURES
        {
            let url = c.text.trim().to_string();
            if !entry.enclosures.iter().any(|e| e.url == url) {
                entry.enclosures.push(Enclosure {
                    url,
                    mime_type: c.attr("type").map(str::to_string),
                    length: c.attr("length").and_then(|l| l.trim().parse().ok()),
                });
            }
        }
    }
}

/// An RSS contact: `email (Name)`, `Name <email>`, an address alone, or a name.
pub fn contact(raw: &str) -> Option<Person> {
    let s = text::inline_auto(raw);
    if s.is_empty() {
        return None;
    }
    let is_email = |t: &str| {
        let t = t.trim().trim_start_matches("mailto:");
        t.contains('@') && !t.contains(char::is_whitespace) && !t.starts_with('@')
    };
    let email = |t: &str| t.trim().trim_start_matches("mailto:").to_string();
    if let Some((before, rest)) = s.split_once('(')
        && let Some(inside) = rest.strip_suffix(')')
    {
        if is_email(before) {
            return Some(Person {
                name: Some(inside.trim().to_string()).filter(|n| !n.is_empty()),
                email: Some(email(before)),
                uri: None,
            });
        }
        if is_email(inside) {
            return Some(Person {
                name: Some(before.trim().to_string()).filter(|n| !n.is_empty()),
                email: Some(email(inside)),
                uri: None,
            });
        }
    }
    if let Some((before, rest)) = s.split_once('<')
        && let Some(inside) = rest.strip_suffix('>')
        && is_email(inside)
    {
        return Some(Person {
            name: Some(before.trim().trim_matches('"').to_string()).filter(|n| !n.is_empty()),
            email: Some(email(inside)),
            uri: None,
        });
    }
    if is_email(&s) {
        return Some(Person {
            name: None,
            email: Some(email(&s)),
            uri: None,
        });
    }
    Some(Person {
        name: Some(s),
        email: None,
        uri: None,
    })
}

/// Standard base64 (whitespace ignored, padding optional), decoded as UTF-8
/// (invalid sequences replaced). `None` when it is not base64.
pub fn base64(s: &str) -> Option<String> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for b in s.bytes() {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            b if b.is_ascii_whitespace() => continue,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    if out.is_empty() {
        return None;
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contacts() {
        let p = contact("me@example.com (Example editor)").unwrap();
        assert_eq!(p.name.as_deref(), Some("Example editor"));
        assert_eq!(p.email.as_deref(), Some("me@example.com"));
        let p = contact("Example editor (me@example.com)").unwrap();
        assert_eq!(
            (p.name.as_deref(), p.email.as_deref()),
            (Some("Example editor"), Some("me@example.com"))
        );
        let p = contact("\"Ed\" <ed@example.com>").unwrap();
        assert_eq!(
            (p.name.as_deref(), p.email.as_deref()),
            (Some("Ed"), Some("ed@example.com"))
        );
        let p = contact("Mark Pilgrim").unwrap();
        assert_eq!((p.name.as_deref(), p.email), (Some("Mark Pilgrim"), None));
        assert_eq!(contact("  "), None);
    }

    #[test]
    fn base64_decodes() {
        assert_eq!(
            base64("RXhhbXBsZSA8Yj5BdG9tPC9iPg==").as_deref(),
            Some("Example <b>Atom</b>")
        );
        assert_eq!(base64(" RXhh\n  bXBs ").as_deref(), Some("Exampl"));
        assert_eq!(base64("not base64!"), None);
    }
}
