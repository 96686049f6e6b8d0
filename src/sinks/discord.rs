//! Renders a [`Message`] for a Discord webhook: one embed (title, url, description, fields,
//! timestamp, footer), `allowed_mentions: {"parse": []}` so nothing pings, and feed text through
//! [`escape::discord_markdown`]. Lengths are counted in UTF-16 units, the strictest reading of
//! Discord's limits.

use serde_json::{Value, json};

use super::escape::{self, Measure, discord_markdown, fit};
use super::payload::{Alert, Summary};
use super::wording;
use super::{Message, Rendered};

/// Discord's limit on an embed title.
pub const TITLE_MAX: usize = 256;
/// Discord's limit on an embed description.
pub const DESCRIPTION_MAX: usize = 4096;
/// Discord's limit on a field name.
pub const FIELD_NAME_MAX: usize = 256;
/// Discord's limit on a field value.
pub const FIELD_VALUE_MAX: usize = 1024;
/// Discord's limit on the footer text.
pub const FOOTER_MAX: usize = 2048;
/// Discord's limit on all of an embed's text together.
pub const EMBED_TOTAL_MAX: usize = 6000;
/// Discord's limit on `content`.
pub const CONTENT_MAX: usize = 2000;

/// Settings of a Discord destination that affect rendering: none yet (the webhook fixes channel,
/// name and avatar).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiscordOptions {}

/// The webhook JSON for `msg`.
pub fn render(msg: &Message, _opts: &DiscordOptions) -> Rendered {
    let embed = match msg {
        Message::Alert(a) => alert(a),
        Message::Summary(s) => summary(s),
    };
    let content = msg.is_test().then(|| {
        fit(
            &format!("\u{1F9EA} {}", wording::TEST_BANNER),
            CONTENT_MAX,
            Measure::Utf16,
            discord_markdown,
        )
    });
    Rendered::json(&json!({
        "content": content,
        "embeds": [embed],
        "allowed_mentions": {"parse": []},
    }))
}

