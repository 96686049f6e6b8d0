//! Renders a [`Message`] for a Slack incoming webhook: a `text` fallback (used in notifications)
//! plus Block Kit blocks. Feed text goes into `plain_text` objects wherever Slack allows, and
//! through [`escape::slack_mrkdwn`] where it must be `mrkdwn` (the linked title, the fallback).

use serde_json::{Value, json};

use super::escape::{self, Measure, fit, slack_mrkdwn, slack_plain};
use super::payload::{Alert, Summary};
use super::wording;
use super::{Message, Rendered};

/// Slack's limit on a section's or context element's text, in characters.
pub const TEXT_MAX: usize = 3000;
/// Slack's limit on a header block's text, in characters.
pub const HEADER_MAX: usize = 150;

/// Settings of a Slack destination that affect rendering: none yet (the incoming webhook fixes
/// channel and name).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SlackOptions {}

/// The incoming-webhook JSON for `msg`.
pub fn render(msg: &Message, _opts: &SlackOptions) -> Rendered {
    let value = match msg {
        Message::Alert(a) => alert(a),
        Message::Summary(s) => summary(s),
    };
    Rendered::json(&value)
}

fn plain(text: &str) -> Value {
    json!({"type": "plain_text", "text": fit(text, TEXT_MAX, Measure::Chars, slack_plain), "emoji": false})
}

fn context(lines: &[String]) -> Value {
    let elements: Vec<Value> = lines
        .iter()
        .filter(|l| !l.is_empty())
        .take(10)
        .map(|l| plain(l))
        .collect();
    json!({"type": "context", "elements": elements})
}

fn test_banner() -> Value {
    context(&[format!("\u{1F9EA} {}", wording::TEST_BANNER)])
}

/// `<url|text>` with both halves escaped, or the escaped text alone when the URL is not http(s).
fn link(text: &str, url: Option<&str>, max: usize) -> String {
    match url.and_then(escape::http_url) {
        Some(u) => {
            let u = escape::slack_url(&u);
            let room = max.saturating_sub(u.chars().count() + 3);
            format!("<{u}|{}>", fit(text, room, Measure::Chars, slack_mrkdwn))
        }
        None => fit(text, max, Measure::Chars, slack_mrkdwn),
    }
}

fn alert(a: &Alert) -> Value {
    let title = wording::alert_title(a);
    let mut blocks = Vec::new();
    if a.test {
        blocks.push(test_banner());
    }
    blocks.push(json!({"type": "section", "text": {
        "type": "mrkdwn",
        "text": format!("*{}*", link(&title, a.brief.url.as_deref(), TEXT_MAX - 2)),
    }}));
    let topics = wording::topics(&a.topics);
    blocks.push(context(&[
        wording::byline(a),
        if topics.is_empty() {
            topics
        } else {
            format!("Topics: {topics}")
        },
        format!("Rule: {}", a.rule),
    ]));
    if !a.brief.summary.is_empty() {
        blocks.push(json!({"type": "section", "text": plain(&a.brief.summary)}));
    }
    let evidence = wording::evidence(&a.topics);
    if !evidence.is_empty() {
        let lines: Vec<String> = evidence
            .iter()
            .map(|(t, e)| format!("• {}", wording::evidence_line(t, e)))
            .collect();
        let text = format!("Evidence:\n{}", lines.join("\n"));
        blocks.push(json!({"type": "section", "text": plain(&text)}));
    }
    let entities = wording::entities(&a.entities);
    let story = wording::story(a.story.as_ref()).map(|s| format!("Story: {s}"));
    if !entities.is_empty() || story.is_some() {
        let entities = if entities.is_empty() {
            entities
        } else {
            format!("Entities: {entities}")
        };
        blocks.push(context(&[entities, story.unwrap_or_default()]));
    }
    let fallback = format!("{}: {} ({})", a.rule, title, a.brief.source);
    json!({
        "text": fit(&fallback, TEXT_MAX, Measure::Chars, slack_mrkdwn),
        "blocks": blocks,
    })
}

