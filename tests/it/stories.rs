//! Stories: one article reached through several URLs is one brief seen by several sources;
//! reworded copies join the story of their original; different texts under one templated
//! headline, and copies published outside `[stories] window`, do not; a re-issued guid is not
//! stored twice; re-polling leaves briefs and story ids as they were.
//!
//! The feeds are under `tests/fixtures/stories/` (see the README there for what each one holds
//! and how the reworded copy differs from its original). Sources are polled concurrently, so no
//! test depends on which source was stored first.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::harness::{
    ATOM, ConfigSpec, RSS, SourceSpec, Workspace, by_title, fixture, id_arg, str_field, titles,
};
use crate::server::FeedServer;

/// One feed of `tests/fixtures/stories/`, served at `/<file>` as source `name`.
struct Feed {
    name: &'static str,
    file: &'static str,
    content_type: &'static str,
}

const WIRE: Feed = Feed {
    name: "wire",
    file: "wire.rss",
    content_type: RSS,
};
const COURIER: Feed = Feed {
    name: "courier",
    file: "courier.atom",
    content_type: ATOM,
};
const MOBILE: Feed = Feed {
    name: "mobile",
    file: "mobile.rss",
    content_type: RSS,
};
const DESK: Feed = Feed {
    name: "desk",
    file: "desk.rss",
    content_type: RSS,
};
const RELAY: Feed = Feed {
    name: "relay",
    file: "relay.atom",
    content_type: ATOM,
};
const LATE: Feed = Feed {
    name: "review",
    file: "late.rss",
    content_type: RSS,
};
const AGENCY: Feed = Feed {
    name: "agency",
    file: "agency.rss",
    content_type: RSS,
};

/// The article at `https://news.example.org/a/1`, in full (wire, mobile) and shortened (courier).
const BRIDGE_TITLES: [&str; 2] = [
    "Council approves repairs to the Old River Bridge",
    "Old River Bridge to get twelve million euro repair",
];
const PORT_TITLE: &str = "Port strike ends after pay deal";
const PORT_COPY_TITLE: &str = "UPDATE: Port strike ends after pay deal";
const TEMPLATED_101: &str = "Gaza: Ceasefire deal reported as talks continue (101)";
const TEMPLATED_202: &str = "Gaza: Ceasefire deal reported as talks continue (202)";
const LIBRARY_TITLE: &str = "Central library to stay open until ten on weekdays";

fn fixture_of(file: &str) -> Vec<u8> {
    fixture(&format!("stories/{file}"))
}

/// Publishes `feeds` on `server` and returns their sources.
fn serve(server: &FeedServer, feeds: &[Feed]) -> Vec<SourceSpec> {
    feeds
        .iter()
        .map(|f| {
            let path = format!("/{}", f.file);
            server.publish(&path, fixture_of(f.file), f.content_type);
            SourceSpec::new(f.name, server.url(&path))
        })
        .collect()
}

/// A workspace polling `feeds`, with `[stories] window = <window>` when given.
fn workspace(server: &FeedServer, feeds: &[Feed], window: Option<&str>) -> Workspace {
    let spec = ConfigSpec::for_server(server).sources(serve(server, feeds));
    let mut text = spec.render();
    if let Some(w) = window {
        text.push_str(&format!("\n[stories]\nwindow = \"{w}\"\n"));
    }
    let ws = Workspace::new();
    ws.write_config(&text);
    ws
}

