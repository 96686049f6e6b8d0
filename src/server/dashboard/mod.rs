//! The web dashboard under `/ui/`: a static shell (HTML, CSS, JavaScript modules, an icon) built
//! into the binary and served, with strict security headers and ETags, whenever the JSON API is
//! served. Owns the asset table, content types, caching and headers; reads no data itself and
//! carries none: the page asks for the API token and reads everything through `/api`.
//!
//! Auth, and why this way: the shell is public and the browser sends the token only as
//! `Authorization: Bearer` on `/api` requests, keeping it in the tab's `sessionStorage` (gone when
//! the tab closes). The API therefore keeps a single credential, the header, which browsers never
//! attach by themselves: no cookie means no ambient authority (no CSRF by construction, even if a
//! writing endpoint is added later), no cookie shared with other services on the same host (cookies
//! ignore the port) and no login endpoint. The cost, reading the live stream with `fetch` and a
//! reconnect loop of the page's own (an `EventSource` cannot send headers), is paid in
//! `assets/stream.js`. The strict Content-Security-Policy (no inline script, no `eval`, Trusted
//! Types required, `connect-src 'self'`) is what keeps a script that could read the token out of
//! the page; brief text is only ever rendered as text.

use std::sync::LazyLock;

use axum::Router;
use axum::extract::{Path, Request};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use xxhash_rust::xxh3::xxh3_64;

/// Where the dashboard lives.
pub const PREFIX: &str = "/ui/";

/// The Content-Security-Policy of every dashboard answer: only this origin's own files, no inline
/// script or style, no plugins, no framing, no `<base>`, and DOM sinks such as `innerHTML` refused
/// outright (Trusted Types with no policy allowed).
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; \
    connect-src 'self'; font-src 'none'; object-src 'none'; base-uri 'none'; form-action 'self'; \
    frame-ancestors 'none'; require-trusted-types-for 'script'; trusted-types 'none'";

/// One embedded file.
struct Asset {
    /// Its name under [`PREFIX`] (`""` for the page itself).
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";

/// Every file the dashboard serves.
const ASSETS: &[Asset] = &[
    Asset {
        name: "",
        content_type: HTML,
        body: include_bytes!("assets/index.html"),
    },
    Asset {
        name: "style.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("assets/style.css"),
    },
    Asset {
        name: "icon.svg",
        content_type: "image/svg+xml",
        body: include_bytes!("assets/icon.svg"),
    },
    Asset {
        name: "app.js",
        content_type: JS,
        body: include_bytes!("assets/app.js"),
    },
    Asset {
        name: "api.js",
        content_type: JS,
        body: include_bytes!("assets/api.js"),
    },
    Asset {
        name: "stream.js",
        content_type: JS,
        body: include_bytes!("assets/stream.js"),
    },
    Asset {
        name: "dom.js",
        content_type: JS,
        body: include_bytes!("assets/dom.js"),
    },
    Asset {
        name: "views.js",
        content_type: JS,
        body: include_bytes!("assets/views.js"),
    },
];

/// Each asset's strong ETag (a hash of its bytes), in [`ASSETS`] order.
static ETAGS: LazyLock<Vec<HeaderValue>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|a| {
            HeaderValue::from_str(&format!("\"{:016x}\"", xxh3_64(a.body)))
                .expect("a hex ETag is a valid header value")
        })
        .collect()
});

/// The dashboard's routes: `/` and `/ui` lead to `/ui/`, which serves the page; `/ui/NAME` the
/// other files. Every answer carries [`CSP`] and the other security headers.
pub fn router() -> Router {
    Router::new()
        .route("/", get(|| async { Redirect::to(PREFIX) }))
        .route("/ui", get(|| async { Redirect::to(PREFIX) }))
        .route("/ui/", get(|headers: HeaderMap| async move { serve("", &headers) }))
        .route(
            "/ui/{name}",
            get(|Path(name): Path<String>, headers: HeaderMap| async move {
                serve(&name, &headers)
            }),
        )
        .layer(middleware::from_fn(security_headers))
}

