//! Test fixtures over a real database file: a store with named feed sources, and briefs stored
//! through the same `persist` path the pipeline uses. Compiled for tests only.

use std::time::Duration;

use chrono::Utc;

use super::Store;
use crate::model::{
    Brief, FetchOutcome, SourceKind, SourceOrigin, SourceReport, SourceSpec, Validators,
};

/// A new store in a temporary folder with feed sources named `names`, and their ids in that order.
pub(crate) fn store_with_sources(names: &[&str]) -> (tempfile::TempDir, Store, Vec<i64>) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("t.db")).unwrap();
    let specs: Vec<SourceSpec> = names
        .iter()
        .map(|n| SourceSpec {
            name: (*n).into(),
            kind: SourceKind::Feed,
            url: url::Url::parse(&format!("https://{n}.example/rss")).unwrap(),
            interval: Duration::from_secs(900),
            origin: SourceOrigin::Config,
            settings: Default::default(),
        })
        .collect();
    store.sync_config_sources(&specs).unwrap();
    let active = store.active_sources().unwrap();
    let ids = names
        .iter()
        .map(|n| active.iter().find(|s| s.spec.name == *n).unwrap().id)
        .collect();
    (dir, store, ids)
}

/// Stores `briefs` as one successful poll of `source_id`.
pub(crate) fn persist(store: &mut Store, source_id: i64, briefs: Vec<Brief>) {
    store
        .persist(&SourceReport {
            source_id,
            outcome: FetchOutcome::Fetched {
                briefs,
                known: 0,
                validators: Validators::default(),
                status: 200,
                websub: None,
            },
            checked_at: Utc::now(),
            next_check_at: Utc::now(),
        })
        .unwrap();
}

/// A brief with `title` (its text and content hash follow from it), no topics or entities.
pub(crate) fn brief(guid: &str, title: &str) -> Brief {
    Brief {
        guid: guid.into(),
        url: Some(format!("https://news.example/{guid}")),
        canonical_url: None,
        title: title.into(),
        text: format!("{title}. More words about it."),
        html: None,
        author: None,
        published: None,
        updated: None,
        content_hash: xxhash_rust::xxh3::xxh3_64(title.as_bytes()) as i64,
        signature: None,
        topics: Vec::new(),
        entities: Vec::new(),
    }
}
