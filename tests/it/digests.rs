//! Digest emails end to end: real feeds on a loopback origin, the real binary, and a real SMTP
//! server ([`crate::smtp`]). The mail parses as MIME with a text and an HTML part, groups stories
//! by topic, escapes hostile titles and carries the period's Message-ID; a server down at the fire
//! time gets exactly one mail once it is back; a process killed between claim and send does not
//! send twice; a second run in the same period sends nothing; STARTTLS with a login works; a 5xx is
//! recorded and reported; `preview` records nothing.

use std::time::{Duration, Instant};

use mail_parser::{MessageParser, MimeHeaders};
use serde_json::Value;

use crate::harness::{ConfigSpec, SourceSpec, Workspace};
use crate::server::FeedServer;
use crate::smtp::{Mode, SmtpServer, TestCert, free_port};

const PLOT_TITLE: &str = "Iran denies assassination plot against exiled dissident";
const PLOT_TEXT: &str = "Police said the assassination plot was foiled after two suspects were \
     arrested. The murder plot targeted a journalist, prosecutors said.";
/// Markup and HTML's special characters in a title: the pipeline drops the script element before
/// any sink sees it; what remains must reach the HTML part escaped.
const CEASEFIRE_TITLE: &str =
    "Ceasefire deal: 5 &lt; 6 &amp; \"truce\" &gt; war &lt;script&gt;alert(1)&lt;/script&gt;";
const CEASEFIRE_TEXT: &str = "Israel and Hamas agreed to a ceasefire; the truce takes effect on \
     Sunday as the warring sides halt fighting.";
const RATES_TITLE: &str = "Central bank keeps interest rates unchanged";
const RATES_TEXT: &str =
    "The central bank left its benchmark rate unchanged, citing steady inflation.";

/// An RSS document with `(guid, title, text)` items (titles and texts already XML-escaped).
fn rss(site: &str, items: &[(&str, &str, &str)]) -> String {
    let mut out = format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>{site}</title>\
         <link>https://{site}.example/</link>"
    );
    for (guid, title, text) in items {
        out.push_str(&format!(
            "<item><guid isPermaLink=\"false\">{guid}</guid><title>{title}</title>\
             <link>https://{site}.example/{guid}</link><description>{text}</description></item>"
        ));
    }
    out.push_str("</channel></rss>");
    out
}

struct Setup {
    origin: FeedServer,
    ws: Workspace,
}

/// Two sources: "wire" with a plot, a ceasefire (hostile title) and an untagged story; "agency"
/// with the same plot story in other words.
async fn setup() -> Setup {
    let origin = FeedServer::start().await;
    origin.publish(
        "/wire.xml",
        rss(
            "wire",
            &[
                ("p1", PLOT_TITLE, PLOT_TEXT),
                ("c1", CEASEFIRE_TITLE, CEASEFIRE_TEXT),
                ("r1", RATES_TITLE, RATES_TEXT),
            ],
        ),
        "application/rss+xml",
    );
    origin.publish(
        "/agency.xml",
        rss("agency", &[("p9", PLOT_TITLE, PLOT_TEXT)]),
        "application/rss+xml",
    );
    Setup {
        origin,
        ws: Workspace::new(),
    }
}

/// The config: both sources (polled every `interval`), `[smtp]` on `port` with `smtp_extra`, and
/// the digest "morning" on `schedule` with `digest_extra`.
fn config(
    s: &Setup,
    interval: &str,
    port: u16,
    smtp_extra: &str,
    schedule: &str,
    digest_extra: &str,
) -> String {
    let mut spec = ConfigSpec::for_server(&s.origin)
        .source(SourceSpec::new("wire", s.origin.url("/wire.xml")).interval(interval))
        .source(SourceSpec::new("agency", s.origin.url("/agency.xml")).interval(interval));
    // The relay is on loopback: the private-network guard covers mail too.
    spec.allow_hosts.push(format!("localhost:{port}"));
    format!(
        "{}\n[smtp]\nhost = \"localhost\"\nport = {port}\ntls = \"none\"\n\
         from = \"briefwatch <bw@news.example.org>\"\ntimeout_secs = 2\n{smtp_extra}\n\
         [[digests]]\nname = \"morning\"\nschedule = \"{schedule}\"\nto = [\"desk@example.org\"]\n\
         topics = [\"assassination_plot\", \"ceasefire\"]\n\
         unsubscribe = \"https://news.example.org/unsubscribe?d=morning\"\n{digest_extra}",
        spec.render()
    )
}

/// A schedule that does not fire during a test (`digest send` drives it).
const QUIET: &str = "daily 03:00 Pacific/Kiritimati";

async fn digest_list(ws: &Workspace) -> Value {
    let run = ws.bw(&["digest", "list", "--json"]).await;
    run.assert_success();
    run.json_one()
}