fn summary(s: &Summary) -> Value {
    let headline = wording::summary_headline(s);
    let mut blocks = Vec::new();
    if s.test {
        blocks.push(test_banner());
    }
    blocks.push(json!({"type": "header", "text": {
        "type": "plain_text",
        "text": fit(&headline, HEADER_MAX, Measure::Chars, slack_plain),
        "emoji": false,
    }}));
    let mut list = String::new();
    for b in &s.briefs {
        let mut line = format!("• {}", link(&b.title, b.url.as_deref(), 500));
        line.push_str(&format!(" — {}", slack_mrkdwn(&b.source)));
        if !b.topics.is_empty() {
            line.push_str(&format!(" ({})", slack_mrkdwn(&b.topics.join(", "))));
        }
        // Whole lines only: a cut inside `<url|text>` would break the link syntax.
        if list.chars().count() + line.chars().count() + 1 > TEXT_MAX - 40 {
            break;
        }
        list.push_str(&line);
        list.push('\n');
    }
    if let Some(more) = wording::unlisted(s) {
        list.push_str(&format!("…{more}"));
    }
    if !list.trim().is_empty() {
        blocks
            .push(json!({"type": "section", "text": {"type": "mrkdwn", "text": list.trim_end()}}));
    }
    blocks.push(context(&[
        format!(
            "Window: {} – {}",
            wording::time(s.window.start),
            wording::time(s.window.end)
        ),
        format!("Rule: {}", s.rule),
    ]));
    json!({
        "text": fit(&headline, TEXT_MAX, Measure::Chars, slack_mrkdwn),
        "blocks": blocks,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::sinks::payload::tests::{HOSTILE_TITLE, alert, at, summary};
    use crate::sinks::tests::{assert_clean, json, strings};

    fn rendered(msg: &Message) -> Value {
        json(&render(msg, &SlackOptions::default()))
    }

    /// Every `mrkdwn` text and the fallback `text`: the strings Slack parses.
    fn mrkdwn_texts(v: &Value) -> Vec<String> {
        let mut out = vec![v["text"].as_str().unwrap().to_owned()];
        fn walk(v: &Value, out: &mut Vec<String>) {
            match v {
                Value::Object(o) => {
                    if o.get("type") == Some(&Value::from("mrkdwn")) {
                        out.push(o["text"].as_str().unwrap().to_owned());
                    }
                    o.values().for_each(|x| walk(x, out));
                }
                Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
                _ => {}
            }
        }
        walk(&v["blocks"], &mut out);
        out
    }

    #[test]
    fn alert_has_fallback_linked_title_context_summary_and_evidence() {
        let v = rendered(&Message::Alert(alert("Truce holds")));
        assert_eq!(v["text"], "ceasefire-watch: Truce holds (un-news)");
        let blocks = v["blocks"].as_array().unwrap();
        assert_eq!(blocks[0]["type"], "section");
        assert_eq!(
            blocks[0]["text"]["text"],
            "*<https://news.example.org/briefs/42?a=1&amp;b=2|Truce holds>*"
        );
        assert_eq!(blocks[1]["type"], "context");
        assert_eq!(
            blocks[1]["elements"][1]["text"],
            "Topics: ceasefire 0.87, diplomacy 0.50"
        );
        assert_eq!(blocks[2]["text"]["type"], "plain_text");
        assert!(
            blocks[2]["text"]["text"]
                .as_str()
                .unwrap()
                .starts_with("Talks resumed")
        );
        assert!(
            blocks[3]["text"]["text"]
                .as_str()
                .unwrap()
                .starts_with("Evidence:\n• ceasefire")
        );
        assert_eq!(blocks[4]["elements"][0]["text"], "Entities: Cairo (city)");
    }

    #[test]
    fn hostile_title_is_escaped_in_mrkdwn_and_plain_elsewhere() {
        let v = rendered(&Message::Alert(alert(HOSTILE_TITLE)));
        assert_clean(&v);
        for text in mrkdwn_texts(&v) {
            assert!(
                !text.contains("<b>") && !text.contains("<script>"),
                "{text}"
            );
            assert!(!text.contains("<!") && !text.contains("<@"), "{text}");
            assert!(
                !text.contains("*_") && !text.contains("@everyone"),
                "{text}"
            );
        }
        let title = v["blocks"][0]["text"]["text"].as_str().unwrap();
        assert!(
            title.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{title}"
        );
        assert!(title.contains("@\u{200B}everyone"));
        assert!(title.contains("redtxtend"));
    }

    #[test]
    fn link_urls_cannot_break_out() {
        let text = link("x", Some("https://e.org/a|b>c"), TEXT_MAX);
        assert_eq!(text, "<https://e.org/a%7Cb%3Ec|x>");
        assert_eq!(link("x", Some("javascript:alert(1)"), TEXT_MAX), "x");
    }

    #[test]
    fn long_title_stays_within_block_limits() {
        let title = "&".repeat(5000);
        let v = rendered(&Message::Alert(alert(&title)));
        for s in strings(&v["blocks"]) {
            assert!(s.chars().count() <= TEXT_MAX);
        }
        assert!(v["text"].as_str().unwrap().chars().count() <= TEXT_MAX);
    }

    #[test]
    fn summary_has_header_list_and_window() {
        let v = rendered(&Message::Summary(summary(HOSTILE_TITLE)));
        assert_clean(&v);
        let blocks = v["blocks"].as_array().unwrap();
        assert_eq!(blocks[0]["type"], "header");
        assert_eq!(
            blocks[0]["text"]["text"],
            "12 more briefs matched rule ceasefire-watch in the last hour"
        );
        let list = blocks[1]["text"]["text"].as_str().unwrap();
        assert!(
            list.starts_with("• <https://wire.example.org/43|&lt;b&gt;"),
            "{list}"
        );
        assert!(list.ends_with("…10 more not listed"));
        assert!(!list.contains("<script>"));
        assert!(
            blocks[2]["elements"][0]["text"]
                .as_str()
                .unwrap()
                .starts_with("Window:")
        );
    }

    #[test]
    fn test_message_says_it_is_a_test() {
        let v = rendered(&Message::test("msg_t", at(10, 0)));
        assert!(v["text"].as_str().unwrap().contains("[TEST]"));
        let banner = v["blocks"][0]["elements"][0]["text"].as_str().unwrap();
        assert!(banner.contains("Test message from briefwatch"));
    }
}
