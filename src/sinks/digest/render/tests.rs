//! Digest rendering: structure, escaping of hostile feed text, links, the empty digest, the text
//! part and subjects.

use chrono::TimeZone;

use super::*;

/// An instant in December 2026 (GMT in London, so UTC and local times read the same).
fn at(day: u32, h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, day, h, m, 0).unwrap()
}

/// A fully populated story with a title and a link.
fn story(id: i64, title: &str, url: &str) -> StoryEntry {
    StoryEntry {
        story_id: id,
        title: title.to_owned(),
        url: Some(url.to_owned()),
        source: "un-news".to_owned(),
        published: Some(at(3, 6, 15)),
        summary: "Officials said on Tuesday that the suspects had been watched for months."
            .to_owned(),
        other_sources: vec![
            (
                "wire".to_owned(),
                Some(format!("https://wire.example.org/{id}")),
            ),
            ("radio".to_owned(), None),
        ],
        topics: vec![
            ("plot".to_owned(), 0.8666),
            ("diplomacy".to_owned(), 0.5),
            ("sanctions".to_owned(), 0.4),
        ],
        evidence: vec![(
            "plot".to_owned(),
            "an alleged plot against the minister".to_owned(),
        )],
    }
}

fn group(topic: &str, label: &str, stories: Vec<StoryEntry>) -> TopicGroup {
    TopicGroup {
        topic: topic.to_owned(),
        label: label.to_owned(),
        stories,
    }
}

/// The "morning" digest of 3 December: two topics, three stories.
fn content() -> DigestContent {
    DigestContent {
        name: "morning".to_owned(),
        zone: Tz::Europe__London,
        period_start: at(2, 7, 30),
        period_end: at(3, 7, 30),
        generated_at: at(3, 7, 30),
        groups: vec![
            group(
                "plot",
                "Assassination plot",
                vec![
                    story(1, "Arrests over plot", "https://news.example.org/1"),
                    story(2, "Minister thanks police", "https://news.example.org/2"),
                ],
            ),
            group(
                "diplomacy",
                "Diplomacy",
                vec![story(
                    3,
                    "Envoys meet in Geneva",
                    "https://news.example.org/3",
                )],
            ),
        ],
        total_stories: 3,
        omitted_stories: 0,
        topic_labels: vec![("sanctions".to_owned(), "Sanctions".to_owned())],
        unsubscribe_url: Some("https://briefwatch.example/unsubscribe?t=abc&d=morning".to_owned()),
    }
}

fn empty_content() -> DigestContent {
    DigestContent {
        groups: Vec::new(),
        total_stories: 0,
        ..content()
    }
}

fn rendered(c: &DigestContent) -> Rendered {
    render(c, None).expect("renders")
}

/// Text hostile in every way a feed can be: markup, a script, ANSI, bidi override, NUL.
const HOSTILE: &str = "<b>x</b> <script>alert(1)</script> \x1b[31mred\u{202E}txt\0end & \"q\"";

fn hostile_content() -> DigestContent {
    let mut s = story(9, HOSTILE, "https://news.example.org/9");
    s.source = HOSTILE.to_owned();
    s.summary = HOSTILE.to_owned();
    s.other_sources = vec![(
        HOSTILE.to_owned(),
        Some("https://wire.example.org/9".to_owned()),
    )];
    s.topics = vec![(HOSTILE.to_owned(), 0.9)];
    s.evidence = vec![(HOSTILE.to_owned(), HOSTILE.to_owned())];
    DigestContent {
        name: HOSTILE.to_owned(),
        groups: vec![group(HOSTILE, HOSTILE, vec![s])],
        total_stories: 1,
        ..content()
    }
}

#[test]
fn html_groups_stories_under_topic_headings_in_order() {
    let html = rendered(&content()).html;
    let plot = html.find(">Assassination plot</h2>").expect("plot heading");
    let diplomacy = html.find(">Diplomacy</h2>").expect("diplomacy heading");
    assert!(
        html.contains("Sanctions 0.40"),
        "a listed topic without a group of its own is shown by its label: {html}"
    );
    assert!(plot < diplomacy);
    let arrests = html.find("Arrests over plot").unwrap();
    let minister = html.find("Minister thanks police").unwrap();
    let envoys = html.find("Envoys meet in Geneva").unwrap();
    assert!(plot < arrests && arrests < minister && minister < diplomacy && diplomacy < envoys);
    assert_eq!(html.matches("<h2").count(), 2);
    assert_eq!(html.matches("<h3").count(), 3);
    assert!(html.contains("3 stories first seen since 2 Dec 2026 07:30 GMT."));
}

