//! The demo's news site, served on loopback: the Wire outlet as an RSS feed and the Gazette outlet
//! as an HTML listing with one page per brief, each brief appearing when the [`Release`] clock
//! reaches it. Serves what the script says; knows nothing of briefwatch's pipeline.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::script::{BRIEFS, Outlet, ScriptBrief};

/// When each brief of the script goes online: the first at once, then one every `step`.
#[derive(Debug, Clone, Copy)]
pub struct Release {
    start: Instant,
    start_utc: DateTime<Utc>,
    step: Duration,
}

impl Release {
    /// A clock starting now that releases the whole script within `within`.
    pub fn over(within: Duration) -> Release {
        let gaps = (BRIEFS.len() as u32).saturating_sub(1).max(1);
        Release {
            start: Instant::now(),
            start_utc: Utc::now(),
            step: within / gaps,
        }
    }

    /// The time between two releases.
    pub fn step(&self) -> Duration {
        self.step
    }

    /// How many briefs of the script are online at `now`.
    pub fn released_at(&self, now: Instant) -> usize {
        let elapsed = now.saturating_duration_since(self.start);
        let steps = elapsed.as_nanos() / self.step.as_nanos().max(1);
        (steps as usize + 1).min(BRIEFS.len())
    }

    /// How many briefs are online now.
    pub fn released(&self) -> usize {
        self.released_at(Instant::now())
    }

    /// When brief number `i` (0-based) goes online.
    pub fn due(&self, i: usize) -> Instant {
        self.start + self.step * i as u32
    }

    /// Its publication time, as the outlet states it.
    pub fn published(&self, i: usize) -> DateTime<Utc> {
        self.start_utc + chrono::Duration::from_std(self.step * i as u32).unwrap_or_default()
    }
}

/// The running site.
pub struct Site {
    /// Where it listens.
    pub addr: SocketAddr,
}

impl Site {
    /// The RSS feed of the Wire outlet.
    pub fn wire_feed(&self) -> String {
        format!("http://{}/wire/feed.xml", self.addr)
    }

    /// The listing page of the Gazette outlet.
    pub fn gazette_listing(&self) -> String {
        format!("http://{}/gazette/", self.addr)
    }
}

struct SiteState {
    release: Release,
    base: String,
}

/// Starts the site on an ephemeral loopback port; it serves until `stop`.
pub async fn start(release: Release, stop: CancellationToken) -> std::io::Result<Site> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let state = Arc::new(SiteState {
        release,
        base: format!("http://{addr}"),
    });
    let app = Router::new()
        .route("/", get(index))
        .route("/wire/feed.xml", get(wire_feed))
        .route("/gazette/", get(gazette_listing))
        .route("/{outlet}/briefs/{slug}", get(brief_page))
        .with_state(state);
    tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(stop.cancelled_owned())
            .await;
        if let Err(e) = served {
            tracing::warn!(error = %e, "demo site stopped");
        }
    });
    Ok(Site { addr })
}

/// The briefs of `outlet` online now, newest first, with their index in the script.
fn online(state: &SiteState, outlet: Outlet) -> Vec<(usize, &'static ScriptBrief)> {
    let n = state.release.released();
    let mut out: Vec<_> = BRIEFS[..n]
        .iter()
        .enumerate()
        .filter(|(_, b)| b.outlet == outlet)
        .collect();
    out.reverse();
    out
}

fn slug_of(outlet: Outlet) -> &'static str {
    match outlet {
        Outlet::Wire => "wire",
        Outlet::Gazette => "gazette",
    }
}

/// Text made safe inside HTML or XML elements and attributes.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const NOTICE: &str = "Fictional briefs written for the briefwatch demo.";

fn page(title: &str, main: &str) -> Response {
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title></head>\n\
         <body><header><nav><a href=\"/\">Demo news</a> | <a href=\"/wire/feed.xml\">Wire (RSS)</a> | \
         <a href=\"/gazette/\">Gazette</a></nav></header>\n<main>{main}</main>\n\
         <footer><p>{NOTICE}</p></footer></body></html>\n",
        t = esc(title)
    );
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

async fn index() -> Response {
    page(
        "Demo news",
        "<h1>Demo news</h1><ul><li><a href=\"/wire/feed.xml\">Wire</a>: an RSS feed</li>\
         <li><a href=\"/gazette/\">Gazette</a>: briefs and analysis</li></ul>",
    )
}

async fn wire_feed(State(state): State<Arc<SiteState>>) -> Response {
    let mut items = String::new();
    for (i, b) in online(&state, Outlet::Wire) {
        let link = format!("{}/wire/briefs/{}", state.base, b.slug);
        let _ = writeln!(
            items,
            "<item><title>{}</title><link>{link}</link><guid isPermaLink=\"true\">{link}</guid>\
             <pubDate>{}</pubDate><description>{}</description></item>",
            esc(b.title),
            state.release.published(i).to_rfc2822(),
            esc(&b.text())
        );
    }
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel>\
         <title>Wire</title><link>{}/wire/</link><description>{NOTICE}</description>\n{items}\
         </channel></rss>\n",
        state.base
    );
    ([(header::CONTENT_TYPE, "application/rss+xml")], xml).into_response()
}

async fn gazette_listing(State(state): State<Arc<SiteState>>) -> Response {
    let mut list = String::from("<h1>Gazette: latest briefs</h1>\n");
    for (i, b) in online(&state, Outlet::Gazette) {
        let _ = writeln!(
            list,
            "<article class=\"brief\"><h2><a href=\"/gazette/briefs/{}\">{}</a></h2>\
             <time datetime=\"{}\"></time></article>",
            b.slug,
            esc(b.title),
            state.release.published(i).to_rfc3339()
        );
    }
    page("Gazette", &list)
}

async fn brief_page(
    State(state): State<Arc<SiteState>>,
    Path((outlet, slug)): Path<(String, String)>,
) -> Response {
    let n = state.release.released();
    let found = BRIEFS[..n]
        .iter()
        .enumerate()
        .find(|(_, b)| slug_of(b.outlet) == outlet && b.slug == slug);
    let Some((i, b)) = found else {
        return (StatusCode::NOT_FOUND, "no such brief\n").into_response();
    };
    let main = format!(
        "<article><h1 class=\"entry-title\">{}</h1><p class=\"byline\">{} desk, \
         <time datetime=\"{}\">{}</time></p>\n<div class=\"brief-body\"><p>{}</p></div></article>",
        esc(b.title),
        b.outlet.name(),
        state.release.published(i).to_rfc3339(),
        state.release.published(i).format("%d %B %Y, %H:%M UTC"),
        esc(&b.text())
    );
    page(b.title, &main)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_whole_script_is_released_within_the_window() {
        let r = Release::over(Duration::from_secs(30));
        assert_eq!(r.released_at(r.start), 1);
        assert_eq!(r.released_at(r.start + r.step()), 2);
        assert_eq!(
            r.released_at(r.start + Duration::from_secs(30)),
            BRIEFS.len()
        );
        assert_eq!(
            r.released_at(r.start + Duration::from_secs(300)),
            BRIEFS.len()
        );
    }
}
