//! The web dashboard of the running daemon (`/ui/`): the shell is public and carries the security
//! headers while `/api` still wants the token; without a token there is no dashboard; and, in
//! headless Chromium ([`crate::webdriver`]), a user signs in, sees a new brief arrive live without
//! a reload, finds it by search, and opens it with its evidence marked. Screenshots go to
//! `$CARGO_TARGET_TMPDIR/dashboard-screenshots/` (paths printed).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::{ConfigSpec, Daemon, SourceSpec, Workspace};
use crate::server::FeedServer;
use crate::smtp::free_port;
use crate::webdriver::Browser;

const TOKEN: &str = "dash-test-token-93b1";

/// The first brief of the live test; the default pack tags it `assassination_plot`.
const PLOT_TITLE: &str = "Police foil assassination plot against minister";

fn item(guid: &str, title: &str, text: &str) -> String {
    format!(
        "<item><guid>{guid}</guid><title>{title}</title><link>https://wire.example/{guid}</link>\
         <pubDate>Mon, 02 Nov 2026 09:00:00 GMT</pubDate><description>{text}</description></item>"
    )
}

fn rss(items: &[String]) -> String {
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Wire</title>\
         <link>https://wire.example/</link>{}</channel></rss>",
        items.concat()
    )
}

fn calm_items() -> Vec<String> {
    vec![
        item(
            "rates",
            "Central bank keeps rates unchanged",
            "Inflation is steady, the governor said after the quarterly meeting.",
        ),
        item(
            "harvest",
            "Grain harvest beats forecasts in the south",
            "Farm ministry figures show a record wheat yield after a wet spring.",
        ),
    ]
}

/// The plot brief, with markup in its text that must stay text.
fn plot_item() -> String {
    item(
        "plot",
        PLOT_TITLE,
        "Two suspects were arrested over the murder plot in Iran, prosecutors said. \
         &amp;lt;img src=x onerror=&amp;quot;window.__pwned=1&amp;quot;&amp;gt; \
         &amp;lt;b&amp;gt;not bold&amp;lt;/b&amp;gt;",
    )
}

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// A daemon polling `/wire.xml` every second; with `token`, the API (and the dashboard) are on;
/// `extra` is appended to the config.
struct Setup {
    origin: FeedServer,
    _ws: Workspace,
    daemon: Daemon,
    base: String,
}

impl Setup {
    async fn start(token: Option<&str>, extra: &str, env: &[(&str, &str)]) -> Setup {
        let origin = FeedServer::start().await;
        origin.publish("/wire.xml", rss(&calm_items()), "application/rss+xml");
        let port = free_port();
        let hook_port = free_port();
        let mut spec = ConfigSpec::for_server(&origin)
            .source(SourceSpec::new("wire", origin.url("/wire.xml")).interval("1s"));
        spec.allow_hosts.push(format!("127.0.0.1:{hook_port}"));
        let ws = Workspace::new();
        let mut server = format!("\n[server]\nlisten = \"127.0.0.1:{port}\"\n");
        if let Some(t) = token {
            std::fs::write(ws.path("api.token"), format!("{t}\n")).unwrap();
            server.push_str("token_file = \"api.token\"\n");
        }
        let extra = extra.replace("HOOK_PORT", &hook_port.to_string());
        ws.write_config(&format!("{}{server}{extra}", spec.render()));
        let daemon = ws.spawn_env(&["run"], env);
        let s = Setup {
            origin,
            _ws: ws,
            daemon,
            base: format!("http://127.0.0.1:{port}"),
        };
        s.wait_healthy().await;
        s
    }

