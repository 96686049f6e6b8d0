//! Topics: polled briefs carry topics with evidence and entities; `briefs list --topic` filters;
//! `classify --tsv` reads stdin; a changed pack and `reclassify` retag stored briefs; labels and
//! `train` store a model whose contribution shows in the evidence; a broken rule is a config error
//! naming file, topic and rule.
//!
//! The feed is `tests/fixtures/topics/desk.rss`: a ceasefire brief, an assassination-plot brief and
//! a library budget brief that is about none of the default topics.

use serde_json::Value;

use crate::harness::{
    ConfigSpec, RSS, SourceSpec, Workspace, by_title, fixture, id_arg, str_field, titles,
};
use crate::server::FeedServer;

const CEASEFIRE: &str = "Israel and Hamas agree ceasefire after talks in Cairo";
const PLOT: &str = "Iran denies plot to assassinate exiled dissident";
const LIBRARY: &str = "City council approves budget for new library";

/// A workspace polling the desk feed, with `extra` appended to its config.
fn workspace(server: &FeedServer, extra: &str) -> Workspace {
    server.publish("/desk.rss", fixture("topics/desk.rss"), RSS);
    let spec =
        ConfigSpec::for_server(server).source(SourceSpec::new("desk", server.url("/desk.rss")));
    let ws = Workspace::new();
    ws.write_config(&format!("{}\n{extra}", spec.render()));
    ws
}

fn topic_ids(brief: &Value) -> Vec<String> {
    brief["topics"]
        .as_array()
        .unwrap_or_else(|| panic!("`topics` is not an array: {brief}"))
        .iter()
        .map(|t| {
            let score = t["score"].as_f64().expect("topic score");
            assert!((0.0..1.0).contains(&score), "score out of range: {t}");
            str_field(t, "id").to_string()
        })
        .collect()
}

#[tokio::test]
async fn polled_briefs_carry_topics_with_evidence_and_entities() {
    let server = FeedServer::start().await;
    let ws = workspace(&server, "");
    ws.poll().await.assert_counts(&[("new_briefs", 3)]);
    let briefs = ws.briefs().await;
    assert!(topic_ids(by_title(&briefs, CEASEFIRE)).contains(&"ceasefire".to_string()));
    assert!(topic_ids(by_title(&briefs, PLOT)).contains(&"assassination_plot".to_string()));
    assert!(
        topic_ids(by_title(&briefs, LIBRARY)).is_empty(),
        "{briefs:?}"
    );

    let shown = ws.show(by_title(&briefs, CEASEFIRE)).await;
    let topic = shown["topics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "ceasefire")
        .unwrap_or_else(|| panic!("no ceasefire topic in {shown}"));
    let evidence = topic["evidence"].as_array().expect("evidence array");
    assert!(!evidence.is_empty(), "{topic}");
    for e in evidence {
        let field = str_field(e, "field");
        let source = str_field(&shown, if field == "title" { "title" } else { "text" });
        let (start, end) = (
            e["start"].as_u64().unwrap() as usize,
            e["end"].as_u64().unwrap() as usize,
        );
        let matched = source
            .get(start..end)
            .unwrap_or_else(|| panic!("bad offsets {e}"));
        assert!(
            ["ceasefire", "truce"]
                .iter()
                .any(|w| matched.to_lowercase().contains(w)),
            "evidence offsets point at {matched:?}: {e}"
        );
    }
    let entities: Vec<&str> = shown["entities"]
        .as_array()
        .expect("entities array")
        .iter()
        .map(|e| str_field(e, "name"))
        .collect();
    for name in ["Israel", "Hamas", "Cairo"] {
        assert!(entities.contains(&name), "{name} missing from {entities:?}");
    }

    let run = ws
        .bw(&["briefs", "list", "--topic", "ceasefire", "--json"])
        .await;
    run.assert_success();
    let listed = titles(&run.json_lines());
    assert_eq!(listed, [CEASEFIRE]);
    let run = ws
        .bw(&["briefs", "list", "--entity", "iran", "--json"])
        .await;
    run.assert_success();
    let listed = titles(&run.json_lines());
    assert_eq!(listed, [PLOT]);
    // Another name of the entity finds the same briefs.
    let run = ws
        .bw(&[
            "briefs",
            "list",
            "--entity",
            "Islamic Republic of Iran",
            "--json",
        ])
        .await;
    run.assert_success();
    assert_eq!(titles(&run.json_lines()), [PLOT]);
}

#[tokio::test]
async fn classify_tsv_prints_topics_and_scores_best_first() {
    let server = FeedServer::start().await;
    let ws = workspace(&server, "");
    let input = "id\ttext\n\
        a\tGunmen kidnapped two aid workers and demanded a ransom for the hostages.\n\
        b\tThe bakery on Mill Street sells rye bread.\n";
    let run = ws.bw_stdin(&["classify", "--tsv"], input).await;
    run.assert_success();
    let lines: Vec<Vec<&str>> = run
        .stdout
        .lines()
        .map(|l| l.split('\t').collect())
        .collect();
    assert_eq!(lines.len(), 2, "{}", run.describe());
    assert_eq!(lines[0][0], "a");
    assert_eq!(
        lines[0][1].split(',').next(),
        Some("hostages"),
        "{}",
        run.describe()
    );
    let scores: Vec<f64> = lines[0][2].split(',').map(|s| s.parse().unwrap()).collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "not best first: {scores:?}"
    );
    assert_eq!(lines[1], ["b", "", ""]);
}

