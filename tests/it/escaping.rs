//! One hostile brief through every output: a title and body carrying markup, event handlers,
//! Markdown and Slack mrkdwn control characters, mentions, ANSI escape sequences, bidi overrides
//! and NUL bytes (a JSON Feed can carry all of them), delivered to a generic webhook, Slack,
//! Discord, Teams and ntfy, mailed in a digest, and printed by the CLI. Each output must show
//! the words and none of the active parts.

use std::time::Duration;

use mail_parser::MessageParser;
use serde_json::Value;

use crate::harness::{ConfigSpec, JSON_FEED, SourceSpec, Workspace};
use crate::receiver::{Receiver, SECRET};
use crate::server::FeedServer;
use crate::smtp::SmtpServer;

/// The title. Titles are read as HTML whatever the format says (publishers escape them
/// inconsistently), so its tags are dropped as markup; the rest must be neutralised per output.
const TITLE: &str = "Iran denies assassination plot <img src=x onerror=alert(1)> <script>alert(2)</script> \
    *bold* _it_ ~strike~ `code` [click](javascript:alert(3)) <!channel> @everyone \u{1b}[31mRED\u{1b}[0m \
    \u{1b}]8;;https://evil.example/\u{7}link\u{1b}]8;;\u{7} abc\u{202e}gnp.exe\u{2066}x\u{2069} nul\u{0}byte";

/// The body: HTML, with the same tricks.
const BODY: &str = "<p onclick=\"alert(4)\">Tehran rejected accusations that its agents plotted to \
    assassinate an exiled dissident.</p><script>alert(5)</script><iframe src=\"https://evil.example/\"></iframe>\
    <p>**Officials** said \u{1b}[2J the \u{202e}plot\u{202c} was a <a href=\"javascript:alert(6)\">fabrication</a>.\u{0}</p>";

/// Characters no output may carry: ESC, BEL, NUL and the bidi embeddings, overrides and isolates.
const FORBIDDEN: &[char] = &[
    '\u{1b}', '\u{7}', '\u{0}', '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}', '\u{202e}',
    '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
];

#[track_caller]
fn assert_inert(what: &str, text: &str) {
    for c in FORBIDDEN {
        assert!(
            !text.contains(*c),
            "{what} carries U+{:04X}: {text:?}",
            *c as u32
        );
    }
    assert!(
        text.contains("denies assassination plot"),
        "{what} lost the words: {text:?}"
    );
}

/// Every string in a JSON document, joined: what a receiver would display.
fn strings(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(a) => a.iter().map(strings).collect::<Vec<_>>().join("\n"),
        Value::Object(o) => o.values().map(strings).collect::<Vec<_>>().join("\n"),
        _ => String::new(),
    }
}

fn feed() -> String {
    serde_json::json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Hostile wire",
        "items": [{
            "id": "hostile-1",
            "url": "https://wire.example.net/hostile-1",
            "title": TITLE,
            "content_html": BODY,
            "date_published": "2026-12-03T08:00:00Z"
        }]
    })
    .to_string()
}