#[test]
fn html_story_has_linked_title_byline_summary_other_sources_topics_and_evidence() {
    let html = rendered(&content()).html;
    assert!(html.contains(r#"<a href="https://news.example.org/1" style="color:#1d4ed8;text-decoration:none;">Arrests over plot</a>"#));
    assert!(html.contains("un-news · 3 Dec 2026 06:15 GMT"));
    assert!(html.contains("the suspects had been watched for months."));
    assert!(html.contains(
        r#"<a href="https://wire.example.org/1" style="color:#1d4ed8;">wire</a>, radio"#
    ));
    // Topic ids that head a group show as that group's label.
    assert!(html.contains("Topics: Assassination plot 0.87, Diplomacy 0.50"));
    assert!(html.contains("<strong>plot</strong>: an alleged plot against the minister"));
}

#[test]
fn html_is_one_inline_styled_column_without_scripts_or_images() {
    let html = rendered(&content()).html;
    assert!(html.starts_with("<!DOCTYPE html>"), "{}", &html[..80]);
    assert!(html.contains("max-width:640px"));
    assert!(html.contains("overflow-wrap:break-word"));
    assert!(
        html.contains(r#"<meta name="viewport" content="width=device-width, initial-scale=1">"#)
    );
    for banned in [
        "<script", "<img", "<style", "<link", "<table", "{{", "{%", "{#",
    ] {
        assert!(!html.contains(banned), "{banned}");
    }
}

#[test]
fn html_footer_has_the_period_and_the_unsubscribe_link() {
    let html = rendered(&content()).html;
    assert!(html.contains(
        "This digest covers stories first seen from 2 Dec 2026 07:30 GMT to 3 Dec 2026 07:30 GMT."
    ));
    assert!(
        html.contains(r#"<a href="https://briefwatch.example/unsubscribe?t=abc&amp;d=morning""#)
    );
    let without = DigestContent {
        topic_labels: Vec::new(),
        unsubscribe_url: None,
        ..content()
    };
    assert!(!rendered(&without).html.contains("Unsubscribe"));
}

#[test]
fn hostile_feed_text_is_escaped_in_html_and_cleaned_everywhere() {
    let r = rendered(&hostile_content());
    assert!(!r.html.contains("<script"), "{}", r.html);
    assert!(!r.html.contains("<b>x"));
    assert!(r.html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    // In the title, source, summary, other source, topic, evidence term and snippet, group label
    // and name.
    assert!(r.html.matches("&lt;script&gt;").count() >= 9, "{}", r.html);
    for part in [&r.subject, &r.text, &r.html] {
        for bad in ['\x1b', '\u{202E}', '\0'] {
            assert!(!part.contains(bad), "{bad:?} in {part}");
        }
        assert!(part.contains("redtxtend"));
    }
    // The text part shows the text as it is, without entities.
    assert!(r.text.contains("<script>alert(1)</script>"));
    assert!(!r.text.contains("&lt;") && !r.text.contains("&amp;") && !r.text.contains("&quot;"));
}

#[test]
fn non_http_urls_are_shown_as_text_never_linked() {
    let mut c = content();
    let s = &mut c.groups[0].stories[0];
    s.url = Some("javascript:alert(document.cookie)".to_owned());
    s.other_sources = vec![
        (
            "evil".to_owned(),
            Some("data:text/html,<script>alert(1)</script>".to_owned()),
        ),
        (
            "ftp".to_owned(),
            Some("ftp://files.example.org/x".to_owned()),
        ),
    ];
    c.unsubscribe_url = Some("javascript:unsubscribe()".to_owned());
    let r = rendered(&c);
    for scheme in ["javascript:", "data:", "ftp:"] {
        assert!(
            !r.html.contains(&format!("href=\"{scheme}")),
            "{scheme} linked"
        );
    }
    assert!(r.html.contains("\nArrests over plot</h3>"), "{}", r.html);
    assert!(
        r.html
            .contains("Link (not opened from email): javascript:alert(document.cookie)")
    );
    assert!(
        r.html
            .contains("evil (data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;)")
    );
    assert!(r.html.contains("Unsubscribe: javascript:unsubscribe()"));
    assert_eq!(
        r.html.matches("href=").count(),
        4,
        "only the http(s) links remain"
    );
    assert!(r.text.contains("  javascript:alert(document.cookie)"));
}

#[test]
fn empty_digest_says_nothing_new_since_the_period_start() {
    let r = rendered(&empty_content());
    let line = "Nothing new on your topics since 2 Dec 2026 07:30 GMT.";
    assert!(r.html.contains(line));
    assert!(r.text.contains(line));
    assert!(!r.html.contains("<h2"));
    assert!(r.html.contains("Unsubscribe"));
    assert_eq!(r.subject, "briefwatch · morning: nothing new (3 Dec)");
}

#[test]
fn omitted_stories_are_counted() {
    let c = DigestContent {
        total_stories: 5,
        omitted_stories: 2,
        ..content()
    };
    let r = rendered(&c);
    let line = "2 more stories matched but are not listed here.";
    assert!(r.html.contains(line) && r.text.contains(line));
    assert!(r.html.contains("5 stories first seen since"));
    let one = DigestContent {
        omitted_stories: 1,
        ..c
    };
    assert!(
        rendered(&one)
            .text
            .contains("1 more story matched but is not listed here.")
    );
}

#[test]
fn text_part_has_the_same_content_and_no_markup() {
    let mut c = content();
    c.groups[0].stories[0].title = "Talks & truce: \"progress\" <at last>".to_owned();
    let text = rendered(&c).text;
    let expected_story = "\
* Talks & truce: \"progress\" <at last>
  un-news · 3 Dec 2026 06:15 GMT
  https://news.example.org/1
  Officials said on Tuesday that the suspects had been watched for
  months.
  Also in: wire (https://wire.example.org/1), radio
  Topics: Assassination plot 0.87, Diplomacy 0.50, Sanctions 0.40
  - plot: an alleged plot against the minister
";
    assert!(text.contains(expected_story), "{text}");
    assert!(
        text.starts_with("morning\n3 stories first seen since 2 Dec 2026 07:30 GMT.\n"),
        "{text}"
    );
    assert!(
        text.contains("\n\nAssassination plot\n==================\n\n* Talks"),
        "{text}"
    );
    assert!(
        text.contains("\n\nDiplomacy\n=========\n\n* Envoys meet in Geneva\n"),
        "{text}"
    );
    assert!(text.contains("\n--\nThis digest covers stories"), "{text}");
    assert!(
        text.ends_with("Unsubscribe: https://briefwatch.example/unsubscribe?t=abc&d=morning\n"),
        "{text}"
    );
    assert!(!text.contains("\n\n\n\n"), "{text}");
    let without_title = text.replace("<at last>", "");
    assert!(
        !without_title.contains('<') && !without_title.contains('>'),
        "{text}"
    );
    assert!(!text.contains("&amp;") && !text.contains("&quot;"));
}

#[test]
fn text_part_wraps_at_72_columns_but_keeps_urls_whole() {
    let mut c = content();
    let s = &mut c.groups[0].stories[0];
    s.summary = "word ".repeat(60);
    s.title = "A rather long title that goes on and on about the plot and the arrests".repeat(2);
    s.other_sources[0].1 = Some(format!(
        "https://wire.example.org/{}",
        "long-path/".repeat(10)
    ));
    let text = rendered(&c).text;
    for line in text.lines() {
        let words = line.split_whitespace().count();
        assert!(
            line.chars().count() <= TEXT_WIDTH || words == 1,
            "too long: {line:?}"
        );
    }
    assert!(text.contains(&format!(
        "\n    (https://wire.example.org/{}),",
        "long-path/".repeat(10)
    )));
}

#[test]
fn html_escape_covers_text_and_quoted_attributes() {
    assert_eq!(
        html(r#"<a href="x" title='y'>&</a> /"#),
        "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt; /"
    );
}

#[test]
fn wrap_is_greedy_with_first_and_rest_prefixes() {
    assert_eq!(wrap("aa bb cc dd", "* ", "  ", 8), "* aa bb\n  cc dd");
    assert_eq!(wrap("a verylongword b", "", "", 5), "a\nverylongword\nb");
    assert_eq!(wrap("  spaced\n\nout  ", "> ", "> ", 72), "> spaced out");
    assert_eq!(wrap("", "x ", "", 72), "x");
}

#[test]
fn default_subject_counts_stories_and_dates_the_period_end_locally() {
    assert_eq!(
        rendered(&content()).subject,
        "briefwatch · morning: 3 stories (3 Dec)"
    );
    let one = DigestContent {
        total_stories: 1,
        ..content()
    };
    assert_eq!(
        rendered(&one).subject,
        "briefwatch · morning: 1 story (3 Dec)"
    );
    // 22:00 UTC on 2 December is already 3 December in Tokyo.
    let tokyo = DigestContent {
        zone: Tz::Asia__Tokyo,
        period_end: at(2, 22, 0),
        ..content()
    };
    assert_eq!(
        rendered(&tokyo).subject,
        "briefwatch · morning: 3 stories (3 Dec)"
    );
}

#[test]
fn subject_template_gets_name_count_date_and_period() {
    let template = "{{ name }}: {{ count }} on {{ date }} ({{ period_start }} to {{ period_end }})";
    let r = render(&content(), Some(template)).unwrap();
    assert_eq!(
        r.subject,
        "morning: 3 on 2026-12-03 (2026-12-02 07:30 to 2026-12-03 07:30)"
    );
    // Plain text: nothing is escaped, and newlines become spaces.
    let r = render(&content(), Some("<{{ name }}> &\n{{ count }}")).unwrap();
    assert_eq!(r.subject, "<morning> & 3");
    assert!(check_subject_template(template).is_ok());
}

#[test]
fn bad_subject_template_is_an_error_naming_it() {
    for (template, needle) in [
        ("{{ name ", "syntax error"),
        ("{{ nmae }} digest", "undefined"),
        ("{{ name | nosuchfilter }}", "nosuchfilter"),
        ("{{ '' }}  ", "renders an empty subject"),
    ] {
        let err = render(&content(), Some(template)).unwrap_err();
        assert!(
            matches!(err, RenderError::SubjectTemplate { .. }),
            "{template}"
        );
        let msg = err.to_string();
        assert!(
            msg.contains(&format!("subject template {template:?}")),
            "{msg}"
        );
        assert!(msg.to_lowercase().contains(needle), "{template}: {msg}");
        assert!(matches!(
            check_subject_template(template),
            Err(RenderError::SubjectTemplate { .. })
        ));
    }
}