/// `stories list --json [--min-sources N]`, which must succeed; every line is checked for the
/// contract's fields.
async fn stories(ws: &Workspace, min_sources: Option<u64>) -> Vec<Value> {
    let min = min_sources.map(|n| n.to_string());
    let mut args = vec!["stories", "list", "--json"];
    if let Some(min) = &min {
        args.extend(["--min-sources", min.as_str()]);
    }
    let run = ws.bw(&args).await;
    run.assert_success();
    let lines = run.json_lines();
    for s in &lines {
        assert!(s["id"].is_i64(), "story `id` is not an integer: {s}");
        str_field(s, "title");
        for key in ["first_seen", "last_seen"] {
            let t = str_field(s, key);
            chrono::DateTime::parse_from_rfc3339(t)
                .unwrap_or_else(|e| panic!("story `{key}` = {t:?} is not RFC 3339 ({e}): {s}"));
        }
        assert!(s["briefs"].is_u64(), "story `briefs` is not a count: {s}");
        assert!(
            s["sources"]
                .as_array()
                .is_some_and(|a| !a.is_empty() && a.iter().all(Value::is_string)),
            "story `sources` is not a non-empty array of names: {s}"
        );
    }
    lines
}

/// `story_id` of a brief (or of a `briefs show` object), which must be set.
#[track_caller]
fn story_id(brief: &Value) -> i64 {
    brief
        .get("story_id")
        .and_then(Value::as_i64)
        .unwrap_or_else(|| panic!("brief has no story_id: {brief}"))
}

#[track_caller]
fn brief_id(brief: &Value) -> i64 {
    brief
        .get("id")
        .and_then(Value::as_i64)
        .unwrap_or_else(|| panic!("brief has no integer id: {brief}"))
}

/// The story with id `id`, or panic listing them.
#[track_caller]
fn story_by_id(stories: &[Value], id: i64) -> &Value {
    stories
        .iter()
        .find(|s| s["id"].as_i64() == Some(id))
        .unwrap_or_else(|| panic!("no story {id} in stories list: {stories:#?}"))
}