#[tokio::test]
async fn a_changed_pack_and_reclassify_retag_stored_briefs() {
    let server = FeedServer::start().await;
    let pack = r#"name = "civic"
[[topic]]
id = "council"
threshold = 1
[topic.terms]
"ceasefire" = 1
"#;
    let ws = workspace(&server, "[classify]\ntopics = \"civic.toml\"\n");
    std::fs::write(ws.path("civic.toml"), pack).unwrap();
    ws.poll().await;
    let briefs = ws.briefs().await;
    assert_eq!(topic_ids(by_title(&briefs, CEASEFIRE)), ["council"]);
    assert!(topic_ids(by_title(&briefs, LIBRARY)).is_empty());

    std::fs::write(
        ws.path("civic.toml"),
        pack.replace("\"ceasefire\"", "\"library\""),
    )
    .unwrap();
    let run = ws.bw(&["reclassify"]).await;
    run.assert_success();
    assert!(
        run.stdout.contains("reclassified 3 briefs"),
        "{}",
        run.describe()
    );
    let briefs = ws.briefs().await;
    assert!(topic_ids(by_title(&briefs, CEASEFIRE)).is_empty());
    assert_eq!(topic_ids(by_title(&briefs, LIBRARY)), ["council"]);
}

#[tokio::test]
async fn labels_and_training_store_a_model_that_takes_part() {
    let server = FeedServer::start().await;
    let ws = workspace(&server, "");
    ws.poll().await;
    let briefs = ws.briefs().await;
    let library = id_arg(by_title(&briefs, LIBRARY));
    let run = ws.bw(&["label", &library, "no_such_topic"]).await;
    assert_eq!(run.code(), Some(2), "{}", run.describe());
    assert!(run.stderr.contains("no_such_topic"), "{}", run.describe());
    ws.bw(&["label", &library, "protest", "--not"])
        .await
        .assert_success();

    let mut tsv = String::from("id\tlabels\ttext\n");
    for i in 0..12 {
        tsv.push_str(&format!(
            "c{i}\tceasefire\tThe truce between the two armies held on day {i}.\n"
        ));
        tsv.push_str(&format!(
            "p{i}\tprotest\tThousands marched through the capital on day {i}.\n"
        ));
    }
    std::fs::write(ws.path("labels.tsv"), tsv).unwrap();
    let run = ws
        .bw(&[
            "train",
            "--labels",
            ws.path("labels.tsv").to_str().unwrap(),
            "--cv",
            "3",
        ])
        .await;
    run.assert_success();
    assert!(
        run.stdout.contains("rules alone") && run.stdout.contains("rules and model"),
        "{}",
        run.describe()
    );
    assert!(
        run.stdout.contains("25 examples (1 from stored labels)"),
        "{}",
        run.describe()
    );

    let run = ws
        .bw_stdin(
            &["classify", "--explain"],
            "Thousands marched through the capital again.",
        )
        .await;
    run.assert_success();
    assert!(run.stdout.contains("(trained model)"), "{}", run.describe());
    let run = ws
        .bw_stdin(
            &["classify", "--explain", "--no-model"],
            "Thousands marched through the capital again.",
        )
        .await;
    assert!(
        !run.stdout.contains("(trained model)"),
        "{}",
        run.describe()
    );
}

#[tokio::test]
async fn a_broken_rule_is_a_config_error_naming_file_topic_and_rule() {
    let server = FeedServer::start().await;
    let ws = workspace(&server, "[classify]\ntopics = \"bad.toml\"\n");
    std::fs::write(
        ws.path("bad.toml"),
        "name = \"bad\"\n[[topic]]\nid = \"broken\"\nthreshold = 1\n[topic.terms]\n\"kill*\" = 1\n",
    )
    .unwrap();
    let run = ws.bw(&["check-config"]).await;
    assert_eq!(run.code(), Some(2), "{}", run.describe());
    for needle in ["bad.toml", "broken", "kill*"] {
        assert!(
            run.stderr.contains(needle),
            "{needle} missing\n{}",
            run.describe()
        );
    }
}