    async fn wait_healthy(&self) {
        let start = Instant::now();
        while client()
            .get(format!("{}/healthz", self.base))
            .send()
            .await
            .is_err()
        {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "the daemon never listened\n{}",
                self.daemon.output_so_far()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        client()
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
    }

    /// Waits until the API lists `n` briefs.
    async fn wait_for_briefs(&self, n: usize) -> Vec<Value> {
        let start = Instant::now();
        loop {
            let r = client()
                .get(format!("{}/api/briefs", self.base))
                .bearer_auth(TOKEN)
                .send()
                .await
                .unwrap();
            let v: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
            if let Some(b) = v["briefs"].as_array()
                && b.len() >= n
            {
                return b.clone();
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "never {n} briefs: {v}\n{}",
                self.daemon.output_so_far()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn stop(mut self) {
        self.daemon.signal("TERM");
        let (status, ..) = self
            .daemon
            .wait_exit(Duration::from_secs(10))
            .await
            .expect("the daemon stops");
        assert!(status.success());
    }
}

fn header<'a>(r: &'a reqwest::Response, name: &str) -> &'a str {
    r.headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header on {}", r.url()))
        .to_str()
        .unwrap()
}

#[tokio::test]
async fn the_dashboard_shell_is_public_with_strict_headers_while_the_api_still_wants_the_token() {
    let s = Setup::start(Some(TOKEN), "", &[]).await;
    s.wait_for_briefs(2).await;
    let page = s.get("/ui/").await;
    assert_eq!(page.status().as_u16(), 200);
    assert_eq!(header(&page, "content-type"), "text/html; charset=utf-8");
    let csp = header(&page, "content-security-policy").to_string();
    for directive in [
        "default-src 'self'",
        "script-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'none'",
        "require-trusted-types-for 'script'",
    ] {
        assert!(csp.contains(directive), "{directive} missing from {csp}");
    }
    assert!(!csp.contains("unsafe"), "{csp}");
    assert_eq!(header(&page, "x-content-type-options"), "nosniff");
    assert_eq!(header(&page, "referrer-policy"), "no-referrer");
    assert_eq!(header(&page, "cache-control"), "no-cache");
    let etag = header(&page, "etag").to_string();
    let html = page.text().await.unwrap();
    // The shell carries no data: not a title of the stored briefs.
    assert!(!html.contains("Central bank"), "{html}");
    assert!(html.contains("<script type=\"module\" src=\"/ui/app.js\"></script>"));

    let again = client()
        .get(format!("{}/ui/", s.base))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 304);
    assert_eq!(header(&again, "etag"), etag);

    for (path, content_type) in [
        ("/ui/app.js", "text/javascript; charset=utf-8"),
        ("/ui/api.js", "text/javascript; charset=utf-8"),
        ("/ui/stream.js", "text/javascript; charset=utf-8"),
        ("/ui/dom.js", "text/javascript; charset=utf-8"),
        ("/ui/views.js", "text/javascript; charset=utf-8"),
        ("/ui/style.css", "text/css; charset=utf-8"),
        ("/ui/icon.svg", "image/svg+xml"),
    ] {
        let r = s.get(path).await;
        assert_eq!(r.status().as_u16(), 200, "{path}");
        assert_eq!(header(&r, "content-type"), content_type, "{path}");
        assert_eq!(header(&r, "content-security-policy"), csp, "{path}");
        assert_eq!(header(&r, "x-content-type-options"), "nosniff", "{path}");
        assert!(header(&r, "etag").starts_with('"'), "{path}");
    }
    let missing = s.get("/ui/secrets.js").await;
    assert_eq!(missing.status().as_u16(), 404);
    assert_eq!(header(&missing, "content-security-policy"), csp);
    let root = client().get(format!("{}/", s.base)).send().await.unwrap();
    // reqwest follows the redirect from / to the page.
    assert_eq!(root.url().path(), "/ui/");

    // The page is public; the data is not.
    for path in [
        "/api/briefs",
        "/api/stream",
        "/api/sources",
        "/api/openapi.json",
    ] {
        let r = s.get(path).await;
        assert_eq!(r.status().as_u16(), 401, "{path}");
    }
    // Nor does the token work from a URL or a cookie.
    for (path, cookie) in [
        (format!("/api/briefs?token={TOKEN}"), None),
        (format!("/api/briefs?access_token={TOKEN}"), None),
        ("/api/briefs".to_string(), Some(format!("token={TOKEN}"))),
    ] {
        let mut req = client().get(format!("{}{path}", s.base));
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        let status = req.send().await.unwrap().status().as_u16();
        assert!(status == 401 || status == 400, "{path}: {status}");
        assert_ne!(status, 200);
    }
    s.stop().await;
}

#[tokio::test]
async fn without_a_token_there_is_no_dashboard_as_there_is_no_api() {
    let s = Setup::start(None, "", &[]).await;
    for path in ["/ui/", "/ui/app.js", "/api/briefs", "/"] {
        assert_eq!(s.get(path).await.status().as_u16(), 404, "{path}");
    }
    assert_eq!(s.get("/healthz").await.status().as_u16(), 200);
    s.stop().await;
}

fn screenshot_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dashboard-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A webhook destination at a port nothing listens on (`HOOK_PORT`, allowed by [`Setup`]), retried
/// once: the plot brief's delivery fails, so the deliveries view has something to show.
const FAILING_WEBHOOK: &str = "\n[delivery]\nretry_schedule = [\"0s\", \"300ms\"]\n\n\
    [[destinations]]\nname = \"ops\"\nkind = \"webhook\"\nurl = \"http://127.0.0.1:HOOK_PORT/hook\"\n\
    secret_env = \"BRIEFWATCH_DASH_SECRET\"\n\n\
    [[alerts]]\nname = \"plots\"\ntopics = [\"assassination_plot\"]\ndestinations = [\"ops\"]\n";

const SECRET: (&str, &str) = (
    "BRIEFWATCH_DASH_SECRET",
    "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
);

#[tokio::test]
async fn a_new_brief_appears_live_is_found_by_search_and_opens_with_its_evidence_marked() {
    let browser = match Browser::start().await {
        Ok(b) => b,
        Err(why) => {
            println!("SKIPPED the dashboard browser test: {why}");
            return;
        }
    };
    let shots = screenshot_dir();
    let s = Setup::start(Some(TOKEN), FAILING_WEBHOOK, &[SECRET]).await;
    s.wait_for_briefs(2).await;
    let secs = Duration::from_secs(15);

    // Signing in: a wrong token is refused, the right one shows the briefs.
    browser.goto(&format!("{}/ui/", s.base)).await;
    let input = browser.wait_for("#token", secs).await;
    browser.screenshot(&shots.join("01-sign-in.png")).await;
    browser.type_into(&input, "not-the-token").await;
    browser.keys("\u{E007}").await;
    browser
        .wait_until(
            "return document.getElementById('login-error').textContent.includes('not accepted')",
            secs,
            "a wrong token is refused",
        )
        .await;
    browser.type_into(&input, TOKEN).await;
    browser.keys("\u{E007}").await;
    browser.wait_for("#brief-list > li", secs).await;
    browser
        .wait_until(
            "return document.querySelectorAll('#brief-list > li').length === 2 \
             && document.getElementById('live-status').dataset.state === 'live'",
            secs,
            "two briefs listed and the stream live",
        )
        .await;
    // The token is in this tab's session storage, not in a cookie or the URL.
    let where_ = browser
        .script(
            "return [document.cookie, location.href, \
             sessionStorage.getItem('briefwatch.api-token')]",
        )
        .await;
    assert_eq!(where_[0], "");
    assert!(!where_[1].as_str().unwrap().contains(TOKEN));
    assert_eq!(where_[2], TOKEN);
    browser.script("window.__sameDocument = 'yes'").await;

    // A new brief is stored: it appears at the top without a reload.
    s.origin.publish(
        "/wire.xml",
        rss(&[plot_item(), calm_items().concat()]),
        "application/rss+xml",
    );
    browser
        .wait_until(
            &format!(
                "const first = document.querySelector('#brief-list > li'); \
                 return document.querySelectorAll('#brief-list > li').length === 3 \
                   && first.querySelector('h2').textContent === {}",
                serde_json::json!(PLOT_TITLE)
            ),
            Duration::from_secs(30),
            "the new brief at the top of the list",
        )
        .await;
    let state = browser
        .script(
            "return [window.__sameDocument, \
             document.querySelector('#brief-list > li').classList.contains('fresh'), \
             document.getElementById('announcer').textContent]",
        )
        .await;
    assert_eq!(state[0], "yes", "the page was reloaded");
    assert_eq!(state[1], true, "the new brief is marked as new");
    browser
        .wait_until(
            "return document.getElementById('announcer').textContent.includes('New brief')",
            secs,
            "the new brief is announced to screen readers",
        )
        .await;
    let summary = browser.find("#briefs-summary").await.unwrap();
    let summary = browser.text(&summary).await;
    assert!(summary.starts_with("3 briefs"), "{summary}");
    browser.screenshot(&shots.join("02-live-brief.png")).await;

    // Search finds it (the index trails the store by about a second: search again until then).
    let q = browser.find("#f-q").await.expect("search box");
    browser.type_into(&q, "prosecutors").await;
    let apply = browser.find("#filters button[type=submit]").await.unwrap();
    let start = Instant::now();
    loop {
        browser.click(&apply).await;
        tokio::time::sleep(Duration::from_millis(400)).await;
        let found = browser
            .script(
                "const items = [...document.querySelectorAll('#brief-list > li h2')]; \
                 return items.map(e => e.textContent)",
            )
            .await;
        if found
            .as_array()
            .is_some_and(|a| a.len() == 1 && a[0] == PLOT_TITLE)
        {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "search never found the brief: {found}"
        );
    }
    assert!(
        browser.url().await.contains("q=prosecutors"),
        "the search is in the URL"
    );
    assert_eq!(browser.script("return window.__sameDocument").await, "yes");
    browser.screenshot(&shots.join("03-search.png")).await;

    // Opening it shows its topics with the evidence marked in the title and the text.
    let link = browser.find("#brief-list > li h2 a").await.unwrap();
    browser.click(&link).await;
    browser.wait_for("#brief-title", secs).await;
    let marks = browser
        .script(
            "return { title: [...document.querySelectorAll('#brief-title mark')].map(m => m.textContent), \
                      text: [...document.querySelectorAll('.brief-text mark')].map(m => m.textContent), \
                      labels: [...document.querySelectorAll('mark[data-evidence]')].map(m => m.dataset.evidence), \
                      topics: [...document.querySelectorAll('.topic-evidence .topic')].map(a => a.textContent), \
                      focused: document.activeElement.id, \
                      text_full: document.querySelector('.brief-text').textContent, \
                      imgs: document.querySelectorAll('img').length, \
                      pwned: window.__pwned === 1 }",
        )
        .await;
    let lower = |v: &Value| {
        v.as_array()
            .unwrap()
            .iter()
            .map(|m| m.as_str().unwrap().to_lowercase())
            .collect::<Vec<_>>()
    };
    assert!(
        lower(&marks["title"]).iter().any(|m| m.contains("plot")),
        "the title's evidence is marked: {marks:#}"
    );
    assert!(
        lower(&marks["text"]).iter().any(|m| m.contains("plot")),
        "the text's evidence is marked: {marks:#}"
    );
    assert!(
        marks["labels"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l.as_str().unwrap().starts_with("assassination_plot")),
        "{marks:#}"
    );
    assert_eq!(marks["topics"][0], "assassination_plot", "{marks:#}");
    assert_eq!(marks["focused"], "brief-title", "focus moves to the brief");
    // The markup in the brief stays text: no image was created, no script ran.
    assert_eq!(marks["imgs"], 1, "only the brand icon: {marks:#}");
    assert_eq!(marks["pwned"], false);
    let text_full = marks["text_full"].as_str().unwrap();
    assert!(
        text_full.contains("<img src=x"),
        "shown as text: {text_full}"
    );
    assert!(browser.url().await.contains("brief="));
    browser
        .screenshot(&shots.join("04-brief-evidence.png"))
        .await;

    // Source health and the failed delivery.
    let nav = browser.find("#nav a[data-view=sources]").await.unwrap();
    browser.click(&nav).await;
    browser.wait_for("#sources-table table", secs).await;
    let row = browser
        .script("return document.querySelector('#sources-table tbody tr').textContent")
        .await;
    assert!(row.as_str().unwrap().contains("wire"), "{row}");
    browser.screenshot(&shots.join("05-sources.png")).await;
    browser
        .goto(&format!("{}/ui/?view=deliveries&state=failed", s.base))
        .await;
    browser
        .wait_until(
            "const t = document.querySelector('#deliveries-table tbody'); \
             return !!t && t.textContent.includes('failed')",
            Duration::from_secs(30),
            "the failed delivery is listed (after a reload the tab still has its token)",
        )
        .await;
    browser
        .screenshot(&shots.join("06-deliveries-failed.png"))
        .await;

    // Keyboard: the skip link is the first stop and leads to the main content.
    browser.goto(&format!("{}/ui/", s.base)).await;
    browser.wait_for("#brief-list > li", secs).await;
    browser.keys("\u{E004}").await;
    let first = browser
        .script("return document.activeElement.className")
        .await;
    assert_eq!(first, "skip");
    browser.keys("\u{E007}").await;
    assert_eq!(
        browser.script("return document.activeElement.id").await,
        "main"
    );

    browser.color_scheme("dark").await;
    browser.screenshot(&shots.join("07-briefs-dark.png")).await;

    // Nothing the page did was refused by its own Content-Security-Policy.
    let console = browser.console().await;
    assert!(
        !console
            .iter()
            .any(|l| l.contains("Content Security Policy") || l.contains("Refused")),
        "{console:#?}"
    );
    browser.quit().await;
    s.stop().await;
}