fn parse(data: &[u8]) -> mail_parser::Message<'_> {
    MessageParser::default()
        .parse(data)
        .expect("the mail parses as MIME")
}

#[tokio::test]
async fn a_digest_is_mime_with_both_parts_grouped_by_topic_escaped_and_under_its_message_id() {
    let s = setup().await;
    let smtp = SmtpServer::start().await;
    s.ws.write_config(&config(&s, "1h", smtp.port, "", QUIET, ""));
    assert_eq!(s.ws.poll().await.get("new_briefs"), 4);
    let run = s.ws.bw(&["digest", "send", "morning"]).await;
    run.assert_success();
    let got = smtp.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].from, "bw@news.example.org");
    assert_eq!(got[0].to, ["desk@example.org"]);
    let msg = parse(&got[0].data);

    let list = digest_list(&s.ws).await;
    let sent = &list["last_sent"];
    let id = sent["message_id"].as_str().unwrap();
    assert_eq!(msg.message_id(), Some(id.trim_matches(['<', '>'])));
    assert!(id.starts_with("<briefwatch.digest.morning."), "{id}");
    assert_eq!(sent["stories"], 2, "{list}");
    assert!(msg.date().is_some(), "Date header");
    assert_eq!(
        msg.header_raw("List-Unsubscribe").map(str::trim),
        Some("<https://news.example.org/unsubscribe?d=morning>")
    );
    assert!(msg.content_type().unwrap().c_subtype.as_deref() == Some("alternative"));

    let text = msg.body_text(0).expect("a text/plain part").into_owned();
    let html = msg.body_html(0).expect("a text/html part").into_owned();
    // Grouped by topic, in the digest's order: the plot, then the ceasefire.
    let (plot, cease) = (
        html.find("Assassination plot").expect("plot heading"),
        html.find("Ceasefire</")
            .or_else(|| html.find(">Ceasefire"))
            .expect("ceasefire heading"),
    );
    assert!(plot < cease, "topic order");
    assert!(text.find("Assassination plot").unwrap() < text.find("Ceasefire deal").unwrap());
    // One entry per story: the plot story, carried by both sources, is listed once and names the
    // other source.
    assert_eq!(html.matches("<h3").count(), 2, "two stories: {html}");
    assert_eq!(
        html.matches(&format!(">{PLOT_TITLE}</a>")).count(),
        1,
        "{html}"
    );
    assert!(html.contains("agency") && html.contains("wire"));
    // The hostile title is text, not markup, and the untagged story is not listed.
    assert!(
        !html.contains("<script") && !html.contains("alert(1)"),
        "{html}"
    );
    assert!(
        html.contains("5 &lt; 6 &amp; &quot;truce&quot; &gt; war")
            || html.contains("5 &lt; 6 &amp; &#34;truce&#34; &gt; war"),
        "{html}"
    );
    assert!(
        text.contains("5 < 6 & \"truce\" > war"),
        "the text part keeps it as text: {text}"
    );
    assert!(!html.contains(RATES_TITLE) && !text.contains(RATES_TITLE));
    // Why: the evidence that tagged the plot.
    assert!(
        text.contains("murder plot") || text.contains("assassination plot"),
        "{text}"
    );

    // Sending again at once: nothing new since, so nothing is mailed.
    let again = s.ws.bw(&["digest", "send", "morning"]).await;
    again.assert_success();
    assert!(again.stdout.contains("no stories"), "{}", again.describe());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(smtp.received().len(), 1);
}

#[tokio::test]
async fn preview_renders_the_next_digest_and_records_nothing() {
    let s = setup().await;
    s.ws.write_config(&config(&s, "1h", free_port(), "", QUIET, ""));
    s.ws.poll().await;
    let out = s.ws.path("preview.html");
    let run =
        s.ws.bw(&[
            "digest",
            "preview",
            "morning",
            "--html",
            out.to_str().unwrap(),
            "--text",
        ])
        .await;
    run.assert_success();
    assert!(run.stdout.starts_with("Subject: "), "{}", run.describe());
    assert!(run.stdout.contains(PLOT_TITLE), "{}", run.describe());
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.contains("Assassination plot") && !html.contains("<script"));
    let list = digest_list(&s.ws).await;
    assert!(
        list["last_sent"].is_null() && list["waiting"] == serde_json::json!([]),
        "{list}"
    );
    let unknown = s.ws.bw(&["digest", "preview", "evening"]).await;
    assert_eq!(unknown.code(), Some(2), "{}", unknown.describe());
    assert!(unknown.stderr.contains("evening") && unknown.stderr.contains("morning"));
}

