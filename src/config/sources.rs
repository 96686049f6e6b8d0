//! `[[sources]]`: the feeds and pages declared in the file, validated into
//! [`SourceSpec`](crate::model::SourceSpec)s (names, URLs, intervals, HTML selectors). Owns the
//! source-name and source-URL rules the CLI shares; does not touch the store.

use std::collections::HashSet;

use url::Url;

use super::fetch::FetchConfig;
use super::raw::{RawHtml, RawSource};
use super::{Problem, ValueError, parse_interval};
use crate::model::{
    AdaptiveBounds, DEFAULT_MAX_ARTICLES, DEFAULT_MAX_PAGES, HtmlSettings, SourceKind,
    SourceOrigin, SourceSettings, SourceSpec,
};

/// Checks every `[[sources]]` entry; an entry with any problem is left out of the result.
pub(super) fn validate_sources(
    raw: Vec<RawSource>,
    fetch: &FetchConfig,
    problems: &mut Vec<Problem>,
) -> Vec<SourceSpec> {
    let mut out: Vec<SourceSpec> = Vec::new();
    let mut seen = HashSet::new();
    for (i, s) in raw.into_iter().enumerate() {
        let key = |field: &str| format!("sources[{i}].{field}");
        let before = problems.len();
        if let Err(e) = check_source_name(&s.name) {
            problems.push(Problem {
                key: key("name"),
                reason: e.to_string(),
            });
        } else if !seen.insert(s.name.clone()) {
            problems.push(Problem {
                key: key("name"),
                reason: format!("duplicate source name {:?}", s.name),
            });
        }
        let url = parse_source_url(&s.url).map_err(|e| {
            problems.push(Problem {
                key: key("url"),
                reason: e.to_string(),
            })
        });
        let kind = match s.kind.as_deref() {
            None | Some("feed") => SourceKind::Feed,
            Some("html") => SourceKind::Html,
            Some(other) => {
                problems.push(Problem {
                    key: key("kind"),
                    reason: format!("unknown kind {other:?}; expected \"feed\" or \"html\""),
                });
                SourceKind::Feed
            }
        };
        let interval = match s.interval.as_deref() {
            None => fetch.default_interval,
            Some(v) => parse_interval(v).unwrap_or_else(|e| {
                problems.push(Problem {
                    key: key("interval"),
                    reason: e.to_string(),
                });
                fetch.default_interval
            }),
        };
        let mut settings = validate_source_settings(
            kind,
            s.html,
            s.fetch_full_article,
            s.max_articles,
            &key,
            problems,
        );
        settings.adaptive = validate_adaptive(
            s.adaptive,
            s.min_interval.as_deref(),
            s.max_interval.as_deref(),
            &key,
            problems,
        );
        if let (Ok(url), true) = (url, problems.len() == before) {
            out.push(SourceSpec {
                name: s.name,
                kind,
                url,
                interval,
                origin: SourceOrigin::Config,
                settings,
            });
        }
    }
    out
}

/// The default bounds of an adaptive source: 5 minutes to a day.
pub const DEFAULT_ADAPTIVE_BOUNDS: AdaptiveBounds = AdaptiveBounds {
    min_secs: 300,
    max_secs: 86_400,
};

/// Checks `adaptive`, `min_interval` and `max_interval`.
fn validate_adaptive(
    adaptive: Option<bool>,
    min: Option<&str>,
    max: Option<&str>,
    key: &dyn Fn(&str) -> String,
    problems: &mut Vec<Problem>,
) -> Option<AdaptiveBounds> {
    let mut bound = |field: &str, v: Option<&str>, default: u64| match v {
        None => default,
        Some(v) => match parse_interval(v) {
            Ok(d) => d.as_secs(),
            Err(e) => {
                problems.push(Problem {
                    key: key(field),
                    reason: e.to_string(),
                });
                default
            }
        },
    };
    let bounds = AdaptiveBounds {
        min_secs: bound("min_interval", min, DEFAULT_ADAPTIVE_BOUNDS.min_secs),
        max_secs: bound("max_interval", max, DEFAULT_ADAPTIVE_BOUNDS.max_secs),
    };
    if adaptive != Some(true) {
        if min.is_some() || max.is_some() {
            problems.push(Problem {
                key: key(if min.is_some() {
                    "min_interval"
                } else {
                    "max_interval"
                }),
                reason: "applies to adaptive sources: add `adaptive = true`".into(),
            });
        }
        return None;
    }
    if bounds.min_secs > bounds.max_secs {
        problems.push(Problem {
            key: key("min_interval"),
            reason: "is longer than max_interval".into(),
        });
    }
    Some(bounds)
}

