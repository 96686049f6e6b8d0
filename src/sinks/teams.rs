//! Renders a [`Message`] for a Microsoft Teams Workflows webhook ("Post to a channel when a webhook
//! request is received"): a `message` with one Adaptive Card 1.4 attachment of TextBlocks, a
//! FactSet and an `Action.OpenUrl`. Feed text goes through [`escape::teams_markdown`].

use serde_json::{Value, json};

use super::escape::{self, Measure, fit, teams_markdown};
use super::payload::{Alert, Summary};
use super::wording;
use super::{Message, Rendered};

/// The longest title shown, in characters.
pub const TITLE_MAX: usize = 300;
/// The longest text block (summary, list), in characters.
pub const TEXT_MAX: usize = 2000;
/// The longest fact value, in characters.
pub const FACT_MAX: usize = 500;

/// Settings of a Teams destination that affect rendering: none yet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TeamsOptions {}

/// The Workflows webhook JSON for `msg`.
pub fn render(msg: &Message, _opts: &TeamsOptions) -> Rendered {
    let (body, url) = match msg {
        Message::Alert(a) => (alert(a), a.brief.url.as_deref().and_then(escape::http_url)),
        Message::Summary(s) => (summary(s), None),
    };
    let mut card = json!({
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    });
    if let Some(url) = url {
        card["actions"] = json!([{"type": "Action.OpenUrl", "title": "Open", "url": url}]);
    }
    Rendered::json(&json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": card,
        }],
    }))
}

fn text_block(text: &str, max: usize) -> Value {
    json!({"type": "TextBlock", "text": fit(text, max, Measure::Chars, teams_markdown), "wrap": true})
}

fn test_banner() -> Value {
    let mut b = text_block(wording::TEST_BANNER, TEXT_MAX);
    b["color"] = json!("Attention");
    b["weight"] = json!("Bolder");
    b
}

fn fact_set(facts: &[(&str, String)]) -> Value {
    let facts: Vec<Value> = facts
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(t, v)| {
            json!({"title": teams_markdown(t), "value": fit(v, FACT_MAX, Measure::Chars, teams_markdown)})
        })
        .collect();
    json!({"type": "FactSet", "facts": facts})
}

fn alert(a: &Alert) -> Vec<Value> {
    let mut body = Vec::new();
    if a.test {
        body.push(test_banner());
    }
    let mut title = text_block(&wording::alert_title(a), TITLE_MAX);
    title["size"] = json!("Medium");
    title["weight"] = json!("Bolder");
    body.push(title);
    let mut byline = text_block(&wording::byline(a), TEXT_MAX);
    byline["isSubtle"] = json!(true);
    byline["spacing"] = json!("None");
    body.push(byline);
    if !a.brief.summary.is_empty() {
        body.push(text_block(&a.brief.summary, TEXT_MAX));
    }
    let evidence: Vec<String> = wording::evidence(&a.topics)
        .iter()
        .map(|(t, e)| wording::evidence_line(t, e))
        .collect();
    body.push(fact_set(&[
        ("Rule", a.rule.clone()),
        ("Topics", wording::topics(&a.topics)),
        ("Evidence", evidence.join("; ")),
        ("Entities", wording::entities(&a.entities)),
        (
            "Story",
            wording::story(a.story.as_ref()).unwrap_or_default(),
        ),
    ]));
    body
}