#[tokio::test]
async fn a_hostile_brief_is_inert_in_every_sink_the_digest_mail_and_the_cli() {
    let origin = FeedServer::start().await;
    origin.publish("/wire.json", feed(), JSON_FEED);
    let receiver = Receiver::start().await;
    let smtp = SmtpServer::start().await;
    let hp = receiver.host_port();
    let mut spec =
        ConfigSpec::for_server(&origin).source(SourceSpec::new("wire", origin.url("/wire.json")));
    spec.allow_hosts.push(hp.clone());
    spec.allow_hosts.push(format!("localhost:{}", smtp.port));
    let ws = Workspace::new();
    std::fs::write(ws.path("hook.secret"), SECRET).unwrap();
    let mut text = spec.render();
    text.push_str(&format!(
        "\n[[destinations]]\nname = \"hook\"\nkind = \"webhook\"\nurl = \"http://{hp}/hook\"\nsecret_file = \"hook.secret\"\n\
         [[destinations]]\nname = \"slack\"\nkind = \"slack\"\nurl = \"http://{hp}/slack\"\n\
         [[destinations]]\nname = \"discord\"\nkind = \"discord\"\nurl = \"http://{hp}/discord\"\n\
         [[destinations]]\nname = \"teams\"\nkind = \"teams\"\nurl = \"http://{hp}/teams\"\n\
         [[destinations]]\nname = \"ntfy\"\nkind = \"ntfy\"\nurl = \"http://{hp}/briefs\"\n\
         [[alerts]]\nname = \"plots\"\ntopics = [\"assassination_plot\"]\n\
         destinations = [\"hook\", \"slack\", \"discord\", \"teams\", \"ntfy\"]\n\
         [smtp]\nhost = \"localhost\"\nport = {}\ntls = \"none\"\nfrom = \"briefwatch <bw@news.example.org>\"\n\
         [[digests]]\nname = \"desk\"\nschedule = \"daily 03:00 Pacific/Kiritimati\"\nto = [\"desk@example.org\"]\n\
         topics = [\"assassination_plot\"]\n",
        smtp.port
    ));
    ws.write_config(&text);

    let summary = ws.poll().await;
    assert_eq!(summary.get("new_briefs"), 1, "{}", summary.run.describe());
    assert_eq!(summary.get("alerts_delivered"), 5, "{}", summary.json);

    // The generic webhook: data, cleaned of control and bidi characters.
    let hook = receiver.seen_at("/hook")[0].json();
    assert_inert("webhook", &strings(&hook));
    assert!(!strings(&hook).contains("<script"), "{hook}");

    // Slack mrkdwn: `<`, `>` and `&` are entities, so no <!channel>, <url|text> or tag survives.
    let slack = receiver.seen_at("/slack")[0].json();
    let s = strings(&slack);
    assert_inert("slack", &s);
    assert!(!s.contains("<!channel>") && !s.contains("<img"), "{s}");
    // `[text](url)` is not a link in mrkdwn; a `<javascript:...|text>` one would be.
    assert!(!s.contains("<javascript:"), "{s}");

    // Discord: no mention is parsed, Markdown is escaped.
    let discord = receiver.seen_at("/discord")[0].json();
    let d = strings(&discord);
    assert_inert("discord", &d);
    assert_eq!(discord["allowed_mentions"]["parse"], serde_json::json!([]));
    assert!(d.contains("\\*bold\\*"), "{d}");
    // The link is escaped (`\\[click\\](...)`), so it is not a link.
    assert!(!d.contains(" [click](javascript:"), "{d}");

    // Teams: Adaptive Card Markdown escaped.
    let teams = receiver.seen_at("/teams")[0].json();
    let t = strings(&teams);
    assert_inert("teams", &t);
    assert!(
        !t.contains(" [click](javascript:") && !t.contains("<script"),
        "{t}"
    );

    // ntfy: plain text, cleaned.
    let ntfy = receiver.seen_at("/")[0].json();
    assert_inert("ntfy", &strings(&ntfy));

    // The digest mail: the HTML part has the words as text and no element of the feed's.
    ws.bw(&["digest", "send", "desk"]).await.assert_success();
    let mail = smtp.wait_for(1, Duration::from_secs(10)).await;
    let msg = MessageParser::default().parse(&mail[0].data).expect("MIME");
    let html = msg.body_html(0).expect("an HTML part").into_owned();
    let plain = msg.body_text(0).expect("a text part").into_owned();
    assert_inert("digest HTML", &html);
    assert_inert("digest text", &plain);
    for active in [
        "<img",
        "<script",
        "<iframe",
        " onclick=",
        "href=\"javascript:",
    ] {
        assert!(
            !html.contains(active),
            "digest HTML carries {active}: {html}"
        );
    }

    // The CLI: the table, one brief in full, and search.
    let run = ws.bw(&["briefs", "list"]).await;
    run.assert_success();
    assert_inert("briefs list", &run.stdout);
    let briefs = ws.briefs().await;
    let id = crate::harness::id_arg(&briefs[0]);
    for args in [
        vec!["briefs", "show", id.as_str()],
        vec!["briefs", "search", "assassination"],
        vec!["stories", "list"],
    ] {
        let run = ws.bw(&args).await;
        run.assert_success();
        assert!(!run.stdout.contains("<script"), "{}", run.stdout);
        for c in FORBIDDEN {
            assert!(
                !run.stdout.contains(*c),
                "{args:?} carries U+{:04X}",
                *c as u32
            );
        }
    }
    assert_inert(
        "briefs show",
        &ws.bw(&["briefs", "show", id.as_str()]).await.stdout,
    );
}