#[tokio::test]
async fn a_server_down_at_the_fire_time_gets_exactly_one_mail_once_it_is_back() {
    let s = setup().await;
    let port = free_port();
    s.ws.write_config(&config(&s, "1h", port, "", "every 1m", ""));
    let mut daemon = s.ws.spawn(&["run"]);
    // The daemon polls at start; its stories fall in the period that ends at the next minute.
    let start = Instant::now();
    let waiting = loop {
        let list = digest_list(&s.ws).await;
        if let Some(w) = list["waiting"].as_array().and_then(|w| w.first()) {
            if w["attempts"].as_u64() >= Some(1) {
                break w.clone();
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "no failed attempt recorded: {list}\n{}",
            daemon.output_so_far()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert!(
        waiting["last_error"]
            .as_str()
            .unwrap_or("")
            .contains(&port.to_string()),
        "{waiting}"
    );
    let smtp = SmtpServer::start_on(port, None).await;
    let got = smtp.wait_for(1, Duration::from_secs(40)).await;
    let msg = parse(&got[0].data);
    assert_eq!(
        msg.message_id().map(|m| format!("<{m}>")).as_deref(),
        waiting["message_id"].as_str()
    );
    assert!(msg.body_html(0).unwrap().contains(PLOT_TITLE));
    // A restart in the same period sends nothing more.
    daemon.signal("TERM");
    daemon
        .wait_exit(Duration::from_secs(20))
        .await
        .expect("stops");
    let mut daemon = s.ws.spawn(&["run"]);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let list = digest_list(&s.ws).await;
    daemon.signal("TERM");
    daemon
        .wait_exit(Duration::from_secs(20))
        .await
        .expect("stops");
    let received = smtp.received();
    // A later period may have fired meanwhile; it has no new stories, so it sends nothing.
    assert_eq!(received.len(), 1, "{list}");
    assert_eq!(
        list["last_sent"]["message_id"], waiting["message_id"],
        "{list}"
    );
}

#[tokio::test]
async fn a_process_killed_between_claim_and_send_sends_once_after_restart() {
    let s = setup().await;
    let stalled = SmtpServer::start().await;
    stalled.set_mode(Mode::Stall);
    s.ws.write_config(&config(&s, "1h", stalled.port, "", QUIET, ""));
    s.ws.poll().await;
    // `digest send` claims the period, connects, and hangs on the silent server: kill it there.
    let mut send = s.ws.spawn(&["digest", "send", "morning"]);
    let start = Instant::now();
    while stalled.connections() == 0 {
        assert!(start.elapsed() < Duration::from_secs(20), "no connection");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    std::process::Command::new("kill")
        .args(["-KILL", &send.pid().to_string()])
        .status()
        .unwrap();
    send.wait_exit(Duration::from_secs(10))
        .await
        .expect("killed");
    let claimed = digest_list(&s.ws).await;
    let waiting = &claimed["waiting"][0];
    assert_eq!(waiting["state"], "sending", "{claimed}");

    let smtp = SmtpServer::start().await;
    s.ws.write_config(&config(&s, "1h", smtp.port, "", QUIET, ""));
    let mut daemon = s.ws.spawn(&["run"]);
    let got = smtp.wait_for(1, Duration::from_secs(30)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    daemon.signal("TERM");
    daemon
        .wait_exit(Duration::from_secs(20))
        .await
        .expect("stops");
    assert_eq!(smtp.received().len(), 1);
    let msg = parse(&got[0].data);
    assert_eq!(
        msg.message_id().map(|m| format!("<{m}>")).as_deref(),
        waiting["message_id"].as_str(),
        "the same period, under the id it was claimed with"
    );
    let list = digest_list(&s.ws).await;
    assert_eq!(list["last_sent"]["message_id"], waiting["message_id"]);
    assert_eq!(list["waiting"], serde_json::json!([]), "{list}");
}

#[tokio::test]
async fn starttls_with_a_test_certificate_and_a_password_from_a_file_works() {
    let s = setup().await;
    let cert = TestCert::new();
    std::fs::write(s.ws.path("ca.pem"), &cert.ca_pem).unwrap();
    std::fs::write(s.ws.path("smtp.password"), "s3cret-pass\n").unwrap();
    let smtp = SmtpServer::start_tls(&cert).await;
    let tls =
        "ca_file = \"ca.pem\"\nusername = \"digest-bot\"\npassword_file = \"smtp.password\"\n";
    let text =
        config(&s, "1h", smtp.port, tls, QUIET, "").replace("tls = \"none\"", "tls = \"starttls\"");
    s.ws.write_config(&text);
    s.ws.poll().await;
    let run = s.ws.bw(&["digest", "send", "morning"]).await;
    run.assert_success();
    assert!(!run.stdout.contains("s3cret") && !run.stderr.contains("s3cret"));
    let got = smtp.wait_for(1, Duration::from_secs(10)).await;
    assert!(got[0].tls, "the session was upgraded");
    assert_eq!(
        got[0].login,
        Some(("digest-bot".to_owned(), "s3cret-pass".to_owned()))
    );

    // Without the test CA the certificate is refused, and that is a retry, not a mail in clear.
    let untrusted = SmtpServer::start_tls(&cert).await;
    let text = config(&s, "1h", untrusted.port, "", QUIET, "send_empty = true\n")
        .replace("tls = \"none\"", "tls = \"starttls\"");
    s.ws.write_config(&text);
    let run = s.ws.bw(&["digest", "send", "morning"]).await;
    assert_eq!(run.code(), Some(1), "{}", run.describe());
    assert!(untrusted.received().is_empty());
}

#[tokio::test]
async fn a_relay_on_a_private_address_is_refused_unless_allowed() {
    let s = setup().await;
    let smtp = SmtpServer::start().await;
    let allowed = format!(
        "allow_hosts = [\"{}\", \"localhost:{}\"]",
        s.origin.host_port(),
        smtp.port
    );
    let only_origin = format!("allow_hosts = [\"{}\"]", s.origin.host_port());
    let text = config(&s, "1h", smtp.port, "", QUIET, "");
    assert!(text.contains(&allowed), "{text}");
    s.ws.write_config(&text.replace(&allowed, &only_origin));
    s.ws.poll().await;
    let run = s.ws.bw(&["digest", "send", "morning"]).await;
    assert_eq!(run.code(), Some(1), "{}", run.describe());
    assert!(
        run.stderr.contains("localhost") && run.stderr.contains("fetch.allow_hosts"),
        "the refusal names the relay and the escape: {}",
        run.describe()
    );
    assert!(smtp.received().is_empty(), "nothing reached the relay");

    s.ws.write_config(&text);
    s.ws.bw(&["digest", "send", "morning"])
        .await
        .assert_success();
    assert_eq!(smtp.wait_for(1, Duration::from_secs(10)).await.len(), 1);
}

#[tokio::test]
async fn a_permanent_refusal_is_recorded_reported_and_retried_a_few_times_only() {
    let s = setup().await;
    let smtp = SmtpServer::start().await;
    smtp.set_mode(Mode::Refuse);
    s.ws.write_config(&config(&s, "1h", smtp.port, "", QUIET, ""));
    s.ws.poll().await;
    for attempt in 1..=3 {
        let run = s.ws.bw(&["digest", "send", "morning"]).await;
        assert_eq!(run.code(), Some(1), "{}", run.describe());
        assert!(run.stderr.contains("554"), "{}", run.describe());
        let list = digest_list(&s.ws).await;
        if attempt < 3 {
            assert_eq!(list["waiting"][0]["attempts"], attempt, "{list}");
        } else {
            assert_eq!(list["failed"][0]["attempts"], 3, "{list}");
            assert_eq!(list["waiting"], serde_json::json!([]), "{list}");
        }
        assert!(
            list["last_error"].as_str().unwrap().contains("554"),
            "{list}"
        );
    }
    let text = s.ws.bw(&["digest", "list"]).await;
    assert!(
        text.stdout.contains("failed:") && text.stdout.contains("554"),
        "{}",
        text.describe()
    );
    assert!(smtp.received().is_empty());
}

#[tokio::test]
async fn a_period_missed_while_the_daemon_was_down_is_sent_at_its_start() {
    let s = setup().await;
    let smtp = SmtpServer::start().await;
    s.ws.write_config(&config(&s, "1h", smtp.port, "", "every 1m", ""));
    // Nothing stored yet: the digest is recorded as sent up to now, with nothing to mail.
    s.ws.bw(&["digest", "send", "morning"])
        .await
        .assert_success();
    // Stories arrive while no daemon runs, and the next fire time passes.
    s.ws.poll().await;
    let list = digest_list(&s.ws).await;
    let fire = chrono::DateTime::parse_from_rfc3339(list["next_run"].as_str().unwrap()).unwrap();
    while chrono::Utc::now() < fire + chrono::Duration::milliseconds(500) {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(smtp.received().is_empty());
    let started = Instant::now();
    let mut daemon = s.ws.spawn(&["run"]);
    let got = smtp.wait_for(1, Duration::from_secs(20)).await;
    let late = started.elapsed();
    daemon.signal("TERM");
    daemon
        .wait_exit(Duration::from_secs(20))
        .await
        .expect("stops");
    assert!(late < Duration::from_secs(15), "sent {late:?} after start");
    assert!(
        parse(&got[0].data)
            .body_html(0)
            .unwrap()
            .contains(PLOT_TITLE)
    );
    let list = digest_list(&s.ws).await;
    assert_eq!(
        list["last_sent"]["period_end"],
        fire.with_timezone(&chrono::Utc)
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "the missed period, ending at its fire time: {list}"
    );
}