/// The asset `name`, or a 304 when the client's copy is current, or a 404.
fn serve(name: &str, headers: &HeaderMap) -> Response {
    let Some(i) = ASSETS.iter().position(|a| a.name == name) else {
        return (StatusCode::NOT_FOUND, "no such file\n").into_response();
    };
    let etag = ETAGS[i].clone();
    // `no-cache`: stored, but checked with the ETag on every load, so an upgraded daemon's files
    // are picked up at once and an unchanged one costs a 304.
    let cache = (header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if matches_etag(headers, &etag) {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag), cache]).into_response();
    }
    let asset = &ASSETS[i];
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset.content_type),
            ),
            (header::ETAG, etag),
            cache,
        ],
        asset.body,
    )
        .into_response()
}

/// Whether `If-None-Match` names `etag` (or is `*`), comparing weakly as RFC 9110 asks for GET.
fn matches_etag(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    let Ok(want) = etag.to_str() else {
        return false;
    };
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim())
        .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == want)
}

/// Adds the security headers to every dashboard answer, errors and redirects included.
async fn security_headers(req: Request, next: Next) -> Response {
    let mut r = next.run(req).await;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_the_page_names_is_served_and_no_script_is_inline() {
        let page = std::str::from_utf8(ASSETS[0].body).unwrap();
        for a in &ASSETS[1..] {
            let js = a.content_type == JS;
            // Modules import one another by relative name; the page names the rest.
            let named = page.contains(&format!("/ui/{}", a.name))
                || ASSETS.iter().filter(|o| o.content_type == JS).any(|o| {
                    std::str::from_utf8(o.body)
                        .unwrap()
                        .contains(&format!("./{}", a.name))
                });
            assert!(named, "{} is served but nothing loads it", a.name);
            assert!(!js || !a.name.contains('/'));
        }
        assert!(!page.contains("<script>"), "inline script");
        assert!(!page.contains("style="), "inline style");
        let handler = page.match_indices(" on").any(|(i, _)| {
            let rest = &page[i + 3..];
            let name = rest.len()
                - rest
                    .trim_start_matches(|c: char| c.is_ascii_lowercase())
                    .len();
            name > 0 && rest[name..].starts_with('=')
        });
        assert!(!handler, "inline event handler");
    }

    #[test]
    fn no_script_writes_markup_from_strings() {
        for a in ASSETS.iter().filter(|a| a.content_type == JS) {
            let text = std::str::from_utf8(a.body).unwrap();
            for sink in [
                "innerHTML",
                "outerHTML",
                "insertAdjacentHTML",
                "document.write",
                "eval(",
                "new Function",
            ] {
                assert!(!text.contains(sink), "{} uses {sink}", a.name);
            }
        }
    }

    #[test]
    fn etags_are_stable_quoted_and_matched_weakly_or_by_star() {
        let etag = ETAGS[0].clone();
        let s = etag.to_str().unwrap();
        assert!(
            s.starts_with('"') && s.ends_with('"') && s.len() == 18,
            "{s}"
        );
        let mut h = HeaderMap::new();
        assert!(!matches_etag(&h, &etag));
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_str(&format!("\"x\", W/{s}")).unwrap(),
        );
        assert!(matches_etag(&h, &etag));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("*"));
        assert!(matches_etag(&h, &etag));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"other\""));
        assert!(!matches_etag(&h, &etag));
        let r = serve("app.js", &HeaderMap::new());
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()[header::CONTENT_TYPE], JS);
        let mut h = HeaderMap::new();
        h.insert(header::IF_NONE_MATCH, r.headers()[header::ETAG].clone());
        assert_eq!(serve("app.js", &h).status(), StatusCode::NOT_MODIFIED);
        assert_eq!(serve("../Cargo.toml", &h).status(), StatusCode::NOT_FOUND);
    }
}
