//! `[server]`: where the health and metrics endpoint listens, if anywhere.

use std::net::SocketAddr;

use super::Problem;
use super::raw::RawServer;

/// A validated `[server]` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// The address `/healthz`, `/readyz` and `/metrics` are served on.
    pub listen: SocketAddr,
}

/// Checks `[server]`: `None` when absent.
pub(super) fn validate_server(
    raw: Option<RawServer>,
    problems: &mut Vec<Problem>,
) -> Option<ServerConfig> {
    let raw = raw?;
    match raw.listen.parse::<SocketAddr>() {
        Ok(listen) => Some(ServerConfig { listen }),
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

#[cfg(test)]
mod tests {
    use super::super::tests::load;

    #[test]
    fn listen_is_an_address_and_port() {
        let c = load("[server]\nlisten = \"127.0.0.1:9464\"\n").unwrap();
        assert_eq!(c.server.unwrap().listen.port(), 9464);
        let e = load("[server]\nlisten = \"localhost\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("server.listen") && e.contains("localhost"),
            "{e}"
        );
    }
}
