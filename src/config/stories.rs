//! `[stories]`: how near-duplicates from several sources are grouped into stories. Owns
//! [`StoriesConfig`] and the default window; the clustering itself is the store's.

use std::time::Duration;

use super::Problem;
use super::parse_interval;
use super::raw::RawStories;

/// How far apart two briefs may be published and still be one story, unless `stories.window` says
/// otherwise.
pub const DEFAULT_STORY_WINDOW: Duration = Duration::from_secs(7 * 86_400);

/// `[stories]`: how near-duplicates from several sources are grouped.
#[derive(Debug, Clone)]
pub struct StoriesConfig {
    /// How far apart two briefs may be published and still be one story.
    pub window: Duration,
}

/// Checks `stories.window`; an invalid one is a problem and the default stands in for it.
pub(super) fn validate_stories(raw: RawStories, problems: &mut Vec<Problem>) -> StoriesConfig {
    let window = match raw.window.as_deref() {
        None => DEFAULT_STORY_WINDOW,
        Some(w) => parse_interval(w).unwrap_or_else(|e| {
            problems.push(Problem {
                key: "stories.window".into(),
                reason: e.to_string(),
            });
            DEFAULT_STORY_WINDOW
        }),
    };
    StoriesConfig { window }
}
