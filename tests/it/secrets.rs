//! Secrets stay secret: with every log at debug level, a full poll, alert dispatch (a delivered
//! webhook, a Slack URL that is its own credential, an `Authorization` header, a destination that
//! is down), a digest sent with a login, the daemon, and the listing commands print none of the
//! canary secrets the config points at.

use std::time::Duration;

use crate::harness::{ConfigSpec, PLOT_FEED, RSS, SourceSpec, Workspace};
use crate::receiver::Receiver;
use crate::server::FeedServer;
use crate::smtp::{SmtpServer, free_port};

/// The webhook signing secret; its base64 body is the canary.
const HOOK_SECRET: &str = "whsec_Q0FOQVJZV0VCSE9PS1NFQ1JFVDAxMjM0NTY3ODlBQkM=";
const SLACK_PATH: &str = "CANARY-SLACK-PATH-7f3a";
const DOWN_PATH: &str = "CANARY-DOWN-PATH-19be";
const HEADER_TOKEN: &str = "CANARY-HEADER-TOKEN-c2d1";
const SMTP_PASSWORD: &str = "CANARY-SMTP-PASSWORD-88e0";
const API_TOKEN: &str = "CANARY-API-TOKEN-5a0c";

const CANARIES: &[&str] = &[
    "Q0FOQVJZV0VCSE9PS1NFQ1JFVDAxMjM0NTY3ODlBQkM",
    SLACK_PATH,
    DOWN_PATH,
    HEADER_TOKEN,
    SMTP_PASSWORD,
    API_TOKEN,
];

#[track_caller]
fn assert_no_canary(what: &str, out: &str) {
    for c in CANARIES {
        assert!(!out.contains(c), "{what} printed the secret {c}:\n{out}");
    }
}

#[tokio::test]
async fn no_secret_is_logged_or_printed_at_debug_level() {
    let origin = FeedServer::start().await;
    origin.publish("/wire.xml", PLOT_FEED, RSS);
    let receiver = Receiver::start().await;
    let smtp = SmtpServer::start().await;
    let hp = receiver.host_port();
    let closed = free_port();
    let ws = Workspace::new();
    std::fs::write(ws.path("hook.secret"), HOOK_SECRET).unwrap();
    std::fs::write(
        ws.path("slack.url"),
        format!("http://{hp}/services/{SLACK_PATH}\n"),
    )
    .unwrap();
    std::fs::write(
        ws.path("down.url"),
        format!("http://127.0.0.1:{closed}/{DOWN_PATH}\n"),
    )
    .unwrap();
    std::fs::write(
        ws.path("hook.headers"),
        format!("Authorization: Bearer {HEADER_TOKEN}\n"),
    )
    .unwrap();
    std::fs::write(ws.path("smtp.password"), format!("{SMTP_PASSWORD}\n")).unwrap();
    std::fs::write(ws.path("api.token"), format!("{API_TOKEN}\n")).unwrap();
    let api_port = free_port();
    let mut spec =
        ConfigSpec::for_server(&origin).source(SourceSpec::new("wire", origin.url("/wire.xml")));
    spec.allow_hosts.push(hp.clone());
    spec.allow_hosts.push(format!("127.0.0.1:{closed}"));
    spec.allow_hosts.push(format!("localhost:{}", smtp.port));
    let mut text = spec.render();
    text.push_str(&format!(
        "\n[delivery]\nretry_schedule = [\"0s\", \"1h\"]\npoll_once_timeout_secs = 10\n\
         [[destinations]]\nname = \"hook\"\nkind = \"webhook\"\nurl = \"http://{hp}/hook\"\n\
         secret_file = \"hook.secret\"\nheaders_file = \"hook.headers\"\n\
         [[destinations]]\nname = \"slack\"\nkind = \"slack\"\nurl_file = \"slack.url\"\n\
         [[destinations]]\nname = \"down\"\nkind = \"slack\"\nurl_file = \"down.url\"\ntimeout_secs = 2\n\
         [[alerts]]\nname = \"plots\"\ntopics = [\"assassination_plot\"]\n\
         destinations = [\"hook\", \"slack\", \"down\"]\n\
         [smtp]\nhost = \"localhost\"\nport = {}\ntls = \"none\"\nusername = \"digest-bot\"\n\
         password_file = \"smtp.password\"\nfrom = \"briefwatch <bw@news.example.org>\"\n\
         [[digests]]\nname = \"desk\"\nschedule = \"daily 03:00 Pacific/Kiritimati\"\n\
         to = [\"desk@example.org\"]\n\
         [server]\nlisten = \"127.0.0.1:{api_port}\"\ntoken_file = \"api.token\"\n",
        smtp.port
    ));
    ws.write_config(&text);
    let debug = [("BRIEFWATCH_LOG", "debug")];

    let mut outputs = Vec::new();
    for args in [
        vec!["check-config"],
        vec!["poll", "--once", "--json"],
        vec!["digest", "send", "desk"],
        vec!["alerts", "list", "--limit", "0"],
        vec!["alerts", "list", "--limit", "0", "--json"],
        vec!["digest", "list", "--json"],
        vec!["sources", "status"],
        vec!["alerts", "test", "down"],
    ] {
        let mut d = ws.spawn_env(&args, &debug);
        let (_, stdout, stderr) = d
            .wait_exit(Duration::from_secs(60))
            .await
            .unwrap_or_else(|| panic!("{args:?} did not finish"));
        outputs.push((format!("{args:?}"), format!("{stdout}\n{stderr}")));
    }
    // The daemon too, for a few seconds.
    let mut daemon = ws.spawn_env(&["run"], &debug);
    tokio::time::sleep(Duration::from_secs(3)).await;
    // The API token is used (and refused when wrong) while the daemon logs at debug level.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let api = format!("http://127.0.0.1:{api_port}/api/sources");
    for (token, status) in [(API_TOKEN, 200), ("not-the-token", 401)] {
        let r = reqwest::Client::new()
            .get(&api)
            .bearer_auth(token)
            .send()
            .await
            .expect("the API answers");
        assert_eq!(r.status().as_u16(), status);
    }
    daemon.signal("TERM");
    let (_, stdout, stderr) = daemon
        .wait_exit(Duration::from_secs(20))
        .await
        .expect("the daemon stops on SIGTERM");
    outputs.push(("run".into(), format!("{stdout}\n{stderr}")));

    // The secrets were used: the webhook and Slack got their alerts, with the header; the mail
    // server got the login; the destination that is down failed.
    let hook = receiver.seen_at("/hook");
    assert_eq!(hook.len(), 1, "{outputs:#?}");
    assert_eq!(
        hook[0].header("authorization"),
        Some(format!("Bearer {HEADER_TOKEN}").as_str())
    );
    assert_eq!(
        receiver.seen_at(&format!("/services/{SLACK_PATH}")).len(),
        1
    );
    let mail = smtp.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(
        mail[0].login,
        Some(("digest-bot".to_owned(), SMTP_PASSWORD.to_owned()))
    );
    let all: String = outputs.iter().map(|(_, o)| o.as_str()).collect();
    assert!(
        all.contains("DEBUG") || all.contains("debug"),
        "debug logging was on"
    );
    assert!(
        all.contains(&format!("127.0.0.1:{closed}")),
        "the down destination's failure was reported (by host): {all}"
    );
    for (what, out) in &outputs {
        assert_no_canary(what, out);
    }
}
