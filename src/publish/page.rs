//! `/`: a small HTML page listing the public outputs (each linked to its page,
//! `/feeds/<name>.html`, with subscribe links) and the feeds with their state; `/opml`: the public outputs as OPML 2.0.

use std::fmt::Write;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::AppState;
use crate::store;

pub(super) async fn index(State(state): State<Arc<AppState>>) -> Response {
    let view = state.view();
    let store = state.store.clone();
    let feeds = view.feeds.clone();
    let states = store::blocking(move || {
        feeds
            .into_iter()
            .map(|(name, url)| store.feed_state(&url).map(|s| (name, url, s)))
            .collect::<Result<Vec<_>, _>>()
    })
    .await;
    let states = match states {
        Ok(s) => s,
        Err(e) => {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("cannot read the database: {e}\n"),
            )
                .into_response();
        }
    };
    let mut html = String::from(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>tidings</title>\
         <style>body{font-family:sans-serif;max-width:60em;margin:2em auto}td,th{padding:.2em .6em;text-align:left}\
         .err,.failing,.gone{color:#a00}.deferred{color:#a60}</style></head><body><h1>tidings</h1><h2>Outputs</h2><ul>",
    );
    for o in view.outputs.iter().filter(|o| o.token.is_none()) {
        let _ = write!(
            html,
            "<li><a href=\"/feeds/{name}.html\">{title}</a> (<a href=\"/feeds/{name}.xml\">RSS</a>, \
             <a href=\"/feeds/{name}.atom\">Atom</a>, <a href=\"/feeds/{name}.json\">JSON Feed</a>; \
             {n} feeds, newest {limit})</li>",
            name = esc(&o.name),
            title = esc(&o.title),
            n = o.feed_urls.len(),
            limit = o.limit
        );
    }
    html.push_str(
        "</ul><p><a href=\"/opml\">OPML</a> subscribes a reader to all of them at once.</p><ul>",
    );
    html.push_str("</ul><h2>Feeds</h2><table><tr><th>feed</th><th>items</th><th>last poll</th><th>state</th><th>error</th></tr>");
    let now = chrono::Utc::now();
    for (name, url, s) in &states {
        let state = crate::status::state_of(s, now);
        let _ = write!(
            html,
            "<tr><td><a href=\"{url}\">{name}</a></td><td>{items}</td><td>{poll}</td><td class=\"state {class}\" title=\"{http}\">{state}</td><td class=\"err\">{err}</td></tr>",
            url = esc(url),
            name = esc(name),
            items = s.items,
            poll = s
                .last_poll
                .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_else(|| "never".into()),
            class = state.replace(' ', "-"),
            http = s
                .last_status
                .map(|c| format!("last HTTP status {c}"))
                .unwrap_or_else(|| "no HTTP status".into()),
            err = esc(s.last_error.as_deref().unwrap_or("")),
        );
    }
    html.push_str("</table></body></html>\n");
    Html(html).into_response()
}

pub(super) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub(super) async fn opml(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let view = state.view();
    let base = esc(&view.base_url(&headers));
    let mut x = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<opml version=\"2.0\">\n<head><title>tidings outputs</title></head>\n<body>\n",
    );
    for o in view.outputs.iter().filter(|o| o.token.is_none()) {
        let _ = writeln!(
            x,
            "<outline type=\"rss\" text=\"{t}\" title=\"{t}\" xmlUrl=\"{base}feeds/{n}.xml\" htmlUrl=\"{base}\"/>",
            t = esc(&o.title),
            n = esc(&o.name),
        );
    }
    x.push_str("</body>\n</opml>\n");
    let mut r = x.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/x-opml; charset=utf-8"),
    );
    r
}
