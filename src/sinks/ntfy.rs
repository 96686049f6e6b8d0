//! Renders a [`Message`] for ntfy's JSON publishing (POST to the server root with `topic`,
//! `title`, `message`, `priority`, `tags` and `click`), as plain text with markdown off, and splits
//! a topic URL into server root and topic.

use serde_json::json;
use url::Url;

use super::escape::{self, Measure, fit, ntfy_plain};
use super::payload::{Alert, Summary};
use super::wording;
use super::{Message, Rendered};

/// The longest title sent, in characters.
pub const TITLE_MAX: usize = 250;
/// The longest message sent, in bytes: under ntfy's default 4096-byte limit, past which the
/// server turns the message into an attachment.
pub const MESSAGE_MAX_BYTES: usize = 4000;
/// The priority when none is configured (ntfy's "default").
pub const DEFAULT_PRIORITY: u8 = 3;

/// Settings of an ntfy destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NtfyOptions {
    /// The topic to publish to (from [`target`]).
    pub topic: String,
    /// Priority 1 (min) to 5 (max); values outside are clamped.
    pub priority: u8,
    /// Tags (ntfy shows known emoji short codes as emoji); `None` uses the message's topic ids.
    pub tags: Option<Vec<String>>,
}

impl NtfyOptions {
    /// Options for `topic` with the default priority and tags from topic ids.
    pub fn new(topic: impl Into<String>) -> NtfyOptions {
        NtfyOptions {
            topic: topic.into(),
            priority: DEFAULT_PRIORITY,
            tags: None,
        }
    }
}

/// Why a topic URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// Not an absolute URL.
    #[error("ntfy URL {url:?} is not an absolute URL")]
    NotUrl {
        /// The refused URL.
        url: String,
    },
    /// Not `http` or `https`.
    #[error("ntfy URL {url:?} must be http or https")]
    NotHttp {
        /// The refused URL.
        url: String,
    },
    /// Carries a query or fragment, which JSON publishing would drop.
    #[error("ntfy URL {url:?} must not carry a query or fragment")]
    QueryOrFragment {
        /// The refused URL.
        url: String,
    },
    /// No topic after the server root, or one ntfy would refuse (1–64 of `A-Z a-z 0-9 _ -`).
    #[error("ntfy URL {url:?} does not end in a valid topic (1-64 of A-Z a-z 0-9 _ -)")]
    BadTopic {
        /// The refused URL.
        url: String,
    },
}

/// Splits a topic URL (`https://ntfy.sh/alerts`, or `https://host/ntfy/alerts` behind a path
/// prefix) into the root to POST JSON to (`https://ntfy.sh/`, `https://host/ntfy/`) and the topic.
pub fn target(topic_url: &str) -> Result<(Url, String), TargetError> {
    let err_url = || topic_url.to_owned();
    let mut url =
        Url::parse(topic_url.trim()).map_err(|_| TargetError::NotUrl { url: err_url() })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(TargetError::NotHttp { url: err_url() });
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(TargetError::QueryOrFragment { url: err_url() });
    }
    let path = url.path().trim_end_matches('/').to_owned();
    let (prefix, topic) = path.rsplit_once('/').unwrap_or(("", path.as_str()));
    let valid = (1..=64).contains(&topic.len())
        && topic
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !valid {
        return Err(TargetError::BadTopic { url: err_url() });
    }
    let topic = topic.to_owned();
    url.set_path(&format!("{prefix}/"));
    Ok((url, topic))
}

/// The JSON to POST to the server root for `msg`.
pub fn render(msg: &Message, opts: &NtfyOptions) -> Rendered {
    let (title, message, click, default_tags) = match msg {
        Message::Alert(a) => alert(a),
        Message::Summary(s) => summary(s),
    };
    let mut tags: Vec<String> = opts
        .tags
        .clone()
        .unwrap_or(default_tags)
        .iter()
        .map(|t| escape::one_line(t))
        .filter(|t| !t.is_empty())
        .collect();
    if msg.is_test() {
        tags.insert(0, "test_tube".to_owned());
    }
    let mut body = json!({
        "topic": opts.topic,
        "title": fit(&title, TITLE_MAX, Measure::Chars, escape::one_line),
        "message": fit(&message, MESSAGE_MAX_BYTES, Measure::Bytes, ntfy_plain),
        "priority": opts.priority.clamp(1, 5),
        "tags": tags,
    });
    if let Some(click) = click.as_deref().and_then(escape::http_url) {
        body["click"] = json!(click);
    }
    Rendered::json(&body)
}

type Parts = (String, String, Option<String>, Vec<String>);

fn alert(a: &Alert) -> Parts {
    let mut lines = Vec::new();
    if a.test {
        lines.push(wording::TEST_BANNER.to_owned());
        lines.push(String::new());
    }
    lines.push(wording::byline(a));
    if !a.brief.summary.is_empty() {
        lines.push(String::new());
        lines.push(a.brief.summary.clone());
    }
    lines.push(String::new());
    let topics = wording::topics(&a.topics);
    if !topics.is_empty() {
        lines.push(format!("Topics: {topics}"));
    }
    for (t, e) in wording::evidence(&a.topics) {
        lines.push(format!("• {}", wording::evidence_line(t, e)));
    }
    let entities = wording::entities(&a.entities);
    if !entities.is_empty() {
        lines.push(format!("Entities: {entities}"));
    }
    if let Some(story) = wording::story(a.story.as_ref()) {
        lines.push(format!("Story: {story}"));
    }
    lines.push(format!("Rule: {}", a.rule));
    let tags = a.topics.iter().map(|t| t.id.clone()).collect();
    (
        wording::alert_title(a),
        lines.join("\n"),
        a.brief.url.clone(),
        tags,
    )
}

