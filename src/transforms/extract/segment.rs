//! Paragraph breaks for trafilatura's plain text. rs-trafilatura's `content_text` is the text it
//! decided is the article (its own pass drops captions, datelines, "Filed under" and "Read next"
//! lines that its `content_html` still carries), but it sometimes runs paragraphs together. A
//! segmentation from HTML (trafilatura's HTML rendered by our cleaner, or the page's own blocks) is
//! used only as far as it agrees with that text: each paragraph is kept when its words occur, in
//! order, in the text. Does not decide what is content.

/// The share of the reference text's words the kept paragraphs must cover for the segmentation to
/// be used at all.
const MIN_COVER: f64 = 0.9;
/// Paragraphs with fewer words than this must match right where the previous one ended (a word
/// such as "Home" or "Share" occurs somewhere in most articles).
const SHORT: usize = 4;
/// How many reference words a short paragraph may skip before it matches.
const SHORT_SLACK: usize = 3;

/// `\w+` words, as the benchmark's scorer cuts them.
pub(super) fn words(s: &str) -> Vec<&str> {
    s.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect()
}

/// Position of `needle` as a contiguous run in `hay[from..]`, starting no later than `limit`.
fn find_run(hay: &[&str], needle: &[&str], from: usize, limit: usize) -> Option<usize> {
    let last = hay.len().checked_sub(needle.len())?;
    (from..=last.min(limit)).find(|&i| hay[i..i + needle.len()] == *needle)
}

/// The paragraphs of `segmented` (separated by blank lines) whose words occur, in order, in
/// `reference`, joined by blank lines, leaving out those flagged in `furniture` (see
/// [`agreeing_without`]); `None` when they cover less than 90% of `reference`'s words.
pub(super) fn agreeing_except(
    segmented: &str,
    reference: &str,
    furniture: &[bool],
) -> Option<String> {
    agreeing_without(segmented, reference, MIN_COVER, furniture)
}

/// Like [`agreeing_except`] without furniture, with the share of `reference`'s words to cover given.
pub(super) fn agreeing_over(segmented: &str, reference: &str, min_cover: f64) -> Option<String> {
    agreeing_without(segmented, reference, min_cover, &[])
}

/// Like [`agreeing_over`], leaving out the paragraphs of `segmented` flagged in `furniture` (by
/// their index among its `\n\n`-separated parts) from the result; they still count as covering
/// the reference, which holds them too.
pub(super) fn agreeing_without(
    segmented: &str,
    reference: &str,
    min_cover: f64,
    furniture: &[bool],
) -> Option<String> {
    let hay = words(reference);
    if hay.is_empty() {
        return None;
    }
    let (kept, covered) = align(segmented, &hay);
    (covered as f64 >= min_cover * hay.len() as f64).then(|| {
        kept.iter()
            .filter(|(i, _)| !furniture.get(*i).copied().unwrap_or(false))
            .map(|(_, p)| *p)
            .collect::<Vec<_>>()
            .join("\n\n")
    })
}

/// The share of `part`'s words that occur, paragraph by paragraph and in order, in `whole`.
pub(super) fn contained_share(part: &str, whole: &str) -> f64 {
    let total = words(part).len();
    if total == 0 {
        return 0.0;
    }
    align(part, &words(whole)).1 as f64 / total as f64
}

/// How many `\w+` words `text` has.
pub(super) fn word_count(text: &str) -> usize {
    words(text).len()
}

/// The paragraphs of `segmented` found in order in `hay` (with their index among its parts), and
/// how many words they hold.
fn align<'a>(segmented: &'a str, hay: &[&str]) -> (Vec<(usize, &'a str)>, usize) {
    let (mut cursor, mut covered) = (0, 0);
    let mut kept = Vec::new();
    for (i, para) in segmented.split("\n\n").enumerate() {
        let needle = words(para);
        if needle.is_empty() {
            continue;
        }
        let limit = if needle.len() < SHORT {
            cursor + SHORT_SLACK
        } else {
            usize::MAX
        };
        if let Some(at) = find_run(hay, &needle, cursor, limit) {
            cursor = at + needle.len();
            covered += needle.len();
            kept.push((i, para));
        }
    }
    (kept, covered)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_missing_from_the_reference_text_are_dropped() {
        let html_text = "Photo: a caption\n\nThe minister said talks would resume.\n\nFiled under politics\n\nObservers expect a deal by Friday.";
        let reference = "The minister said talks would resume. Observers expect a deal by Friday.";
        assert_eq!(
            agreeing_except(html_text, reference, &[]).as_deref(),
            Some("The minister said talks would resume.\n\nObservers expect a deal by Friday.")
        );
    }

    #[test]
    fn short_paragraphs_match_only_where_the_previous_one_ended() {
        // "Share" occurs later in the text, but not here: the menu item is not text.
        let html_text =
            "Share\n\nVoters share a view on the budget.\n\nIt passed.\n\nShare\n\nMore news";
        let reference = "Voters share a view on the budget. It passed.";
        assert_eq!(
            agreeing_except(html_text, reference, &[]).as_deref(),
            Some("Voters share a view on the budget.\n\nIt passed.")
        );
    }

    #[test]
    fn a_segmentation_that_misses_much_of_the_text_is_refused() {
        let html_text = "Home\n\nNews\n\nSport";
        let reference = "Chelsea paid the fee this morning. The keeper flew to London.";
        assert_eq!(agreeing_except(html_text, reference, &[]), None);
    }
}
