//! Headline and body from a text given without a title (label files, stdin): briefs weigh title
//! matches more, so classifying such text as all-body would under-rate it.

/// Longest first sentence taken as a headline when a text comes without a title.
const MAX_TITLE: usize = 300;

/// A headline and body from text given without a title, as briefs come: the first line when there are
/// several, else the first sentence (the whole text when it is one short sentence).
pub fn split_title(text: &str) -> (&str, &str) {
    let text = text.trim();
    if let Some((first, rest)) = text.split_once('\n') {
        return (first.trim(), rest.trim());
    }
    let end = text
        .char_indices()
        .filter(|&(i, c)| matches!(c, '.' | '!' | '?') && (20..MAX_TITLE).contains(&i))
        .map(|(i, _)| i + 1)
        .find(|&i| text[i..].starts_with(' '));
    match end {
        Some(i) => (&text[..i], text[i..].trim_start()),
        None if text.len() <= MAX_TITLE => (text, ""),
        None => ("", text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_without_title_gives_its_first_line_or_sentence_as_headline() {
        assert_eq!(
            split_title("Head line\nBody text."),
            ("Head line", "Body text.")
        );
        assert_eq!(
            split_title("Truce holds in Gaza after a long night. Aid convoys move."),
            (
                "Truce holds in Gaza after a long night.",
                "Aid convoys move."
            )
        );
        assert_eq!(
            split_title("One short sentence only."),
            ("One short sentence only.", "")
        );
        let long = "word ".repeat(100);
        assert_eq!(split_title(&long), ("", long.trim()));
    }
}
