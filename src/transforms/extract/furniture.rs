//! Page furniture that rs-trafilatura keeps inside the article's text, told apart by structure:
//! paragraphs that are (almost) all link text are pointers to other pages, not part of this one,
//! where they trail the article (related headlines, tag lists, "next/previous" teasers) or shout
//! in capitals ("CLICK HERE TO GET THE APP", promoted headlines between paragraphs). Link
//! paragraphs elsewhere stay: in-text link lists, tables of contents and "Related:" lines are part
//! of the article for some readers (Readability keeps them).

use std::collections::HashMap;
use std::ops::Range;

use scraper::Html;

use super::segment;

/// A paragraph of trafilatura's baseline text whose words lie at least this much inside links in
/// the page is a link block.
const BASELINE_LINK_SHARE: f64 = 0.5;
/// A paragraph whose letters and digits lie at least this much inside links is a link block.
const LINK_SHARE: f64 = 0.8;
/// After the last paragraph of the article, what follows is furniture when each paragraph is at
/// least this much links or shorter than [`SHORT_WORDS`] words.
const TAIL_LINK_SHARE: f64 = 0.5;
const SHORT_WORDS: usize = 4;
/// A link block in capitals anywhere is a promotion when it has at least this many words.
const CAPS_WORDS: usize = 5;

struct Para<'a> {
    text: &'a str,
    words: usize,
    share: f64,
}

/// For each `\n\n`-separated part of `text`, whether it is link furniture: `links` are the byte
/// ranges of `text` that came from inside `<a>` elements, in order.
pub(super) fn link_paragraphs(text: &str, links: &[Range<usize>]) -> Vec<bool> {
    let paras = measure(text, links);
    let mut flags = vec![false; paras.len()];
    // Walking back from the end: `tail` holds while every paragraph seen is link-heavy or short.
    let mut tail = true;
    for (i, p) in paras.iter().enumerate().rev() {
        let block = p.words > 0 && p.share >= LINK_SHARE;
        let citation = p.text.contains("://") || p.text.contains("www.");
        flags[i] = block && !citation && (tail || (p.words >= CAPS_WORDS && capitals(p.text)));
        tail &= p.words < SHORT_WORDS || p.share >= TAIL_LINK_SHARE;
    }
    flags
}

/// For each `\n\n`-separated part of `text`, trafilatura's baseline text (taken from the page's
/// text blocks when its main pass finds nothing, and without HTML of its own), whether most of its
/// words are, in the page, link words: menus, tag clouds, archive and related-post lists. The
/// baseline leaves out and reorders some of the page's text, so a word counts by how often it
/// occurs inside links of all its occurrences in the page; a word not in the page counts as text.
pub(super) fn page_link_paragraphs(doc: &Html, text: &str) -> Vec<bool> {
    // Word -> (occurrences inside links, occurrences).
    let mut seen: HashMap<&str, (u32, u32)> = HashMap::new();
    for node in doc.tree.root().descendants() {
        let Some(t) = node.value().as_text() else {
            continue;
        };
        let mut in_link = false;
        let mut code = false;
        for a in node.ancestors() {
            if let Some(e) = a.value().as_element() {
                match e.name() {
                    "a" => in_link = true,
                    "script" | "style" | "noscript" | "template" | "title" => code = true,
                    _ => {}
                }
            }
        }
        if code {
            continue;
        }
        for w in segment::words(t) {
            let e = seen.entry(w).or_default();
            e.0 += u32::from(in_link);
            e.1 += 1;
        }
    }
    text.split("\n\n")
        .map(|para| {
            let words = segment::words(para);
            let linked: f64 = words
                .iter()
                .filter_map(|w| seen.get(w))
                .map(|&(l, n)| f64::from(l) / f64::from(n))
                .sum();
            !words.is_empty() && linked >= BASELINE_LINK_SHARE * words.len() as f64
        })
        .collect()
}

fn measure<'a>(text: &'a str, links: &[Range<usize>]) -> Vec<Para<'a>> {
    let mut out = Vec::new();
    let (mut start, mut next_link) = (0, 0);
    for para in text.split("\n\n") {
        let end = start + para.len();
        let total = alnum(para);
        let mut linked = 0;
        while next_link < links.len() && links[next_link].end <= start {
            next_link += 1;
        }
        for link in links[next_link..].iter().take_while(|l| l.start < end) {
            let (s, e) = (link.start.max(start), link.end.min(end));
            if s < e {
                linked += text.get(s..e).map_or(0, alnum);
            }
        }
        out.push(Para {
            text: para,
            words: segment::word_count(para),
            share: if total == 0 {
                0.0
            } else {
                linked as f64 / total as f64
            },
        });
        start = end + 2;
    }
    out
}

