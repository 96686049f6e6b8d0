//! `check-config`: exit 0 for a valid file; exit 2 with file, key and reason on stderr otherwise.

use crate::harness::{ConfigSpec, Run, SourceSpec, Workspace, contains_word, serve_standard_feeds};
use crate::server::FeedServer;

/// Asserts exit code 2 and that stderr names the config file's path.
fn assert_rejected(ws: &Workspace, run: &Run) {
    assert_eq!(
        run.code(),
        Some(2),
        "invalid config must exit 2\n{}",
        run.describe()
    );
    assert!(
        run.stderr.contains(ws.config_str()),
        "stderr does not name the config file {}\n{}",
        ws.config_str(),
        run.describe()
    );
}

async fn valid_spec() -> (FeedServer, ConfigSpec) {
    let server = FeedServer::start().await;
    let sources = serve_standard_feeds(&server);
    let spec = ConfigSpec::for_server(&server).sources(sources);
    (server, spec)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_config_accepts_a_valid_file_with_exit_0() {
    let (_server, spec) = valid_spec().await;
    let ws = Workspace::with_config(&spec);
    let run = ws.bw(&["check-config"]).await;
    assert_eq!(run.code(), Some(0), "{}", run.describe());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_config_rejects_an_unknown_key_with_exit_2_naming_key_and_file() {
    let (_server, spec) = valid_spec().await;
    let ws = Workspace::new();
    let text = spec.render();
    assert!(text.contains("[fetch]\n"));
    ws.write_config(&text.replacen("[fetch]\n", "[fetch]\ntimeout = 3\n", 1));

    let run = ws.bw(&["check-config"]).await;
    assert_rejected(&ws, &run);
    assert!(
        contains_word(&run.stderr, "timeout"),
        "stderr does not name the unknown key `timeout`\n{}",
        run.describe()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_config_rejects_a_source_with_a_bad_url_with_exit_2() {
    let (_server, spec) = valid_spec().await;
    let ws = Workspace::with_config(&spec.source(SourceSpec::new("bogus", "not a url")));

    let run = ws.bw(&["check-config"]).await;
    assert_rejected(&ws, &run);
    assert!(
        contains_word(&run.stderr, "url"),
        "stderr does not name the key `url`\n{}",
        run.describe()
    );
    assert!(
        run.stderr.contains("bogus") || run.stderr.contains("not a url"),
        "stderr names neither the source nor the bad value\n{}",
        run.describe()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_config_rejects_a_duplicate_source_name_with_exit_2() {
    let (server, spec) = valid_spec().await;
    let ws =
        Workspace::with_config(&spec.source(SourceSpec::new("alpha", server.url("/gamma.json"))));

    let run = ws.bw(&["check-config"]).await;
    assert_rejected(&ws, &run);
    let lower = run.stderr.to_lowercase();
    assert!(
        run.stderr.contains("alpha"),
        "stderr does not name the duplicated source name\n{}",
        run.describe()
    );
    assert!(
        ["duplicate", "already", "twice", "more than once", "unique"]
            .iter()
            .any(|w| lower.contains(w)),
        "stderr gives no reason (duplicate name)\n{}",
        run.describe()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_config_names_the_rule_and_key_of_bad_alert_rules_and_destinations() {
    let (_server, spec) = valid_spec().await;
    let ws = Workspace::new();
    let mut text = spec.render();
    text.push_str(
        "\n[[destinations]]\nname = \"ops\"\nkind = \"webhook\"\nurl = \"https://hooks.example/x\"\n\
         secret_env = \"BRIEFWATCH_IT_NO_SUCH_SECRET\"\n\n\
         [[alerts]]\nname = \"plots\"\ntopics = [\"assasination_plot\"]\ndestinations = [\"pager\"]\n",
    );
    ws.write_config(&text);
    let run = ws.bw(&["check-config"]).await;
    assert_rejected(&ws, &run);
    for needle in [
        "destinations[0].secret_file",
        "BRIEFWATCH_IT_NO_SUCH_SECRET is not set",
        "alerts[0].topics",
        "\"assasination_plot\"",
        "alerts[0].destinations",
        "\"pager\"",
        "rule \"plots\"",
    ] {
        assert!(
            run.stderr.contains(needle),
            "missing {needle:?}\n{}",
            run.describe()
        );
    }
}