fn story_sources(story: &Value) -> BTreeSet<String> {
    story["sources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect()
}

fn names(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// `also_in` of a `briefs show --json` object, each entry checked for the contract's fields.
#[track_caller]
fn also_in(shown: &Value) -> &[Value] {
    let entries = shown
        .get("also_in")
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("briefs show lacks an `also_in` array: {shown}"));
    for e in entries {
        assert!(
            e["brief_id"].is_i64(),
            "also_in entry without brief_id: {e}"
        );
        str_field(e, "source");
        str_field(e, "title");
        assert!(
            e.get("url").is_some_and(|u| u.is_string() || u.is_null()),
            "also_in entry without url: {e}"
        );
    }
    entries
}

/// Whether a brief's URL is one of the forms of `https://news.example.org/a/1`.
fn is_bridge_article(brief: &Value) -> bool {
    let Some(link) = brief.get("url").and_then(Value::as_str) else {
        return false;
    };
    url::Url::parse(link).is_ok_and(|u| {
        u.host_str() == Some("news.example.org")
            && matches!(u.path(), "/a/1" | "/a/1/" | "/a/1/amp" | "/a/1/amp/")
    })
}

/// What must not change when nothing new is published: every brief with its story.
fn brief_identity(briefs: &[Value]) -> BTreeMap<i64, (String, String, String, i64)> {
    briefs
        .iter()
        .map(|b| {
            (
                brief_id(b),
                (
                    str_field(b, "source").to_string(),
                    str_field(b, "guid").to_string(),
                    str_field(b, "title").to_string(),
                    story_id(b),
                ),
            )
        })
        .collect()
}

fn story_identity(stories: &[Value]) -> BTreeMap<i64, String> {
    stories
        .iter()
        .map(|s| (s["id"].as_i64().expect("checked id"), s.to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_article_behind_tracking_parameters_and_amp_is_one_brief_seen_by_every_source() {
    let server = FeedServer::start().await;
    let ws = workspace(&server, &[WIRE, COURIER, MOBILE], None);

    // wire: /a/1?utm_source=x&utm_medium=rss, courier: /a/1?fbclid=...#top, mobile: /a/1/amp,
    // plus one unrelated item each in wire and courier.
    ws.poll()
        .await
        .assert_counts(&[("sources", 3), ("errors", 0), ("new_briefs", 3)]);
    let briefs = ws.briefs().await;
    assert_eq!(briefs.len(), 3, "titles: {:?}", titles(&briefs));
    let copies: Vec<&Value> = briefs.iter().filter(|b| is_bridge_article(b)).collect();
    assert_eq!(
        copies.len(),
        1,
        "the article behind three URLs must be stored once: {copies:#?}"
    );
    let article = copies[0];
    assert!(
        BRIDGE_TITLES.contains(&str_field(article, "title")),
        "unexpected title: {article}"
    );
    let own = str_field(article, "source").to_string();
    let story = story_id(article);

    let shown = ws.show(article).await;
    assert_eq!(
        brief_id(&shown),
        brief_id(article),
        "show returned another brief"
    );
    assert_eq!(
        story_id(&shown),
        story,
        "show and list disagree on story_id"
    );
    let also = also_in(&shown);
    let others: BTreeSet<String> = also
        .iter()
        .map(|e| str_field(e, "source").to_string())
        .collect();
    let mut expected = names(&["wire", "courier", "mobile"]);
    expected.remove(&own);
    assert_eq!(
        others, expected,
        "also_in of the {own} brief must name the other two sources: {also:#?}"
    );
    for e in also {
        assert_eq!(
            e["brief_id"].as_i64(),
            Some(brief_id(article)),
            "the story has one brief, yet also_in points elsewhere: {e}"
        );
        // Each source's entry shows the link that source gave, not the stored brief's.
        let mark = match str_field(e, "source") {
            "wire" => "utm_source",
            "courier" => "fbclid",
            _ => "/amp",
        };
        assert!(
            str_field(e, "url").contains(mark),
            "also_in url is not its source's own link: {e}"
        );
    }

    let all = stories(&ws, None).await;
    let s = story_by_id(&all, story);
    assert_eq!(
        story_sources(s),
        names(&["wire", "courier", "mobile"]),
        "story sources: {s}"
    );
    assert_eq!(s["briefs"].as_u64(), Some(1), "story briefs: {s}");

    // Only this story has more than one source.
    for (min, want) in [(2, vec![story]), (3, vec![story]), (4, vec![])] {
        let got: Vec<i64> = stories(&ws, Some(min))
            .await
            .iter()
            .map(|s| s["id"].as_i64().expect("checked id"))
            .collect();
        assert_eq!(got, want, "stories list --min-sources {min}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reworded_copy_in_another_feed_is_a_separate_brief_in_the_same_story() {
    let server = FeedServer::start().await;
    let ws = workspace(&server, &[DESK, RELAY], None);

    // relay: "UPDATE: " title, one of five paragraphs dropped, 8 of ~160 words replaced, another
    // URL, published 3.5 hours after the original.
    ws.poll()
        .await
        .assert_counts(&[("sources", 2), ("errors", 0), ("new_briefs", 2)]);
    let briefs = ws.briefs().await;
    assert_eq!(briefs.len(), 2, "titles: {:?}", titles(&briefs));
    let original = by_title(&briefs, PORT_TITLE);
    let copy = by_title(&briefs, PORT_COPY_TITLE);
    assert_eq!(str_field(original, "source"), "desk");
    assert_eq!(str_field(copy, "source"), "relay");
    assert_ne!(brief_id(original), brief_id(copy));
    assert_eq!(
        story_id(original),
        story_id(copy),
        "a reworded copy must join the story of its original:\n{original}\n{copy}"
    );
    let story = story_id(original);

    for (from, other) in [(original, copy), (copy, original)] {
        let shown = ws.show(from).await;
        assert_eq!(story_id(&shown), story);
        let also = also_in(&shown);
        let entry = also
            .iter()
            .find(|e| e["brief_id"].as_i64() == Some(brief_id(other)))
            .unwrap_or_else(|| {
                panic!(
                    "also_in of {:?} does not list brief {} ({:?}): {also:#?}",
                    str_field(from, "title"),
                    id_arg(other),
                    str_field(other, "title")
                )
            });
        assert_eq!(str_field(entry, "source"), str_field(other, "source"));
        assert_eq!(str_field(entry, "url"), str_field(other, "url"));
        assert_eq!(str_field(entry, "title"), str_field(other, "title"));
        assert!(
            also.iter()
                .all(|e| e["brief_id"].as_i64() != Some(brief_id(from))
                    || str_field(e, "source") != str_field(from, "source")),
            "also_in lists the brief itself: {also:#?}"
        );
    }

    let multi = stories(&ws, Some(2)).await;
    assert_eq!(multi.len(), 1, "stories with two sources: {multi:#?}");
    let s = story_by_id(&multi, story);
    assert_eq!(story_sources(s), names(&["desk", "relay"]), "{s}");
    assert_eq!(s["briefs"].as_u64(), Some(2), "{s}");
    assert!(
        [PORT_TITLE, PORT_COPY_TITLE].contains(&str_field(s, "title")),
        "story title is neither brief's: {s}"
    );
    let instant = |key: &str| {
        chrono::DateTime::parse_from_rfc3339(str_field(s, key)).expect("checked RFC 3339")
    };
    let at = |t: &str| chrono::DateTime::parse_from_rfc3339(t).expect("valid instant");
    assert_eq!(instant("first_seen"), at("2025-11-04T08:00:00Z"), "{s}");
    assert_eq!(instant("last_seen"), at("2025-11-04T11:30:00Z"), "{s}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn different_stories_under_one_templated_headline_get_different_story_ids() {
    let server = FeedServer::start().await;
    let ws = workspace(&server, &[AGENCY], None);

    // Same headline template, published four hours apart, two different five-paragraph texts.
    ws.poll()
        .await
        .assert_counts(&[("sources", 1), ("errors", 0), ("new_briefs", 2)]);
    let briefs = ws.briefs().await;
    let a = by_title(&briefs, TEMPLATED_101);
    let b = by_title(&briefs, TEMPLATED_202);
    assert_ne!(
        story_id(a),
        story_id(b),
        "different texts under one templated headline were merged:\n{a}\n{b}"
    );

    for (from, other) in [(a, b), (b, a)] {
        let shown = ws.show(from).await;
        let also = also_in(&shown);
        assert!(
            also.iter()
                .all(|e| e["brief_id"].as_i64() != Some(brief_id(other))),
            "also_in of {:?} lists {:?}: {also:#?}",
            str_field(from, "title"),
            str_field(other, "title")
        );
    }

    let all = stories(&ws, None).await;
    for brief in [a, b] {
        let s = story_by_id(&all, story_id(brief));
        assert_eq!(s["briefs"].as_u64(), Some(1), "{s}");
        assert_eq!(story_sources(s), names(&["agency"]), "{s}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_published_beyond_the_story_window_starts_a_new_story() {
    let server = FeedServer::start().await;
    // desk: the original on 4 November; review: an exact copy and the reworded copy, both on
    // 9 November (five days later), at their own URLs.
    let two_days = workspace(&server, &[DESK, LATE], Some("2d"));
    let seven_days = workspace(&server, &[DESK, LATE], Some("7d"));

    let mut ids = Vec::new();
    for ws in [&two_days, &seven_days] {
        ws.poll()
            .await
            .assert_counts(&[("sources", 2), ("errors", 0), ("new_briefs", 3)]);
        let briefs = ws.briefs().await;
        assert_eq!(briefs.len(), 3, "titles: {:?}", titles(&briefs));
        let of = |source: &str, title: &str| {
            let b = briefs
                .iter()
                .find(|b| str_field(b, "source") == source && str_field(b, "title") == title)
                .unwrap_or_else(|| panic!("no {source} brief titled {title:?} in {briefs:#?}"));
            story_id(b)
        };
        ids.push((
            of("desk", PORT_TITLE),
            of("review", PORT_TITLE),
            of("review", PORT_COPY_TITLE),
        ));
    }

    let (original, exact, reworded) = ids[0];
    assert_ne!(
        original, exact,
        "window 2d: an identical copy five days later joined the original's story"
    );
    assert_ne!(
        original, reworded,
        "window 2d: a reworded copy five days later joined the original's story"
    );
    assert_eq!(
        exact, reworded,
        "window 2d: the two copies two hours apart must still be one story"
    );
    let multi = stories(&two_days, Some(2)).await;
    assert!(
        multi.is_empty(),
        "window 2d: no story has two sources, yet: {multi:#?}"
    );

    // Control: the same feeds with a seven-day window make one story of all three.
    let (original, exact, reworded) = ids[1];
    assert!(
        original == exact && exact == reworded,
        "window 7d: expected one story, got original {original}, exact copy {exact}, \
         reworded copy {reworded}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reissued_guid_with_the_same_link_and_text_is_not_stored_twice() {
    let server = FeedServer::start().await;
    server.publish("/notices.xml", fixture_of("notices-v1.rss"), RSS);
    let ws = Workspace::with_config(
        &ConfigSpec::for_server(&server)
            .source(SourceSpec::new("notices", server.url("/notices.xml"))),
    );
    ws.poll()
        .await
        .assert_counts(&[("sources", 1), ("errors", 0), ("new_briefs", 2)]);
    let before = ws.briefs().await;
    let library = by_title(&before, LIBRARY_TITLE);
    assert_eq!(str_field(library, "guid"), "notice-0042");

    // v2: the library notice under a new guid (and a pubDate half an hour later), same link,
    // same title and text; the other notice unchanged.
    server.publish("/notices.xml", fixture_of("notices-v2.rss"), RSS);
    ws.poll().await.assert_counts(&[
        ("sources", 1),
        ("fetched", 1),
        ("errors", 0),
        ("new_briefs", 0),
    ]);
    let after = ws.briefs().await;
    assert_eq!(
        brief_identity(&after),
        brief_identity(&before),
        "briefs changed after the guid was re-issued; titles: {:?}",
        titles(&after)
    );

    let shown = ws.show(library).await;
    let also = also_in(&shown);
    assert!(
        also.is_empty(),
        "the re-issued notice is neither another source nor another brief: {also:#?}"
    );
    let all = stories(&ws, None).await;
    let s = story_by_id(&all, story_id(library));
    assert_eq!(s["briefs"].as_u64(), Some(1), "{s}");
    assert_eq!(story_sources(s), names(&["notices"]), "{s}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repolling_unchanged_feeds_stores_nothing_and_keeps_story_ids() {
    let server = FeedServer::start().await;
    let feeds = [WIRE, COURIER, MOBILE, DESK, RELAY, AGENCY];
    let ws = workspace(&server, &feeds, None);

    // 3 (wire, courier, mobile) + 2 (desk, relay) + 2 (agency).
    ws.poll()
        .await
        .assert_counts(&[("sources", 6), ("errors", 0), ("new_briefs", 7)]);
    let briefs = brief_identity(&ws.briefs().await);
    let stories_before = story_identity(&stories(&ws, None).await);
    assert_eq!(briefs.len(), 7);
    let distinct: BTreeSet<i64> = briefs.values().map(|v| v.3).collect();
    assert_eq!(
        distinct.len(),
        6,
        "7 briefs in 6 stories (the reworded copy joins its original): {briefs:#?}"
    );

    // Unchanged origin: conditional GET.
    ws.poll()
        .await
        .assert_counts(&[("sources", 6), ("errors", 0), ("new_briefs", 0)]);
    assert_eq!(
        brief_identity(&ws.briefs().await),
        briefs,
        "after a 304 poll"
    );
    assert_eq!(
        story_identity(&stories(&ws, None).await),
        stories_before,
        "stories changed after a 304 poll"
    );

    // Same documents with fresh validators: every entry is read again and must be known.
    server.republish_all_with_new_validators();
    ws.poll().await.assert_counts(&[
        ("sources", 6),
        ("fetched", 6),
        ("errors", 0),
        ("new_briefs", 0),
    ]);
    assert_eq!(
        brief_identity(&ws.briefs().await),
        briefs,
        "after re-reading every entry"
    );
    assert_eq!(
        story_identity(&stories(&ws, None).await),
        stories_before,
        "stories changed after re-reading every entry"
    );
}
