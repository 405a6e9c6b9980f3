//! Feed dialect normalisation, applied during the repair pass (a [`Hook`]): rewrites
//! dialects feed-rs does not read into ones it does.
//!
//! - `<rss>` without a version, or with one other than 2.0/0.91/0.92 (0.93, 0.94, 2.1,
//!   0.90 as `<rss>`...), is read as RSS 2.0;
//! - the RSS 0.90 and RSS 1.1 namespaces become the RSS 1.0 namespace; an RSS 1.1
//!   `<Channel>` root becomes `<RDF><channel>…</channel>` with its `<items>` collection
//!   unwrapped so the items sit where RSS 1.0 puts them;
//! - `<rss>` without `<channel>` gets one around its content; a `</channel>` is
//!   deferred to `</rss>` so items after it still count; CDF `<CHANNEL>` is read as RSS;
//! - RSS 1.0 items without `<link>` get one from `rdf:about` (else the feed URL):
//!   feed-rs drops link-less RSS 1.0 items;
//! - Atom 0.3 becomes Atom 1.0: namespace, `issued`/`created` → `published`,
//!   `modified` → `updated`, `tagline` → `subtitle`, `copyright` → `rights`, `url` → `uri`,
//!   and `mode="escaped|xml|base64"` + MIME `type` → the Atom 1.0 `type`;
//! - Atom text constructs and MediaRSS texts with a `type` feed-rs rejects get the
//!   nearest type it accepts, so one odd entry does not lose the feed.

use super::repair::{Hook, Tag, write_tag};

const ATOM10: &str = "http://www.w3.org/2005/Atom";
const ATOM03: &str = "http://purl.org/atom/ns#";
const RSS10: &str = "http://purl.org/rss/1.0/";
const RSS090: &str = "http://my.netscape.com/rdf/simple/0.9/";
const RSS11: &str = "http://purl.org/net/rss1.1#";
const MRSS: &str = "http://search.yahoo.com/mrss/";
/// UserLand's RSS 0.92/2.0 namespaces: feed-rs reads elements in them as unknown.
const USERLAND: [&str; 2] = [
    "http://backend.userland.com/rss2",
    "http://backend.userland.com/rss",
];

/// A namespace, as far as normalisation cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ns {
    Atom,
    Atom03,
    Rss,
    Rss11,
    Mrss,
    Other,
}

/// The root element's dialect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Root {
    Unknown,
    Rss,
    Rdf,
    Rss11,
    Atom,
    Atom03,
}

/// The dialect normaliser for one document.
pub struct Normaliser {
    /// Namespace declarations in scope: prefix, namespace, depth of the declaring element.
    bindings: Vec<(String, Ns, usize)>,
    root: Root,
    has_issued: bool,
    /// Open RSS 1.0 item: depth, prefix, saw a `<link>`, its `rdf:about`.
    item: Option<(usize, String, bool, Option<String>)>,
    /// RSS 1.1, CDF, `<rss>` without `<channel>`: the prefix of the synthetic
    /// `<channel>` while it is open.
    channel_open: Option<String>,
    /// `<rss>` has a real `<channel>` child (or one appears in the document).
    rss_channel: bool,
    /// The root was a CDF `<CHANNEL>` (or a bare `<channel>`).
    cdf: bool,
    fallback_link: String,
}

impl Normaliser {
    /// A normaliser for `text` (the decoded document); `base` is the feed URL, the
    /// link of last resort for RSS 1.0 items that have neither `<link>` nor `rdf:about`.
    pub fn new(text: &str, base: &str) -> Self {
        Normaliser {
            bindings: Vec::new(),
            root: Root::Unknown,
            has_issued: text.contains("issued>"),
            item: None,
            channel_open: None,
            rss_channel: text.contains("<channel"),
            cdf: false,
            fallback_link: base.replace('&', "&amp;").replace('<', "&lt;"),
        }
    }

    fn ns_of(&self, prefix: &str) -> Option<Ns> {
        if let Some((_, ns, _)) = self.bindings.iter().rev().find(|(p, _, _)| p == prefix) {
            return Some(*ns);
        }
        if !prefix.is_empty() {
            return None;
        }
        match self.root {
            Root::Atom => Some(Ns::Atom),
            Root::Atom03 => Some(Ns::Atom03),
            Root::Rss | Root::Rdf => Some(Ns::Rss),
            Root::Rss11 => Some(Ns::Rss11),
            Root::Unknown => None,
        }
    }

    /// Records namespace declarations, mapping old namespaces to the ones feed-rs reads.
    fn bind(&mut self, tag: &mut Tag, depth: usize, repairs: &mut Vec<&'static str>) {
        for (k, v) in tag.attrs.iter_mut() {
            let prefix = match k.as_str() {
                "xmlns" => "",
                _ => match k.strip_prefix("xmlns:") {
                    Some(p) => p,
                    None => continue,
                },
            };
            let ns = match v.trim() {
                ATOM10 => Ns::Atom,
                ATOM03 => {
                    *v = ATOM10.to_string();
                    Ns::Atom03
                }
                RSS10 => Ns::Rss,
                RSS090 => {
                    *v = RSS10.to_string();
                    note(repairs, "mapped the RSS 0.90 namespace to RSS 1.0");
                    Ns::Rss
                }
                RSS11 => {
                    *v = RSS10.to_string();
                    Ns::Rss11
                }
                MRSS => Ns::Mrss,
                u if USERLAND.contains(&u) => {
                    *v = RSS10.to_string();
                    note(repairs, "mapped the UserLand RSS namespace");
                    Ns::Rss
                }
                _ => Ns::Other,
            };
            self.bindings.push((prefix.to_string(), ns, depth));
        }
    }

