//! Digest emails' words: turns a [`DigestContent`] into a subject line, a plain-text part and an
//! HTML part. Every feed-supplied field is cleaned (controls, ANSI and bidi removed) in all three
//! and HTML-escaped in the HTML part; only `http`/`https` URLs become links. Queries no store,
//! reads no config and sends nothing.
//!
//! The parts come from two templates embedded in the binary, `templates/digest.html.j2` (HTML
//! auto-escaping on) and `templates/digest.txt.j2`, filled from a view built here: dates are
//! formatted in [`DigestContent::zone`] and the sentences both parts share are written once.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use minijinja::value::{Serde, Value};
use minijinja::{AutoEscape, Environment, Error, Output, State, UndefinedBehavior};

use crate::sinks::escape::{Measure, one_line, truncate};

/// The text part is wrapped at this many characters (longer words, such as URLs, are kept whole).
pub const TEXT_WIDTH: usize = 72;

/// Subjects are cut to this many characters.
pub const SUBJECT_MAX_CHARS: usize = 200;

const HTML_TEMPLATE: &str = "digest.html.j2";
const TEXT_TEMPLATE: &str = "digest.txt.j2";

/// One digest, as the caller gathered it: plain owned data, no store or model types. Text fields
/// may hold anything a feed sent; [`render`] cleans and escapes them.
#[derive(Debug, Clone, PartialEq)]
pub struct DigestContent {
    /// The digest's name from the config (for example `morning`).
    pub name: String,
    /// The zone dates are shown in: the schedule's ([`super::Schedule::zone`]).
    pub zone: Tz,
    /// The start of the period covered (inclusive).
    pub period_start: DateTime<Utc>,
    /// The end of the period covered (exclusive): the fire time.
    pub period_end: DateTime<Utc>,
    /// When the digest was put together.
    pub generated_at: DateTime<Utc>,
    /// The listed stories, one group per topic, in the order to show them.
    pub groups: Vec<TopicGroup>,
    /// How many distinct stories matched in the period, listed or not.
    pub total_stories: usize,
    /// How many of those are not listed because the digest holds at most `max_stories`.
    pub omitted_stories: usize,
    /// Display names of topics (id, label) for the topics each story lists; a group's own label
    /// is used for its topic.
    pub topic_labels: Vec<(String, String)>,
    /// The link that ends the subscription, shown in the footer when given (linked when `http` or
    /// `https`).
    pub unsubscribe_url: Option<String>,
}

/// The stories listed under one topic.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicGroup {
    /// The topic's id, as in the topic pack.
    pub topic: String,
    /// Its display name (for example `Assassination plot`).
    pub label: String,
    /// Its stories, in the order to show them.
    pub stories: Vec<StoryEntry>,
}

/// One story (a cluster of near-duplicate briefs) as the digest lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoryEntry {
    /// The story's id in the store.
    pub story_id: i64,
    /// The title of its representative brief.
    pub title: String,
    /// That brief's link.
    pub url: Option<String>,
    /// The name of that brief's source.
    pub source: String,
    /// When that brief was published.
    pub published: Option<DateTime<Utc>>,
    /// A plain-text excerpt (cut here to
    /// [`SUMMARY_MAX_CHARS`](crate::sinks::payload::SUMMARY_MAX_CHARS) characters if longer).
    pub summary: String,
    /// The other sources that carried the story, each with its brief's link.
    pub other_sources: Vec<(String, Option<String>)>,
    /// The topics the story was tagged with (topic id, score 0 to 1).
    pub topics: Vec<(String, f64)>,
    /// Why it matched: (term, the words around it).
    pub evidence: Vec<(String, String)>,
}

/// A rendered digest email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The subject line: one line, at most [`SUBJECT_MAX_CHARS`] characters.
    pub subject: String,
    /// The `text/plain` part.
    pub text: String,
    /// The `text/html` part.
    pub html: String,
}

/// Why a digest could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// The configured subject template does not parse, uses an unknown variable or filter, or
    /// renders an empty subject.
    #[error(
        "subject template {template:?}: {reason} (variables: name, count, date, period_start, period_end)"
    )]
    SubjectTemplate {
        /// The template as configured.
        template: String,
        /// What went wrong.
        reason: String,
    },
    /// One of the built-in body templates failed: a bug in briefwatch.
    #[error("digest template {template}: {reason}")]
    BodyTemplate {
        /// The template's file name.
        template: &'static str,
        /// What went wrong.
        reason: String,
    },
}

/// Renders `content` as an email. `subject_template` is a MiniJinja template for the subject
/// (variables: `name`, `count` = total stories, `date` = `YYYY-MM-DD` of the period's end, and
/// `period_start`/`period_end` as `YYYY-MM-DD HH:MM`, all in the content's zone); without one the
/// subject reads like `briefwatch · morning: 12 stories (3 Dec)`.
pub fn render(
    content: &DigestContent,
    subject_template: Option<&str>,
) -> Result<Rendered, RenderError> {
    let subject = match subject_template {
        Some(template) => render_subject(template, content)?,
        None => default_subject(content),
    };
    let view = Value::from(Serde(view::View::new(content, &subject)));
    let body = |template: &'static str| {
        ENV.get_template(template)
            .and_then(|t| t.render(&view))
            .map_err(|e| RenderError::BodyTemplate {
                template,
                reason: format!("{e:#}"),
            })
    };
    Ok(Rendered {
        text: body(TEXT_TEMPLATE)?,
        html: body(HTML_TEMPLATE)?,
        subject,
    })
}