fn summary(s: &Summary) -> Vec<Value> {
    let mut body = Vec::new();
    if s.test {
        body.push(test_banner());
    }
    let mut headline = text_block(&wording::summary_headline(s), TITLE_MAX);
    headline["size"] = json!("Medium");
    headline["weight"] = json!("Bolder");
    body.push(headline);
    for b in &s.briefs {
        let title = fit(&b.title, TITLE_MAX, Measure::Chars, teams_markdown);
        let linked = match b.url.as_deref().and_then(escape::http_url) {
            Some(u) => format!("[{title}]({})", escape::discord_url(&u)),
            None => title,
        };
        let mut line = format!("{linked} — {}", teams_markdown(&b.source));
        if !b.topics.is_empty() {
            line.push_str(&format!(" ({})", teams_markdown(&b.topics.join(", "))));
        }
        body.push(json!({"type": "TextBlock", "text": line, "wrap": true, "spacing": "Small"}));
    }
    if let Some(more) = wording::unlisted(s) {
        let mut b = text_block(&format!("…{more}"), TEXT_MAX);
        b["isSubtle"] = json!(true);
        body.push(b);
    }
    body.push(fact_set(&[
        ("Rule", s.rule.clone()),
        (
            "Window",
            format!(
                "{} – {}",
                wording::time(s.window.start),
                wording::time(s.window.end)
            ),
        ),
    ]));
    body
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::sinks::payload::tests::{HOSTILE_TITLE, alert, at, summary};
    use crate::sinks::tests::{assert_clean, json, strings};

    fn rendered(msg: &Message) -> Value {
        json(&render(msg, &TeamsOptions::default()))
    }

    fn card(v: &Value) -> &Value {
        &v["attachments"][0]["content"]
    }

    #[test]
    fn alert_card_has_the_documented_shape() {
        let v = rendered(&Message::Alert(alert("Truce holds")));
        assert_eq!(v["type"], "message");
        assert_eq!(
            v["attachments"][0]["contentType"],
            "application/vnd.microsoft.card.adaptive"
        );
        let c = card(&v);
        assert_eq!(
            c["$schema"],
            "http://adaptivecards.io/schemas/adaptive-card.json"
        );
        assert_eq!(c["type"], "AdaptiveCard");
        assert_eq!(c["version"], "1.4");
        assert_eq!(c["body"][0]["text"], "Truce holds");
        assert_eq!(c["body"][0]["weight"], "Bolder");
        assert_eq!(c["body"][3]["type"], "FactSet");
        assert_eq!(
            c["body"][3]["facts"][1]["value"],
            "ceasefire 0.87, diplomacy 0.50"
        );
        assert_eq!(
            c["actions"][0],
            serde_json::json!({"type": "Action.OpenUrl", "title": "Open",
                "url": "https://news.example.org/briefs/42?a=1&b=2"})
        );
    }

    #[test]
    fn hostile_title_is_escaped() {
        let v = rendered(&Message::Alert(alert(HOSTILE_TITLE)));
        assert_clean(&v);
        assert_eq!(
            card(&v)["body"][0]["text"],
            "<\u{200B}b>\\*\\_ <\u{200B}script>alert(1)<\u{200B}/script> @everyone redtxtend"
        );
        for s in strings(&v) {
            assert!(
                !s.contains("<script>") && !s.contains("<b>") && !s.contains("*_"),
                "{s}"
            );
        }
    }

    #[test]
    fn summary_lists_linked_briefs_and_window() {
        let v = rendered(&Message::Summary(summary(HOSTILE_TITLE)));
        assert_clean(&v);
        let body = card(&v)["body"].as_array().unwrap();
        assert_eq!(
            body[0]["text"],
            "12 more briefs matched rule ceasefire-watch in the last hour"
        );
        let first = body[1]["text"].as_str().unwrap();
        assert!(first.starts_with("[<\u{200B}b>\\*\\_"), "{first}");
        assert!(
            first.ends_with("](https://wire.example.org/43) — wire (ceasefire)"),
            "{first}"
        );
        assert_eq!(body[2]["text"], "Second brief — un-news");
        assert_eq!(body[3]["text"], "…10 more not listed");
        assert_eq!(body[4]["facts"][1]["title"], "Window");
        assert!(card(&v).get("actions").is_none());
    }

    #[test]
    fn test_message_says_it_is_a_test() {
        let v = rendered(&Message::test("msg_t", at(10, 0)));
        let b = &card(&v)["body"];
        assert!(
            b[0]["text"]
                .as_str()
                .unwrap()
                .starts_with("Test message from briefwatch")
        );
        assert!(b[1]["text"].as_str().unwrap().starts_with("\\[TEST\\]"));
    }
}