fn summary(s: &Summary) -> Parts {
    let mut lines = Vec::new();
    if s.test {
        lines.push(wording::TEST_BANNER.to_owned());
        lines.push(String::new());
    }
    for b in &s.briefs {
        let mut line = format!("• {} — {}", b.title, b.source);
        if let Some(url) = b.url.as_deref().and_then(escape::http_url) {
            line.push_str(&format!("\n  {url}"));
        }
        lines.push(line);
    }
    if let Some(more) = wording::unlisted(s) {
        lines.push(format!("…{more}"));
    }
    lines.push(format!(
        "Window: {} – {}",
        wording::time(s.window.start),
        wording::time(s.window.end)
    ));
    let mut tags: Vec<String> = s.briefs.iter().flat_map(|b| b.topics.clone()).collect();
    tags.sort();
    tags.dedup();
    (wording::summary_headline(s), lines.join("\n"), None, tags)
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::sinks::payload::tests::{HOSTILE_TITLE, alert, at, summary};
    use crate::sinks::tests::{assert_clean, json};

    fn rendered(msg: &Message, opts: &NtfyOptions) -> Value {
        json(&render(msg, opts))
    }

    #[test]
    fn target_splits_root_and_topic() {
        let (root, topic) = target("https://ntfy.sh/alerts").unwrap();
        assert_eq!(
            (root.as_str(), topic.as_str()),
            ("https://ntfy.sh/", "alerts")
        );
        let (root, topic) = target("http://host:8080/ntfy/brief_watch-1/").unwrap();
        assert_eq!(root.as_str(), "http://host:8080/ntfy/");
        assert_eq!(topic, "brief_watch-1");
    }

    #[test]
    fn target_refuses_urls_without_a_valid_topic() {
        assert!(matches!(
            target("https://ntfy.sh/"),
            Err(TargetError::BadTopic { .. })
        ));
        assert!(matches!(
            target("https://ntfy.sh"),
            Err(TargetError::BadTopic { .. })
        ));
        assert!(matches!(
            target("https://ntfy.sh/a%20b"),
            Err(TargetError::BadTopic { .. })
        ));
        let long = format!("https://ntfy.sh/{}", "a".repeat(65));
        assert!(matches!(target(&long), Err(TargetError::BadTopic { .. })));
        assert!(matches!(
            target("ntfy.sh/alerts"),
            Err(TargetError::NotUrl { .. })
        ));
        assert!(matches!(
            target("ftp://ntfy.sh/alerts"),
            Err(TargetError::NotHttp { .. })
        ));
        assert!(matches!(
            target("https://ntfy.sh/alerts?auth=x"),
            Err(TargetError::QueryOrFragment { .. })
        ));
    }

    #[test]
    fn alert_has_topic_title_message_priority_tags_and_click() {
        let v = rendered(
            &Message::Alert(alert("Truce holds")),
            &NtfyOptions::new("alerts"),
        );
        assert_eq!(v["topic"], "alerts");
        assert_eq!(v["title"], "Truce holds");
        assert_eq!(v["priority"], 3);
        assert_eq!(v["tags"], serde_json::json!(["ceasefire", "diplomacy"]));
        assert_eq!(v["click"], "https://news.example.org/briefs/42?a=1&b=2");
        assert!(v.get("markdown").is_none());
        let m = v["message"].as_str().unwrap();
        assert!(m.starts_with("un-news · 2026-11-20 09:30 UTC · by A. Reporter\n\nTalks resumed"));
        assert!(m.contains("Topics: ceasefire 0.87, diplomacy 0.50\n• ceasefire: \"ceasefire\""));
        assert!(m.ends_with("Rule: ceasefire-watch"));
    }

    #[test]
    fn options_set_priority_and_tags() {
        let opts = NtfyOptions {
            topic: "t".into(),
            priority: 9,
            tags: Some(vec!["warning".into()]),
        };
        let v = rendered(&Message::Alert(alert("x")), &opts);
        assert_eq!(v["priority"], 5);
        assert_eq!(v["tags"], serde_json::json!(["warning"]));
    }

    #[test]
    fn hostile_title_arrives_as_clean_plain_text() {
        let v = rendered(
            &Message::Alert(alert(HOSTILE_TITLE)),
            &NtfyOptions::new("t"),
        );
        assert_clean(&v);
        assert_eq!(
            v["title"],
            "<b>*_ <script>alert(1)</script> @everyone redtxtend"
        );
    }

    #[test]
    fn long_message_fits_the_byte_limit() {
        let mut a = alert("t");
        a.brief.summary = "é".repeat(5000);
        let v = rendered(&Message::Alert(a), &NtfyOptions::new("t"));
        assert!(v["message"].as_str().unwrap().len() <= MESSAGE_MAX_BYTES);
    }

    #[test]
    fn summary_and_test_messages_render() {
        let v = rendered(
            &Message::Summary(summary("Truce holds")),
            &NtfyOptions::new("t"),
        );
        assert_eq!(
            v["title"],
            "12 more briefs matched rule ceasefire-watch in the last hour"
        );
        let m = v["message"].as_str().unwrap();
        assert!(m.starts_with("• Truce holds — wire\n  https://wire.example.org/43\n• Second"));
        assert!(m.contains("…10 more not listed"));
        assert_eq!(v["tags"], serde_json::json!(["ceasefire"]));
        let v = rendered(&Message::test("m", at(10, 0)), &NtfyOptions::new("t"));
        assert!(v["title"].as_str().unwrap().starts_with("[TEST]"));
        assert!(
            v["message"]
                .as_str()
                .unwrap()
                .starts_with("Test message from briefwatch")
        );
        assert_eq!(v["tags"][0], "test_tube");
    }
}
