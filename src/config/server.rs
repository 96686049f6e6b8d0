//! `[server]`: where the HTTP endpoint listens, if anywhere, and the bearer token of its JSON API.
//!
//! Rule: the JSON API (`/api/*`) is served only when a token is configured (`token_file`,
//! `token_env` or `token_credential`, read like the destinations' secrets), whatever the address;
//! without one the server answers only `/healthz`, `/readyz` and `/metrics`, which carry no brief,
//! so a Prometheus scrape across the network needs no token.
//!
//! `public_url` is the address the daemon's endpoint is reachable at from elsewhere (behind a
//! proxy, say): WebSub hubs call back under it (`[websub]`).

use std::net::SocketAddr;
use std::path::Path;

use url::Url;

use super::Problem;
use super::destinations::{Secret, SecretSource};
use super::raw::RawServer;
use crate::errors::chain;

/// A validated `[server]` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// The address `/healthz`, `/readyz`, `/metrics` and (with a token) `/api/*` are served on.
    pub listen: SocketAddr,
    /// The bearer token of the JSON API; `None`: the API is not served.
    pub token: Option<Secret>,
    /// Where the endpoint is reachable from outside (absolute http(s), no query or fragment);
    /// WebSub callbacks live under it.
    pub public_url: Option<Url>,
}

/// Checks `[server]`: `None` when absent.
pub(super) fn validate_server(
    raw: Option<RawServer>,
    base: &Path,
    problems: &mut Vec<Problem>,
) -> Option<ServerConfig> {
    let raw = raw?;
    let token = SecretSource {
        file: raw.token_file.as_deref(),
        env: raw.token_env.as_deref(),
        credential: raw.token_credential.as_deref(),
    }
    .read(base);
    let token = match token {
        Ok(t) => t,
        Err(e) => {
            problems.push(Problem {
                key: "server.token_file".into(),
                reason: chain(&e).to_string(),
            });
            return None;
        }
    };
    let public_url = match raw.public_url.as_deref().map(parse_public_url).transpose() {
        Ok(u) => u,
        Err(reason) => {
            problems.push(Problem {
                key: "server.public_url".into(),
                reason,
            });
            return None;
        }
    };
    match raw.listen.parse::<SocketAddr>() {
        Ok(listen) => Some(ServerConfig {
            listen,
            token,
            public_url,
        }),
        Err(e) => {
            problems.push(Problem {
                key: "server.listen".into(),
                reason: format!(
                    "{:?} is not an address and port ({e}); e.g. \"127.0.0.1:9464\"",
                    raw.listen
                ),
            });
            None
        }
    }
}

/// `public_url`: an absolute http(s) URL with a host and neither query nor fragment.
fn parse_public_url(s: &str) -> Result<Url, String> {
    let hint = "e.g. \"https://briefs.example.org\"";
    let url =
        Url::parse(s).map_err(|e| format!("{s:?} is not an absolute http(s) URL ({e}); {hint}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(format!("{s:?} is not an absolute http(s) URL; {hint}"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("{s:?} must not have a query or fragment"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!("{s:?} must not carry credentials"));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{load, load_in_dir};

    #[test]
    fn listen_is_an_address_and_port() {
        let c = load("[server]\nlisten = \"127.0.0.1:9464\"\n").unwrap();
        let s = c.server.unwrap();
        assert_eq!(s.listen.port(), 9464);
        assert!(s.token.is_none());
        let e = load("[server]\nlisten = \"localhost\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("server.listen") && e.contains("localhost"),
            "{e}"
        );
    }

    #[test]
    fn a_non_loopback_listen_without_a_token_serves_health_and_metrics_only() {
        let c = load("[server]\nlisten = \"0.0.0.0:9464\"\n").unwrap();
        let s = c.server.unwrap();
        assert!(!s.listen.ip().is_loopback());
        assert!(s.token.is_none(), "no token: no /api");
    }

    #[test]
    fn the_token_is_read_from_a_file_and_never_printed() {
        let (_dir, c) = load_in_dir(
            &[("api.token", "s3cr3t-token\n")],
            "[server]\nlisten = \"0.0.0.0:9464\"\ntoken_file = \"api.token\"\n",
        );
        let s = c.unwrap().server.unwrap();
        assert_eq!(s.token.as_ref().unwrap().expose(), "s3cr3t-token");
        assert!(!format!("{s:?}").contains("s3cr3t"));
        let (_dir, e) = load_in_dir(
            &[],
            "[server]\nlisten = \"127.0.0.1:9464\"\ntoken_file = \"missing.token\"\n",
        );
        let e = e.unwrap_err().to_string();
        assert!(
            e.contains("server.token_file") && e.contains("missing.token"),
            "{e}"
        );
    }

    #[test]
    fn public_url_must_be_an_absolute_http_url() {
        let c = load("[server]\nlisten = \"127.0.0.1:9464\"\npublic_url = \"https://briefs.example.org/bw\"\n")
            .unwrap();
        assert_eq!(
            c.server.unwrap().public_url.unwrap().as_str(),
            "https://briefs.example.org/bw"
        );
        for bad in [
            "briefs.example.org",
            "ftp://briefs.example.org/",
            "/websub",
            "https://x.example/?a=1",
        ] {
            let e = load(&format!(
                "[server]\nlisten = \"127.0.0.1:9464\"\npublic_url = {bad:?}\n"
            ))
            .unwrap_err()
            .to_string();
            assert!(
                e.contains("server.public_url") && e.contains(bad),
                "{bad}: {e}"
            );
        }
    }
}
