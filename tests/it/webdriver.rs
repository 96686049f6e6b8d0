//! A small W3C WebDriver client (JSON over reqwest) driving Debian's headless Chromium through its
//! chromedriver, for the dashboard's browser test: navigate, find, type, click, read, run a script,
//! read the console, take screenshots. [`Browser::start`] says why it cannot run when Chromium or
//! chromedriver is not installed, so that the test can skip with that reason.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::smtp::free_port;

/// The key under which WebDriver returns an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A headless Chromium session; the driver is killed on drop.
pub struct Browser {
    driver: Child,
    http: reqwest::Client,
    session: String,
    base: String,
    _profile: TempDir,
}

/// The first of `candidates` that exists, or of `name` on `PATH`.
fn find_program(candidates: &[&str], name: &str) -> Option<PathBuf> {
    candidates
        .iter()
        .map(PathBuf::from)
        .chain(
            std::env::var_os("PATH")
                .map(|p| {
                    std::env::split_paths(&p)
                        .map(|d| d.join(name))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default(),
        )
        .find(|p| p.is_file())
}

impl Browser {
    /// Starts chromedriver on a free loopback port and opens a headless session. `Err`: Chromium or
    /// chromedriver is not installed (the reason to print when skipping). A driver that is
    /// installed but fails to start a session panics: that is a failure, not a skip.
    pub async fn start() -> Result<Browser, String> {
        let chromium = find_program(&["/usr/bin/chromium"], "chromium").ok_or(
            "chromium is not installed (Debian: apt-get install chromium chromium-driver)",
        )?;
        let chromedriver = find_program(&["/usr/bin/chromedriver"], "chromedriver").ok_or(
            "chromedriver is not installed (Debian: apt-get install chromium chromium-driver)",
        )?;
        let _ = rustls::crypto::ring::default_provider().install_default();
        let port = free_port();
        let mut cmd = Command::new(&chromedriver);
        // A process group of its own, so that dropping the browser ends Chromium's processes too.
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        cmd.arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for var in crate::harness::PROXY_VARS {
            cmd.env_remove(var);
        }
        let driver = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", chromedriver.display()));
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let profile = tempfile::Builder::new()
            .prefix("briefwatch-chromium-")
            .tempdir()
            .unwrap();
        let mut browser = Browser {
            driver,
            http,
            session: String::new(),
            base,
            _profile: profile,
        };
        browser.wait_ready().await;
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:loggingPrefs": {"browser": "ALL"},
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                    "--no-proxy-server", "--window-size=1280,1000", "--force-device-scale-factor=1",
                    "--lang=en-GB",
                    format!("--user-data-dir={}", browser._profile.path().display()),
                ],
            },
        }}});
        let v = browser.raw("POST", "/session", Some(caps)).await;
        browser.session = v["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("chromedriver opened no session: {v}"))
            .to_string();
        Ok(browser)
    }

    async fn wait_ready(&self) {
        let start = Instant::now();
        loop {
            if let Ok(r) = self.http.get(format!("{}/status", self.base)).send().await
                && let Ok(text) = r.text().await
                && let Ok(v) = serde_json::from_str::<Value>(&text)
                && v["value"]["ready"] == true
            {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "chromedriver did not become ready"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// One WebDriver command; its `value`, or a panic naming the command and the error.
    async fn raw(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        match self.try_raw(method, path, body).await {
            Ok(v) => v,
            Err(e) => panic!("WebDriver {method} {path}: {e}"),
        }
    }

    async fn try_raw(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, String> {
        let url = format!("{}{path}", self.base);
        let req = match method {
            "GET" => self.http.get(url),
            "DELETE" => self.http.delete(url),
            _ => self
                .http
                .post(url)
                .header("content-type", "application/json")
                .body(body.unwrap_or_else(|| json!({})).to_string()),
        };
        let r = req
            .timeout(Duration::from_secs(60))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let ok = r.status().is_success();
        let text = r.text().await.map_err(|e| e.to_string())?;
        let v: Value = serde_json::from_str(&text).map_err(|e| format!("{e}: {text}"))?;
        if ok {
            Ok(v["value"].clone())
        } else {
            Err(v["value"].to_string())
        }
    }

    async fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let path = format!("/session/{}{path}", self.session);
        self.raw(method, &path, body).await
    }

    /// Loads `url`.
    pub async fn goto(&self, url: &str) {
        self.cmd("POST", "/url", Some(json!({ "url": url }))).await;
    }

    /// The current URL.
    pub async fn url(&self) -> String {
        self.cmd("GET", "/url", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The first element matching `css`, if any.
    pub async fn find(&self, css: &str) -> Option<String> {
        let path = format!("/session/{}/element", self.session);
        let body = json!({"using": "css selector", "value": css});
        match self.try_raw("POST", &path, Some(body)).await {
            Ok(v) => v[ELEMENT].as_str().map(str::to_string),
            // "no such element" is an answer, not a failure.
            Err(_) => None,
        }
    }

    /// Waits up to `within` for an element matching `css` that is displayed.
    pub async fn wait_for(&self, css: &str, within: Duration) -> String {
        let ok = format!(
            "const e = document.querySelector({}); return !!e && e.getClientRects().length > 0;",
            json!(css)
        );
        self.wait_until(&ok, within, &format!("{css} is shown"))
            .await;
        self.find(css).await.expect("just seen")
    }

    /// Waits up to `within` for the script `js` (a function body) to return true.
    pub async fn wait_until(&self, js: &str, within: Duration, what: &str) {
        let start = Instant::now();
        loop {
            if self.script(js).await == Value::Bool(true) {
                return;
            }
            if start.elapsed() > within {
                let text = self.script("return document.body.innerText").await;
                panic!(
                    "waited {within:?} for: {what}\n--- page at {} ---\n{}\n--- console ---\n{}",
                    self.url().await,
                    text.as_str().unwrap_or_default(),
                    self.console().await.join("\n")
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Runs `js` (a function body) in the page and returns what it returns.
    pub async fn script(&self, js: &str) -> Value {
        self.cmd(
            "POST",
            "/execute/sync",
            Some(json!({"script": js, "args": []})),
        )
        .await
    }

    /// Types `text` into the element.
    pub async fn type_into(&self, element: &str, text: &str) {
        self.cmd("POST", &format!("/element/{element}/clear"), None)
            .await;
        self.cmd(
            "POST",
            &format!("/element/{element}/value"),
            Some(json!({ "text": text })),
        )
        .await;
    }

    /// Clicks the element.
    pub async fn click(&self, element: &str) {
        self.cmd("POST", &format!("/element/{element}/click"), None)
            .await;
    }

    /// The element's rendered text.
    pub async fn text(&self, element: &str) -> String {
        self.cmd("GET", &format!("/element/{element}/text"), None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Presses keys (e.g. "\u{E004}" for Tab) on whatever has the focus.
    pub async fn keys(&self, keys: &str) {
        let actions: Vec<Value> = keys
            .chars()
            .flat_map(|c| {
                [
                    json!({"type": "keyDown", "value": c.to_string()}),
                    json!({"type": "keyUp", "value": c.to_string()}),
                ]
            })
            .collect();
        self.cmd(
            "POST",
            "/actions",
            Some(json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]})),
        )
        .await;
        self.cmd("DELETE", "/actions", None).await;
    }

    /// Emulates `prefers-color-scheme: dark` (or light) through the DevTools protocol.
    pub async fn color_scheme(&self, scheme: &str) {
        self.cmd(
            "POST",
            "/goog/cdp/execute",
            Some(json!({"cmd": "Emulation.setEmulatedMedia",
                "params": {"features": [{"name": "prefers-color-scheme", "value": scheme}]}})),
        )
        .await;
    }

    /// Saves a PNG of the window to `path` and prints where.
    pub async fn screenshot(&self, path: &Path) {
        let b64 = self.cmd("GET", "/screenshot", None).await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(b64.as_str().unwrap_or_default())
            .expect("the screenshot is base64");
        assert!(png.starts_with(b"\x89PNG"), "not a PNG");
        std::fs::write(path, png).unwrap();
        println!("screenshot: {}", path.display());
    }

    /// The browser console's messages since the last call (level and text).
    pub async fn console(&self) -> Vec<String> {
        let path = format!("/session/{}/se/log", self.session);
        match self
            .try_raw("POST", &path, Some(json!({"type": "browser"})))
            .await
        {
            Ok(Value::Array(entries)) => entries
                .iter()
                .map(|e| format!("{} {}", e["level"], e["message"]))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Ends the session and the driver.
    pub async fn quit(self) {
        let path = format!("/session/{}", self.session);
        let _ = self.try_raw("DELETE", &path, None).await;
        // Drop ends the driver's process group.
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // The driver's process group: chromedriver and the Chromium it started.
        if let Ok(pgid) = i32::try_from(self.driver.id()) {
            // SAFETY: kill(2) with a negative id signals the process group this test created.
            unsafe {
                libc::kill(-pgid, libc::SIGKILL);
            }
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