    fn root_start(
        &mut self,
        tag: &mut Tag,
        ns: Option<Ns>,
        prefix: &str,
        repairs: &mut Vec<&'static str>,
    ) {
        match tag.local() {
            "rss" => {
                self.root = Root::Rss;
                let v = tag.attr("version").map(str::trim);
                if !matches!(v, Some("2.0" | "0.91" | "0.92")) {
                    tag.set_attr("version", "2.0");
                    note(
                        repairs,
                        "read <rss> of missing or unusual version as RSS 2.0",
                    );
                }
            }
            "feed" | "entry" => {
                let old =
                    ns == Some(Ns::Atom03) || (ns.is_none() && tag.attr("version") == Some("0.3"));
                self.root = if old { Root::Atom03 } else { Root::Atom };
                if old {
                    note(repairs, "mapped Atom 0.3 to Atom 1.0");
                }
            }
            "RDF" => self.root = Root::Rdf,
            l if l.eq_ignore_ascii_case("channel")
                && ns != Some(Ns::Rss11)
                && ns != Some(Ns::Rss) =>
            {
                // CDF (or a bare RSS channel): read as RSS 2.0.
                self.root = Root::Rss;
                self.cdf = true;
                let href = tag
                    .attrs
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("href"))
                    .map(|(_, v)| v.clone());
                tag.name = "rss".to_string();
                tag.attrs.retain(|(k, _)| k.starts_with("xmlns"));
                tag.set_attr("version", "2.0");
                let link = href
                    .map(|h| format!("<link>{h}</link>"))
                    .unwrap_or_default();
                tag.after = Some(format!("<channel>{link}"));
                self.channel_open = Some(String::new());
                note(repairs, "read a CDF or bare channel as RSS 2.0");
            }
            "Channel" if ns == Some(Ns::Rss11) => {
                self.root = Root::Rss11;
                tag.name = format!("{}RDF", pfx(prefix));
                tag.after = Some(format!("<{}channel>", pfx(prefix)));
                self.channel_open = Some(prefix.to_string());
                note(repairs, "mapped RSS 1.1 to RSS 1.0");
            }
            _ => {}
        }
    }

    fn atom(&mut self, tag: &mut Tag, old: bool, repairs: &mut Vec<&'static str>) {
        let local = tag.local().to_string();
        if old {
            let new = match local.as_str() {
                "issued" => Some("published"),
                "created" if !self.has_issued => Some("published"),
                "modified" => Some("updated"),
                "tagline" => Some("subtitle"),
                "copyright" => Some("rights"),
                "url" => Some("uri"),
                _ => None,
            };
            if let Some(new) = new {
                let keep = tag.name.len() - local.len();
                tag.name = format!("{}{}", &tag.name[..keep], new);
            }
            let constructs = [
                "title",
                "subtitle",
                "summary",
                "rights",
                "tagline",
                "copyright",
                "content",
                "info",
            ];
            if constructs.contains(&local.as_str()) {
                // Atom 0.3: `mode` (default "xml") plus a MIME `type` (default text/plain).
                let mode = tag
                    .attr("mode")
                    .map_or("xml".to_string(), |m| m.trim().to_ascii_lowercase());
                tag.attrs.retain(|(k, _)| k != "mode");
                let ty = tag
                    .attr("type")
                    .unwrap_or("text/plain")
                    .trim()
                    .to_ascii_lowercase();
                let new_ty = match mode.as_str() {
                    "escaped" if ty == "text/plain" || ty == "text" => "text".to_string(),
                    "escaped" => "html".to_string(),
                    "base64" if local == "content" => ty,
                    "base64" => "text".to_string(),
                    _ if ty.contains("html") => "xhtml".to_string(),
                    _ if ty == "text/plain" || ty == "text" => "text".to_string(),
                    _ => ty,
                };
                tag.set_attr("type", &new_ty);
            }
        }
        let local = tag.local();
        let text_construct = matches!(
            local,
            "title" | "subtitle" | "summary" | "rights" | "tagline" | "copyright"
        );
        if (text_construct || local == "content")
            && let Some(ty) = tag.attr("type")
        {
            let lower = ty.trim().to_ascii_lowercase();
            let known = matches!(lower.as_str(), "text" | "html" | "xhtml" | "text/html");
            // feed-rs reads inline XML content through its text-construct code, which
            // only knows text/html/xhtml: serialise it as xhtml instead.
            let xml = lower.ends_with("/xml") || lower.ends_with("+xml");
            let mime_ok = !text_construct && !xml && is_mime(&lower);
            if !known && !mime_ok {
                let new = if lower.contains("xhtml") || (xml && !text_construct) {
                    "xhtml"
                } else if lower.contains("html") {
                    "html"
                } else {
                    "text"
                };
                tag.set_attr("type", new);
                note(repairs, "replaced a content type feed-rs rejects");
            } else if lower != ty {
                tag.set_attr("type", &lower);
            }
        }
    }
}

