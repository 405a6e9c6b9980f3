//! Article metadata: title, byline, date, lead image.

use dom_query::Document;
use dom_smoothie::Metadata;

use super::text::squash;

/// Metadata gathered for an [`super::Article`].
#[derive(Debug, Default)]
pub(crate) struct Info {
    pub title: Option<String>,
    pub byline: Option<String>,
    pub published: Option<String>,
    pub image: Option<String>,
}

fn non_empty(s: Option<&str>) -> Option<String> {
    s.map(squash).filter(|s| !s.is_empty())
}

impl Info {
    /// Takes what dom_smoothie found in `<meta>` tags and JSON-LD.
    pub fn from_metadata(md: &Metadata) -> Self {
        Info {
            title: non_empty(Some(&md.title)),
            byline: clean_byline(non_empty(md.byline.as_deref())),
            published: clean_date(non_empty(md.published_time.as_deref())),
            image: non_empty(md.image.as_deref()),
        }
    }
}

/// Normalises a byline: no leading "By", nothing if only "By" remains.
fn clean_byline(b: Option<String>) -> Option<String> {
    let b = b?;
    let t = ["By ", "by ", "BY "]
        .iter()
        .fold(b.as_str(), |t, p| t.strip_prefix(p).unwrap_or(t))
        .trim();
    (!t.is_empty() && !t.eq_ignore_ascii_case("by")).then(|| t.to_string())
}

/// Drops placeholder dates such as `0001-01-01T00:00:00Z`.
fn clean_date(d: Option<String>) -> Option<String> {
    d.filter(|d| {
        d.chars().any(|c| c.is_ascii_digit()) && !d.starts_with("0001") && !d.starts_with("0000")
    })
}

impl Info {
    /// Takes the metadata of dom_smoothie's article.
    pub fn from_article(a: &dom_smoothie::Article) -> Self {
        Info {
            title: non_empty(Some(&a.title)),
            byline: clean_byline(non_empty(a.byline.as_deref())),
            published: clean_date(non_empty(a.published_time.as_deref())),
            image: non_empty(a.image.as_deref()),
        }
    }

    /// Fills fields still missing from `other`.
    pub fn merge(&mut self, other: Info) {
        self.title = self.title.take().or(other.title);
        self.byline = self.byline.take().or(other.byline);
        self.published = self.published.take().or(other.published);
        self.image = self.image.take().or(other.image);
    }
}

/// Fills gaps from the page itself: the first `<time datetime>` for the date,
/// the first `<h1>` for the title, an `[itemprop=author]`/`[rel=author]` for
/// the byline.
pub(crate) fn fill_from_doc(doc: &Document, info: &mut Info) {
    if info.published.is_some() && info.title.is_some() && info.byline.is_some() {
        return;
    }
    // One selector pass; candidates are taken in document order and told
    // apart by cheap attribute checks.
    let sel = doc.select("time[datetime], [itemprop=datePublished], h1, [itemprop=author], [rel=author], .byline, .author");
    for n in sel.nodes() {
        let itemprop = n
            .attr("itemprop")
            .map(|s| s.to_string())
            .unwrap_or_default();
        let is_date = itemprop == "datePublished" || (n.has_name("time") && n.has_attr("datetime"));
        if info.published.is_none() && is_date {
            let v = n
                .attr("datetime")
                .or_else(|| n.attr("content"))
                .map(|s| s.to_string());
            info.published = clean_date(non_empty(v.as_deref()));
        } else if info.title.is_none() && n.has_name("h1") {
            info.title = non_empty(Some(&n.text()));
        } else if info.byline.is_none() && !is_date && !n.has_name("h1") {
            let t = squash(&n.text());
            if t.chars().count() < 120 {
                info.byline = clean_byline(Some(t));
            }
        }
        if info.published.is_some() && info.title.is_some() && info.byline.is_some() {
            break;
        }
    }
}