/// An embed under construction: raw parts, fitted to Discord's limits by [`Embed::build`].
struct Embed {
    title: String,
    url: Option<String>,
    /// Already escaped (it may hold masked links); cut only between lines.
    description: Vec<String>,
    fields: Vec<(&'static str, String)>,
    timestamp: String,
    footer: String,
}

impl Embed {
    fn build(self) -> Value {
        let u16 = Measure::Utf16;
        let title = fit(&self.title, TITLE_MAX, u16, discord_markdown);
        let footer = fit(&self.footer, FOOTER_MAX, u16, escape::one_line);
        let fields: Vec<(String, String)> = self
            .fields
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .take(25)
            .map(|(n, v)| {
                (
                    fit(n, FIELD_NAME_MAX, u16, discord_markdown),
                    fit(v, FIELD_VALUE_MAX, u16, discord_markdown),
                )
            })
            .collect();
        let used = u16.len(&title)
            + u16.len(&footer)
            + fields
                .iter()
                .map(|(n, v)| u16.len(n) + u16.len(v))
                .sum::<usize>();
        let room = DESCRIPTION_MAX.min(EMBED_TOTAL_MAX.saturating_sub(used));
        let description = join_lines(&self.description, room);
        let mut embed = json!({
            "title": title,
            "description": description,
            "fields": fields
                .iter()
                .map(|(n, v)| json!({"name": n, "value": v, "inline": v.len() < 40}))
                .collect::<Vec<_>>(),
            "timestamp": self.timestamp,
            "footer": {"text": footer},
        });
        if let Some(url) = self.url.as_deref().and_then(escape::http_url) {
            embed["url"] = Value::from(url);
        }
        if description.is_empty() {
            embed
                .as_object_mut()
                .expect("embed is an object")
                .remove("description");
        }
        embed
    }
}

/// Joins escaped lines with newlines, keeping only whole lines that fit in `room` UTF-16 units;
/// a single first line that is too long is cut (it holds no link then, see the callers).
fn join_lines(lines: &[String], room: usize) -> String {
    let mut out = String::new();
    for line in lines {
        let extra = usize::from(!out.is_empty());
        if Measure::Utf16.len(&out) + extra + Measure::Utf16.len(line) > room {
            if out.is_empty() {
                return escape::truncate(line, room, Measure::Utf16);
            }
            break;
        }
        if extra == 1 {
            out.push('\n');
        }
        out.push_str(line);
    }
    out
}

fn alert(a: &Alert) -> Value {
    let mut fields = vec![
        ("Source", wording::byline(a)),
        ("Topics", wording::topics(&a.topics)),
    ];
    let evidence: Vec<String> = wording::evidence(&a.topics)
        .iter()
        .map(|(t, e)| format!("• {}", wording::evidence_line(t, e)))
        .collect();
    fields.push(("Evidence", evidence.join("\n")));
    fields.push(("Entities", wording::entities(&a.entities)));
    fields.push((
        "Story",
        wording::story(a.story.as_ref()).unwrap_or_default(),
    ));
    Embed {
        title: wording::alert_title(a),
        url: a.brief.url.clone(),
        description: vec![fit(
            &a.brief.summary,
            DESCRIPTION_MAX,
            Measure::Utf16,
            discord_markdown,
        )],
        fields,
        timestamp: wording::rfc3339(a.brief.published.unwrap_or(a.created_at)),
        footer: format!("briefwatch · rule {}", a.rule),
    }
    .build()
}

fn summary(s: &Summary) -> Value {
    let mut lines: Vec<String> = s
        .briefs
        .iter()
        .map(|b| {
            let title = fit(&b.title, 300, Measure::Utf16, discord_markdown);
            let linked = match b.url.as_deref().and_then(escape::http_url) {
                Some(u) => format!("[{title}]({})", escape::discord_url(&u)),
                None => title,
            };
            let mut line = format!("• {linked} — {}", discord_markdown(&b.source));
            if !b.topics.is_empty() {
                line.push_str(&format!(" ({})", discord_markdown(&b.topics.join(", "))));
            }
            line
        })
        .collect();
    if let Some(more) = wording::unlisted(s) {
        lines.push(format!("…{}", discord_markdown(&more)));
    }
    Embed {
        title: wording::summary_headline(s),
        url: None,
        description: lines,
        fields: vec![(
            "Window",
            format!(
                "{} – {}",
                wording::time(s.window.start),
                wording::time(s.window.end)
            ),
        )],
        timestamp: wording::rfc3339(s.window.end),
        footer: format!("briefwatch · rule {}", s.rule),
    }
    .build()
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::sinks::payload::tests::{HOSTILE_TITLE, alert, at, summary};
    use crate::sinks::tests::{assert_clean, json, strings};

    fn rendered(msg: &Message) -> Value {
        json(&render(msg, &DiscordOptions::default()))
    }

    #[test]
    fn alert_embed_has_the_documented_shape() {
        let v = rendered(&Message::Alert(alert("Truce holds")));
        assert_eq!(v["content"], Value::Null);
        assert_eq!(v["allowed_mentions"], serde_json::json!({"parse": []}));
        let e = &v["embeds"][0];
        assert_eq!(e["title"], "Truce holds");
        assert_eq!(e["url"], "https://news.example.org/briefs/42?a=1&b=2");
        assert!(
            e["description"]
                .as_str()
                .unwrap()
                .starts_with("Talks resumed")
        );
        assert_eq!(e["timestamp"], "2026-11-20T09:30:00Z");
        assert_eq!(e["footer"]["text"], "briefwatch · rule ceasefire-watch");
        let names: Vec<&str> = e["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["Source", "Topics", "Evidence", "Entities", "Story"]);
        assert_eq!(e["fields"][1]["value"], "ceasefire 0.87, diplomacy 0.50");
    }

    #[test]
    fn hostile_title_is_escaped_and_pings_nobody() {
        let v = rendered(&Message::Alert(alert(HOSTILE_TITLE)));
        assert_clean(&v);
        let title = v["embeds"][0]["title"].as_str().unwrap();
        assert_eq!(
            title,
            "\\<b>\\*\\_ \\<script>alert(1)\\</script> @\u{200B}everyone redtxtend"
        );
        for s in strings(&v) {
            assert!(!s.contains("@everyone"), "{s}");
            // Every markup character arrives behind a backslash.
            let chars: Vec<char> = s.chars().collect();
            for (i, c) in chars.iter().enumerate() {
                if matches!(c, '<' | '*' | '_') {
                    assert!(i > 0 && chars[i - 1] == '\\', "unescaped {c:?} in {s}");
                }
            }
        }
    }

    #[test]
    fn limits_hold_for_huge_text() {
        let mut a = alert(&"*".repeat(1000));
        a.brief.summary = "😀".repeat(5000);
        a.entities = (0..500)
            .map(|i| crate::sinks::payload::Entity::new(format!("e{i}"), "x"))
            .collect();
        let v = rendered(&Message::Alert(a));
        let e = &v["embeds"][0];
        let len = |p: &str| Measure::Utf16.len(e.pointer(p).unwrap().as_str().unwrap());
        assert!(len("/title") <= TITLE_MAX);
        assert!(len("/description") <= DESCRIPTION_MAX);
        let total: usize = strings(e)
            .iter()
            .map(|s| Measure::Utf16.len(s))
            .sum::<usize>()
            - len("/timestamp")
            - len("/url");
        assert!(total <= EMBED_TOTAL_MAX, "{total}");
        for f in e["fields"].as_array().unwrap() {
            assert!(Measure::Utf16.len(f["value"].as_str().unwrap()) <= FIELD_VALUE_MAX);
        }
    }

    #[test]
    fn summary_lists_masked_links_with_escaped_titles() {
        let v = rendered(&Message::Summary(summary(HOSTILE_TITLE)));
        assert_clean(&v);
        let e = &v["embeds"][0];
        assert_eq!(
            e["title"],
            "12 more briefs matched rule ceasefire-watch in the last hour"
        );
        let d = e["description"].as_str().unwrap();
        assert!(d.starts_with("• [\\<b>\\*\\_ "), "{d}");
        assert!(
            d.contains("](https://wire.example.org/43) — wire (ceasefire)"),
            "{d}"
        );
        assert!(d.ends_with("…10 more not listed"));
        assert_eq!(e["fields"][0]["name"], "Window");
    }

    #[test]
    fn test_message_says_it_is_a_test() {
        let v = rendered(&Message::test("msg_t", at(10, 0)));
        assert!(
            v["content"]
                .as_str()
                .unwrap()
                .contains("Test message from briefwatch")
        );
        assert!(
            v["embeds"][0]["title"]
                .as_str()
                .unwrap()
                .starts_with("\\[TEST\\]")
        );
    }
}
