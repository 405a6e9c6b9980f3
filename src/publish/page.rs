//! `/`: a small HTML page listing the outputs (with subscribe links) and the feeds
//! with their last poll result.

use std::fmt::Write;
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::AppState;
use crate::store;

pub(super) async fn index(State(state): State<Arc<AppState>>) -> Response {
    let store = state.store.clone();
    let feeds = state.feeds.clone();
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
         .err{color:#a00}</style></head><body><h1>tidings</h1><h2>Outputs</h2><ul>",
    );
    for o in &state.outputs {
        let _ = write!(
            html,
            "<li><a href=\"/feeds/{name}.xml\">{title}</a> ({n} feeds, newest {limit})</li>",
            name = esc(&o.name),
            title = esc(&o.title),
            n = o.feed_urls.len(),
            limit = o.limit
        );
    }
    html.push_str("</ul><h2>Feeds</h2><table><tr><th>feed</th><th>items</th><th>last poll</th><th>status</th><th>error</th></tr>");
    for (name, url, s) in &states {
        let _ = write!(
            html,
            "<tr><td><a href=\"{url}\">{name}</a></td><td>{items}</td><td>{poll}</td><td>{status}</td><td class=\"err\">{err}</td></tr>",
            url = esc(url),
            name = esc(name),
            items = s.items,
            poll = s
                .last_poll
                .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_else(|| "never".into()),
            status = s.last_status.map(|c| c.to_string()).unwrap_or_default(),
            err = esc(s.last_error.as_deref().unwrap_or("")),
        );
    }
    html.push_str("</table></body></html>\n");
    Html(html).into_response()
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