fn pfx(prefix: &str) -> String {
    if prefix.is_empty() {
        String::new()
    } else {
        format!("{prefix}:")
    }
}

/// A plausible `type/subtype` MIME type.
fn is_mime(s: &str) -> bool {
    let ok = |p: &str| {
        !p.is_empty()
            && p.bytes()
                .all(|c| c.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&c))
    };
    let main = s.split(';').next().unwrap_or("").trim();
    main.split_once('/').is_some_and(|(a, b)| ok(a) && ok(b))
}

fn note(repairs: &mut Vec<&'static str>, what: &'static str) {
    if !repairs.contains(&what) {
        repairs.push(what);
    }
}

impl Hook for Normaliser {
    fn start(
        &mut self,
        tag: &mut Tag,
        depth: usize,
        out: &mut String,
        repairs: &mut Vec<&'static str>,
    ) -> bool {
        self.bind(tag, depth, repairs);
        let prefix = tag.name.rsplit_once(':').map_or("", |(p, _)| p).to_string();
        let ns = self.ns_of(&prefix);
        if depth == 0 {
            self.root_start(tag, ns, &prefix, repairs);
            return true;
        }
        if self.root == Root::Rss && depth == 1 && prefix.is_empty() {
            if tag.local() == "channel" && tag.self_closing {
                self.rss_channel = true;
            } else if tag.local() == "channel" && self.channel_open.is_none() {
                // Keep the channel open to the end of <rss>: items placed after
                // </channel> (a common mistake) then still belong to it.
                self.rss_channel = true;
                write_tag(tag, out);
                self.channel_open = Some(String::new());
                return false;
            } else if tag.local() == "channel" {
                return false;
            } else if !self.rss_channel && self.channel_open.is_none() {
                out.push_str("<channel>");
                self.channel_open = Some(String::new());
                note(repairs, "wrapped <rss> content in a <channel>");
            }
        }
        if self.cdf && prefix.is_empty() {
            let lower = tag.name.to_ascii_lowercase();
            tag.name = if lower == "abstract" {
                "description".to_string()
            } else {
                lower
            };
            if tag.name == "item"
                && let Some((_, h)) = tag
                    .attrs
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("href"))
            {
                tag.after = Some(format!("<link>{h}</link>"));
            }
            return true;
        }
        match ns {
            Some(Ns::Atom) => self.atom(tag, self.root == Root::Atom03, repairs),
            Some(Ns::Atom03) => self.atom(tag, true, repairs),
            Some(Ns::Rss | Ns::Rss11) if matches!(self.root, Root::Rdf | Root::Rss11) => {
                match tag.local() {
                    "item" => {
                        let about = tag
                            .attr("rdf:about")
                            .or(tag.attr("about"))
                            .map(str::to_string);
                        self.item = Some((depth, prefix, false, about));
                    }
                    "link" => {
                        if let Some(item) = self.item.as_mut().filter(|it| it.0 + 1 == depth) {
                            item.2 = true;
                        }
                    }
                    "items" if self.root == Root::Rss11 && depth == 1 => {
                        if let Some(p) = self.channel_open.take() {
                            out.push_str(&format!("</{}channel>", pfx(&p)));
                        }
                        return false;
                    }
                    _ => {}
                }
            }
            Some(Ns::Mrss) if matches!(tag.local(), "title" | "description" | "text") => {
                if let Some(ty) = tag.attr("type").filter(|t| !matches!(*t, "plain" | "html")) {
                    let new = if ty.contains("html") { "html" } else { "plain" };
                    tag.set_attr("type", new);
                    note(repairs, "replaced a content type feed-rs rejects");
                }
            }
            _ => {}
        }
        true
    }

    fn end(
        &mut self,
        _name: &str,
        depth: usize,
        out: &mut String,
        repairs: &mut Vec<&'static str>,
    ) {
        while self.bindings.last().is_some_and(|b| b.2 >= depth) {
            self.bindings.pop();
        }
        if let Some((d, prefix, has_link, about)) = self.item.take() {
            if d != depth {
                self.item = Some((d, prefix, has_link, about));
            } else if !has_link {
                let p = pfx(&prefix);
                let link = about.as_deref().unwrap_or(&self.fallback_link);
                out.push_str(&format!("<{p}link>{link}</{p}link>"));
                note(repairs, "gave link-less RSS 1.0 items a link");
            }
        }
        if depth == 0 {
            if let Some(p) = self.channel_open.take() {
                out.push_str(&format!("</{}channel>", pfx(&p)));
            } else if self.root == Root::Rss && !self.rss_channel {
                out.push_str("<channel></channel>"); // an empty <rss>: an empty feed
            }
        }
    }
}