fn alnum(s: &str) -> usize {
    s.chars().filter(|c| c.is_alphanumeric()).count()
}

/// At least ten letters, nine in ten of them capitals.
fn capitals(s: &str) -> bool {
    let (mut letters, mut upper) = (0, 0);
    for c in s.chars().filter(|c| c.is_alphabetic()) {
        letters += 1;
        upper += usize::from(c.is_uppercase());
    }
    letters >= 10 && upper * 10 >= letters * 9
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `parts` as paragraphs; those marked `true` are wholly link text.
    fn text_and_links(parts: &[(&str, bool)]) -> (String, Vec<Range<usize>>) {
        let (mut text, mut links) = (String::new(), Vec::new());
        for (i, (p, linked)) in parts.iter().enumerate() {
            if i > 0 {
                text.push_str("\n\n");
            }
            if *linked {
                links.push(text.len()..text.len() + p.len());
            }
            text.push_str(p);
        }
        (text, links)
    }

    #[test]
    fn trailing_link_blocks_and_promotions_in_capitals_are_furniture() {
        let (text, links) = text_and_links(&[
            ("The minister said talks would resume on Monday.", false),
            ("MINISTERS CLASH OVER BUDGET PLANS AHEAD OF VOTE", true),
            ("Observers expect a deal by Friday, officials said.", false),
            ("More from us", false),
            ("Storm warning issued for the coast tonight", true),
            ("- Markets rally\n- Rail strike called off", true),
        ]);
        assert_eq!(
            link_paragraphs(&text, &links),
            [false, true, false, false, true, true]
        );
    }

    #[test]
    fn link_lists_before_prose_and_cited_addresses_are_not() {
        let (text, links) = text_and_links(&[
            ("- Understanding the terms\n- Prisoner exchanges", true),
            ("The minister said talks would resume on Monday.", false),
            ("Read the report on the ceasefire terms", true),
            ("Observers expect a deal by Friday, officials said.", false),
            ("https://example.org/reports/ceasefire", true),
        ]);
        assert_eq!(
            link_paragraphs(&text, &links),
            [false, false, false, false, false]
        );
    }

    #[test]
    fn a_paragraph_with_some_links_is_not_a_link_block() {
        let text = "Observers from the mission expect a deal by Friday.";
        let at = text.find("mission").unwrap();
        let link = Range {
            start: at,
            end: at + 7,
        };
        assert_eq!(link_paragraphs(text, &[link]), [false]);
    }

    #[test]
    fn baseline_paragraphs_of_link_words_are_furniture() {
        // The text blocks trafilatura's baseline takes from a page without paragraphs: the
        // headline and body (bare text between line breaks), a tag cloud, an archive list (in
        // another order than the page's) and the site's address.
        let tags: String = (0..30)
            .map(|i| format!(r#"<a href="/tag/{i}">Topic{i} theme</a> "#))
            .collect();
        let archive: String = (0..12)
            .map(|i| format!(r#"<li><a href="/archive/{i}">Month{i} archive</a> ({i})</li>"#))
            .collect();
        let doc = Html::parse_document(&format!(
            r#"<html><head><title>Talks resume</title></head><body><ul class="side">{archive}</ul>
            <div class="main">Talks resume<br><br>The minister said <a href="/geneva">talks in Geneva</a>
            would resume on Monday.<br>Observers expect a deal by Friday.</div>
            <div class="tags">Topics {tags}</div><div>Main Street 1 - Phone 555</div></body></html>"#
        ));
        let cloud: Vec<String> = (0..30).map(|i| format!("Topic{i} theme")).collect();
        let months: Vec<String> = (0..12).rev().map(|i| format!("Month{i} archive")).collect();
        let text = format!(
            "Talks resume The minister said talks in Geneva would resume on Monday. Observers expect a deal by Friday.\n\nTopics {}\n\n{}\n\nMain Street 1 - Phone 555",
            cloud.join(" "),
            months.join(" ")
        );
        assert_eq!(
            page_link_paragraphs(&doc, &text),
            [false, true, true, false]
        );
    }
}
