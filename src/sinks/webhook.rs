//! Renders a [`Message`] as the generic webhook body: the versioned JSON of
//! [`payload`](super::payload), described by `config/schema/webhook-v1.json`. Does not sign: the
//! dispatcher signs each attempt with [`sign::headers`](super::sign::headers), since the timestamp
//! changes per attempt.

use super::{JSON, Message, Rendered};

/// Settings of a generic webhook destination that affect rendering: none yet (the URL and
/// secrets belong to the dispatcher).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebhookOptions {}

/// The compact JSON of `msg` with every text field cleaned, as `application/json`.
/// Fields keep the order of the Rust types (`type`, `version`, `id`, … first).
pub fn render(msg: &Message, _opts: &WebhookOptions) -> Rendered {
    let body = serde_json::to_vec(&msg.cleaned())
        .expect("payload types hold only strings, numbers, booleans and times");
    Rendered {
        body,
        content_type: JSON,
        headers: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::sinks::payload::tests::{HOSTILE_TITLE, alert, at, summary};
    use crate::sinks::payload::{Alert, BriefInfo};
    use crate::sinks::sign::{WebhookSecret, headers, verify};
    use crate::sinks::tests::{assert_clean, json};

    const SCHEMA: &str = include_str!("../../config/schema/webhook-v1.json");

    fn validator() -> jsonschema::Validator {
        let schema: Value = serde_json::from_str(SCHEMA).expect("schema is JSON");
        jsonschema::draft202012::options()
            .should_validate_formats(true)
            .build(&schema)
            .expect("schema compiles")
    }

    fn rendered(msg: &Message) -> Value {
        json(&render(msg, &WebhookOptions::default()))
    }

    fn assert_valid(v: &Value) {
        let errors: Vec<String> = validator().iter_errors(v).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{errors:#?}\n{v:#}");
    }

    #[test]
    fn rendered_alert_summary_and_test_message_match_the_schema() {
        assert_valid(&rendered(&Message::Alert(alert("Truce holds"))));
        assert_valid(&rendered(&Message::Summary(summary("Truce holds"))));
        assert_valid(&rendered(&Message::test("msg_t", at(10, 0))));
        let bare = Alert::new("m", "r", at(10, 0), BriefInfo::new(1, "s", "t", ""));
        assert_valid(&rendered(&Message::Alert(bare)));
    }

    #[test]
    fn schema_rejects_a_missing_required_field() {
        let mut v = rendered(&Message::Alert(alert("Truce holds")));
        v["brief"].as_object_mut().unwrap().remove("title");
        assert!(!validator().is_valid(&v));
        let mut v = rendered(&Message::Summary(summary("Truce holds")));
        v.as_object_mut().unwrap().remove("window");
        assert!(!validator().is_valid(&v));
    }

    #[test]
    fn schema_rejects_wrong_type_version_and_field_values() {
        let good = rendered(&Message::Alert(alert("Truce holds")));
        for (pointer, bad) in [
            ("/type", Value::from("brief.other")),
            ("/version", Value::from(2)),
            ("/topics/0/score", Value::from(1.5)),
            ("/topics/0/evidence/0/field", Value::from("body")),
            ("/created_at", Value::from("yesterday")),
        ] {
            let mut v = good.clone();
            *v.pointer_mut(pointer).unwrap() = bad;
            assert!(!validator().is_valid(&v), "{pointer} accepted");
        }
    }

    #[test]
    fn body_opens_with_type_and_version() {
        let r = render(
            &Message::Alert(alert("Truce holds")),
            &WebhookOptions::default(),
        );
        let text = String::from_utf8(r.body).unwrap();
        assert!(
            text.starts_with(r#"{"type":"brief.alert","version":1,"id":"msg_01","#),
            "{text}"
        );
    }

    #[test]
    fn alert_json_has_the_documented_fields() {
        let v = rendered(&Message::Alert(alert("Truce holds")));
        assert_eq!(v["type"], "brief.alert");
        assert_eq!(v["version"], 1);
        assert_eq!(v["rule"], "ceasefire-watch");
        assert_eq!(v["brief"]["id"], 42);
        assert_eq!(
            v["brief"]["url"],
            "https://news.example.org/briefs/42?a=1&b=2"
        );
        assert_eq!(v["story"]["briefs"], 3);
        assert_eq!(v["topics"][0]["evidence"][0]["term"], "ceasefire");
        assert_eq!(v["entities"][0]["kind"], "city");
    }

    #[test]
    fn hostile_title_arrives_cleaned_and_json_escaped() {
        let r = render(
            &Message::Alert(alert(HOSTILE_TITLE)),
            &WebhookOptions::default(),
        );
        let v = json(&r);
        assert_clean(&v);
        assert_eq!(
            v["brief"]["title"],
            "<b>*_ <script>alert(1)</script> @everyone redtxtend"
        );
        let raw = String::from_utf8(r.body).unwrap();
        assert!(!raw.contains('\0') && !raw.contains("\\u0000") && !raw.contains("\\u001b"));
    }

    #[test]
    fn receiver_verifies_the_signed_body_and_parses_it_back() {
        let msg = Message::Alert(alert("Truce holds"));
        let body = render(&msg, &WebhookOptions::default()).body;
        let secret = WebhookSecret::from_bytes(vec![42; 32]).unwrap();
        let h = headers(
            std::slice::from_ref(&secret),
            msg.id(),
            1_700_000_000,
            &body,
        )
        .unwrap();
        assert_eq!(
            verify(&secret, &h[0].1, &h[1].1, &h[2].1, &body, 1_700_000_030),
            Ok(())
        );
        let back: Message = serde_json::from_slice(&body).unwrap();
        assert_eq!(back, msg);
    }
}
