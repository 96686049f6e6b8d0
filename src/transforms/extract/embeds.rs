//! Embedded posts the article quotes (`<blockquote class="twitter-tweet">`: the post's text and
//! its "— Name (@handle) date" line, as the page carries it before any script runs). rs-trafilatura
//! usually keeps them; where it drops them, each goes back in after the paragraph that precedes it
//! in the page. A post whose place cannot be found is left out rather than put somewhere else.

use scraper::{ElementRef, Html, Node, Selector};

use super::segment;

/// The class an embedded post's blockquote carries.
pub(super) const POST_CLASS: &str = "twitter-tweet";
/// How many of the words just before a post locate it in the extracted text.
const ANCHOR_WORDS: usize = 6;

/// `text` (paragraphs separated by blank lines) with the page's embedded posts that it lacks put
/// back in place; `None` when none was missing or none could be placed.
pub(super) fn restore(doc: &Html, text: &str) -> Option<String> {
    let selector = Selector::parse(&format!("blockquote.{POST_CLASS}")).expect("valid selector");
    let mut paras: Vec<String> = text.split("\n\n").map(str::to_string).collect();
    let mut changed = false;
    for post in doc.select(&selector) {
        let rendered = render(post);
        if segment::word_count(&rendered) < 3
            || segment::contained_share(&rendered, &paras.join("\n\n")) >= 0.5
        {
            continue;
        }
        let anchor = preceding_words(post, ANCHOR_WORDS);
        if anchor.len() < ANCHOR_WORDS {
            continue;
        }
        let at = paras.iter().rposition(|p| {
            let words = lower_words(p);
            words.windows(anchor.len()).any(|w| w == anchor.as_slice())
        });
        if let Some(i) = at {
            paras.insert(i + 1, rendered);
            changed = true;
        }
    }
    changed.then(|| paras.join("\n\n"))
}

/// The post as one paragraph: each of its `<p>` on a line, then the rest (the attribution).
fn render(post: ElementRef<'_>) -> String {
    let mut lines: Vec<Vec<&str>> = Vec::new();
    let mut rest: Vec<&str> = Vec::new();
    for child in post.children() {
        match ElementRef::wrap(child) {
            Some(el) if el.value().name() == "p" => {
                lines.push(el.text().flat_map(str::split_whitespace).collect())
            }
            Some(el) => rest.extend(el.text().flat_map(str::split_whitespace)),
            None => {
                if let Node::Text(t) = child.value() {
                    rest.extend(t.split_whitespace());
                }
            }
        }
    }
    lines.push(rest);
    lines
        .iter()
        .filter(|l| !l.is_empty())
        .map(|l| l.join(" "))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The last `n` lower-cased words of the page's text before `el`, in order.
fn preceding_words(el: ElementRef<'_>, n: usize) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut node = *el;
    'walk: loop {
        let prev = match node.prev_sibling() {
            Some(p) => p,
            None => match node.parent() {
                Some(parent) => {
                    node = parent;
                    continue;
                }
                None => break,
            },
        };
        node = prev;
        // The sibling's own text, last words first.
        let texts: Vec<&str> = prev
            .descendants()
            .filter_map(|d| d.value().as_text().map(|t| &**t))
            .collect();
        for t in texts.iter().rev() {
            for w in lower_words(t).into_iter().rev() {
                found.push(w);
                if found.len() == n {
                    break 'walk;
                }
            }
        }
    }
    found.reverse();
    found
}

fn lower_words(s: &str) -> Vec<String> {
    segment::words(s)
        .into_iter()
        .map(str::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<html><body><article>
<p>The state unveiled a campaign on Monday and it drew ridicule online within hours.</p>
<blockquote class="twitter-tweet"><p lang="en">Yes this is real and the state paid for it https://t.co/x</p>&mdash; A Reader (@reader) November 18, 2019</blockquote>
<p>Officials defended the slogan on Tuesday, saying it had people talking.</p>
<blockquote class="twitter-tweet"><p>Already quoted in the text</p>&mdash; B (@b) November 19, 2019</blockquote>
</article></body></html>"#;

    #[test]
    fn a_missing_post_goes_back_after_the_paragraph_before_it() {
        let doc = Html::parse_document(PAGE);
        let text = "The state unveiled a campaign on Monday and it drew ridicule online within \
            hours.\n\nOfficials defended the slogan on Tuesday, saying it had people talking.\n\n\
            Already quoted in the text\n— B (@b) November 19, 2019";
        let out = restore(&doc, text).expect("the first post is restored");
        let paras: Vec<&str> = out.split("\n\n").collect();
        assert_eq!(
            paras[1],
            "Yes this is real and the state paid for it https://t.co/x\n— A Reader (@reader) November 18, 2019"
        );
        assert!(paras[2].starts_with("Officials defended"), "{out}");
        assert_eq!(
            paras.len(),
            4,
            "the post already there is not repeated: {out}"
        );
    }

    #[test]
    fn a_post_whose_place_is_not_in_the_text_is_left_out() {
        let doc = Html::parse_document(PAGE);
        let text = "Officials defended the slogan on Tuesday, saying it had people talking.";
        let out = restore(&doc, text);
        // The second post's anchor is there, so it alone comes back; the first one's is not.
        let out = out.expect("the second post is placed");
        assert!(!out.contains("Yes this is real"), "{out}");
        assert!(out.ends_with("— B (@b) November 19, 2019"), "{out}");
    }
}
