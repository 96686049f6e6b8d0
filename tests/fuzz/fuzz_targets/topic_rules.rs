//! Topic-pack parsing (`transforms::classify::parse_pack`: the TOML rules and their term
//! expressions) and gazetteer parsing (`Gazetteer::parse`), then classification with a pack that
//! compiled, over the pack's own text so that its terms have something to match.
//!
//! Besides not panicking, scores lie in `[0, 1]` (not NaN) and evidence offsets point at the field they
//! name, on character boundaries.
#![no_main]

use briefwatch::transforms::classify::{Classifier, Field, Gazetteer, expand_evidence, parse_pack};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = Gazetteer::parse(text, "fuzz-entities.toml");
    let Ok(pack) = parse_pack(text, "fuzz-topics.toml") else {
        return;
    };
    let classifier = Classifier::with_gazetteer(pack, Gazetteer::empty(), None);
    let title = text.lines().next().unwrap_or_default();
    let result = classifier.classify(title, text);
    for topic in &result.topics {
        assert!(
            (0.0..=1.0).contains(&topic.score),
            "score {} of {} outside [0, 1]",
            topic.score,
            topic.id
        );
        for e in &topic.evidence {
            let field = match e.field {
                Some(Field::Title) => title,
                Some(Field::Text) => text,
                None => continue,
            };
            assert!(
                e.start <= e.end && field.get(e.start..e.end).is_some(),
                "evidence {}..{} is not a slice of its field",
                e.start,
                e.end
            );
        }
    }
    let (tags, _) = classifier.tags(title, text);
    for tag in tags {
        let _ = expand_evidence(&tag.evidence, title, text);
    }
});