/// Checks the `[sources.html]` selectors (each must parse as CSS; `links` is required for kind
/// `html`) and the article limits.
fn validate_source_settings(
    kind: SourceKind,
    html: Option<RawHtml>,
    fetch_full_article: Option<bool>,
    max_articles: Option<usize>,
    key: &dyn Fn(&str) -> String,
    problems: &mut Vec<Problem>,
) -> SourceSettings {
    let mut settings = SourceSettings {
        fetch_full_article: fetch_full_article.unwrap_or(false),
        max_articles: max_articles.unwrap_or(DEFAULT_MAX_ARTICLES),
        html: None,
        adaptive: None,
    };
    if settings.max_articles == 0 {
        problems.push(Problem {
            key: key("max_articles"),
            reason: "must be at least 1".into(),
        });
    }
    if fetch_full_article.is_some() && kind == SourceKind::Html {
        problems.push(Problem {
            key: key("fetch_full_article"),
            reason: "applies to feeds; an html source always fetches its articles".into(),
        });
    }
    let Some(h) = html else {
        if kind == SourceKind::Html {
            problems.push(Problem {
                key: key("html.links"),
                reason: "an html source needs a `links` CSS selector for the brief links on its page (`briefwatch sources discover URL` proposes one)".into(),
            });
        }
        return settings;
    };
    let mut check = |field: &str, sel: &Option<String>| {
        if let Some(sel) = sel
            && let Err(e) = scraper::Selector::parse(sel)
        {
            problems.push(Problem {
                key: key(&format!("html.{field}")),
                reason: format!("{sel:?} is not a valid CSS selector: {e}"),
            });
        }
    };
    check("links", &h.links);
    check("next_page", &h.next_page);
    check("title", &h.title);
    check("body", &h.body);
    check("published", &h.published);
    check("author", &h.author);
    if kind == SourceKind::Html && h.links.as_deref().is_none_or(|l| l.trim().is_empty()) {
        problems.push(Problem {
            key: key("html.links"),
            reason: "required for an html source: a CSS selector for the brief links on its page"
                .into(),
        });
    }
    if kind == SourceKind::Feed && (h.links.is_some() || h.next_page.is_some()) {
        problems.push(Problem {
            key: key("html.links"),
            reason: "listing selectors apply to kind = \"html\" sources only".into(),
        });
    }
    if h.max_pages == Some(0) {
        problems.push(Problem {
            key: key("html.max_pages"),
            reason: "must be at least 1".into(),
        });
    }
    settings.html = Some(HtmlSettings {
        links: h.links.unwrap_or_default(),
        next_page: h.next_page,
        max_pages: h.max_pages.unwrap_or(DEFAULT_MAX_PAGES),
        title: h.title,
        body: h.body,
        published: h.published,
        author: h.author,
    });
    settings
}

/// Checks that a source name is usable in logs, the CLI and OPML: non-empty, printable, no surrounding space.
pub fn check_source_name(name: &str) -> Result<(), ValueError> {
    if name.trim().is_empty() {
        return Err(ValueError::EmptyName);
    }
    if name.trim() != name || name.chars().any(char::is_control) {
        return Err(ValueError::UnprintableName {
            name: name.to_string(),
        });
    }
    Ok(())
}

/// Parses a source URL: absolute http(s) only.
pub fn parse_source_url(s: &str) -> Result<Url, ValueError> {
    let url = Url::parse(s.trim()).map_err(|source| ValueError::Url {
        input: s.to_string(),
        source,
    })?;
    match url.scheme() {
        "http" | "https" if url.host().is_some() => Ok(url),
        "http" | "https" => Err(ValueError::UrlWithoutHost {
            input: s.to_string(),
        }),
        other => Err(ValueError::UrlScheme {
            input: s.to_string(),
            scheme: other.to_string(),
        }),
    }
}

#[cfg(test)]
mod adaptive_tests {
    use super::super::tests::load;
    use super::*;

    #[test]
    fn adaptive_sources_get_bounds_and_stray_bounds_are_refused() {
        let c = load(
            "[[sources]]\nname = \"a\"\nurl = \"https://a.example/rss\"\nadaptive = true\n\
             max_interval = \"2h\"\n",
        )
        .unwrap();
        assert_eq!(
            c.sources[0].settings.adaptive,
            Some(AdaptiveBounds {
                min_secs: 300,
                max_secs: 7200
            })
        );
        let e = load(
            "[[sources]]\nname = \"a\"\nurl = \"https://a.example/rss\"\nmin_interval = \"1m\"\n\
             [[sources]]\nname = \"b\"\nurl = \"https://b.example/rss\"\nadaptive = true\n\
             min_interval = \"3h\"\nmax_interval = \"1h\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("sources[0].min_interval") && e.contains("adaptive = true"),
            "{e}"
        );
        assert!(
            e.contains("sources[1].min_interval") && e.contains("longer than"),
            "{e}"
        );
    }
}