/// Checks a subject template the way [`render`] will use it, against a sample digest: for
/// validating configuration when it is loaded.
pub fn check_subject_template(template: &str) -> Result<(), RenderError> {
    let end = DateTime::<Utc>::UNIX_EPOCH;
    let sample = DigestContent {
        name: "sample".to_owned(),
        zone: Tz::UTC,
        period_start: end,
        period_end: end,
        generated_at: end,
        groups: Vec::new(),
        total_stories: 1,
        omitted_stories: 0,
        topic_labels: Vec::new(),
        unsubscribe_url: None,
    };
    render_subject(template, &sample).map(drop)
}

/// The environment holding the two body templates; HTML escaping follows the template's name
/// (`.html.j2` escapes), and an unknown variable is an error rather than empty text.
static ENV: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
            .expect("the default delimiters are valid"),
    );
    env.set_formatter(formatter);
    env.add_filter("wrap", wrap_filter);
    for (name, source) in [
        (HTML_TEMPLATE, include_str!("templates/digest.html.j2")),
        (TEXT_TEMPLATE, include_str!("templates/digest.txt.j2")),
    ] {
        env.add_template(name, source)
            .unwrap_or_else(|e| panic!("built-in template {name} does not parse: {e:#}"));
    }
    env
});

/// MiniJinja's formatter, except that strings in HTML templates are escaped with [`html`], which
/// leaves `/` alone (MiniJinja writes it as `&#x2f;`, which makes every link in the source hard
/// to read and is not needed in text or in quoted attributes).
fn formatter(out: &mut Output, state: &mut State, value: &Value) -> Result<(), Error> {
    match (state.auto_escape(), value.as_str()) {
        (AutoEscape::Html, Some(s)) if !value.is_safe() => {
            out.write_str(&html(s)).map_err(Error::from)
        }
        _ => minijinja::escape_formatter(out, state, value),
    }
}

/// `s` with `&`, `<`, `>`, `"` and `'` written as entities: safe in element text and in quoted
/// attribute values.
fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn render_subject(template: &str, content: &DigestContent) -> Result<String, RenderError> {
    let err = |reason: String| RenderError::SubjectTemplate {
        template: template.to_owned(),
        reason,
    };
    let stamp = |t: DateTime<Utc>, format: &str| local(t, content.zone).format(format).to_string();
    let ctx = minijinja::context! {
        name => one_line(&content.name),
        count => content.total_stories,
        date => stamp(content.period_end, "%Y-%m-%d"),
        period_start => stamp(content.period_start, "%Y-%m-%d %H:%M"),
        period_end => stamp(content.period_end, "%Y-%m-%d %H:%M"),
    };
    // Named without an extension, so nothing is HTML-escaped: a subject is plain text.
    let raw = ENV
        .render_named_str("subject", template, ctx)
        .map_err(|e| err(format!("{e:#}")))?;
    let subject = truncate(&one_line(&raw), SUBJECT_MAX_CHARS, Measure::Chars);
    if subject.is_empty() {
        return Err(err("renders an empty subject".to_owned()));
    }
    Ok(subject)
}

/// `briefwatch · NAME: N stories (D Mon)`, or `… nothing new (D Mon)`.
fn default_subject(content: &DigestContent) -> String {
    let day = local(content.period_end, content.zone).format("%-d %b");
    let what = match content.total_stories {
        0 => "nothing new".to_owned(),
        n => count(n, "story", "stories"),
    };
    let subject = format!("briefwatch · {}: {what} ({day})", one_line(&content.name));
    truncate(&subject, SUBJECT_MAX_CHARS, Measure::Chars)
}

fn local(t: DateTime<Utc>, zone: Tz) -> DateTime<Tz> {
    t.with_timezone(&zone)
}

/// `3 Dec 2026 07:30 GMT`.
fn human(t: DateTime<Utc>, zone: Tz) -> String {
    local(t, zone).format("%-d %b %Y %H:%M %Z").to_string()
}

/// `1 story`, `2 stories`.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The `wrap` filter of the text template: `text | wrap(first, rest)` wraps `text` at
/// [`TEXT_WIDTH`], starting the first line with `first` and every other line with `rest`.
fn wrap_filter(text: String, first: Option<String>, rest: Option<String>) -> String {
    wrap(
        &text,
        first.as_deref().unwrap_or(""),
        rest.as_deref().unwrap_or(""),
        TEXT_WIDTH,
    )
}

/// Greedy word wrap: words are never split, so a word longer than `width` (a URL) gets a line of
/// its own. Whitespace runs, newlines included, count as one space.
fn wrap(text: &str, first: &str, rest: &str, width: usize) -> String {
    let mut out = String::from(first);
    let mut line_len = first.chars().count();
    let mut words_on_line = 0;
    for word in text.split_whitespace() {
        let len = word.chars().count();
        if words_on_line > 0 && line_len + 1 + len > width {
            out.push('\n');
            out.push_str(rest);
            line_len = rest.chars().count();
            words_on_line = 0;
        }
        if words_on_line > 0 {
            out.push(' ');
            line_len += 1;
        }
        out.push_str(word);
        line_len += len;
        words_on_line += 1;
    }
    out.trim_end().to_owned()
}

mod view;

#[cfg(test)]
mod tests;
