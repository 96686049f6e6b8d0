//! `briefs search`: full-text search over title and body.

use crate::harness::{
    ConfigSpec, STANDARD_ENTRIES, Workspace, by_guid, id_arg, serve_standard_feeds, str_field,
};
use crate::server::FeedServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_finds_a_brief_by_a_word_that_occurs_only_in_its_body() {
    let server = FeedServer::start().await;
    let sources = serve_standard_feeds(&server);
    let ws = Workspace::with_config(&ConfigSpec::for_server(&server).sources(sources));
    ws.poll()
        .await
        .assert_counts(&[("errors", 0), ("new_briefs", STANDARD_ENTRIES as u64)]);
    let briefs = ws.briefs().await;
    let target = by_guid(&briefs, "alpha-0001");

    // "zanzibarite" occurs only in the description of alpha-0001, inside <em>.
    let run = ws.bw(&["briefs", "search", "zanzibarite", "--json"]).await;
    run.assert_success();
    let hits = run.json_lines();
    assert_eq!(hits.len(), 1, "one hit expected\n{}", run.describe());
    let hit = &hits[0];
    assert_eq!(id_arg(hit), id_arg(target), "wrong brief found: {hit}");
    assert_eq!(str_field(hit, "source"), "alpha");
    assert!(
        !str_field(hit, "title")
            .to_lowercase()
            .contains("zanzibarite"),
        "the word must not be in the title: {hit}"
    );
    for key in [
        "id",
        "source",
        "url",
        "title",
        "published",
        "topics",
        "story_id",
    ] {
        assert!(hit.get(key).is_some(), "search line lacks `{key}`: {hit}");
    }
    let shown = ws.show(hit).await;
    assert!(
        str_field(&shown, "text").contains("zanzibarite"),
        "body of the hit: {shown}"
    );

    // Titles are indexed too.
    let run = ws.bw(&["briefs", "search", "crane", "--json"]).await;
    run.assert_success();
    let hits = run.json_lines();
    assert_eq!(
        hits.len(),
        1,
        "one hit for a title word\n{}",
        run.describe()
    );
    assert_eq!(
        str_field(&hits[0], "title"),
        "Harbour crane upgrade finished"
    );

    // A word in no brief finds nothing, successfully.
    let run = ws.bw(&["briefs", "search", "xylophonist", "--json"]).await;
    run.assert_success();
    assert!(run.json_lines().is_empty(), "{}", run.describe());
}
