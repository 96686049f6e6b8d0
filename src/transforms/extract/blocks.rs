//! A structural second opinion for short pages: the text blocks (paragraphs, headings, list items,
//! quotes) of the page's article container, without navigation, headers, footers, asides, forms and
//! elements whose class or id names page furniture. rs-trafilatura falls back to a "baseline" for
//! short articles that runs every paragraph into one; this keeps the breaks.

use scraper::{ElementRef, Html, Selector};

/// Containers tried in order; the first that holds text blocks wins.
const CONTAINERS: &str = "[itemprop=articleBody], article, main, [role=main], body";
/// Elements that never hold article text.
const SKIPPED_TAGS: &[&str] = &[
    "nav", "header", "footer", "aside", "form", "button", "script", "style", "noscript",
    "template", "figure", "time", "h1",
];
/// Class or id fragments of page furniture.
const SKIPPED_NAMES: &[&str] = &[
    "cookie",
    "consent",
    "newsletter",
    "subscribe",
    "share",
    "social",
    "related",
    "comment",
    "pager",
    "pagination",
    "breadcrumb",
    "promo",
    "advert",
    "byline",
    "meta",
];
/// Elements whose text is one block.
const BLOCKS: &[&str] = &[
    "p",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "blockquote",
    "pre",
    "dd",
    "tr",
];

/// The article's text blocks, joined by blank lines (`- ` before list items); empty when the page
/// has no container with blocks.
pub(super) fn text_blocks(doc: &Html) -> String {
    let containers = Selector::parse(CONTAINERS).expect("valid selector");
    for container in doc.select(&containers) {
        let mut blocks = Vec::new();
        collect(container, &mut blocks);
        if !blocks.is_empty() {
            return blocks.join("\n\n");
        }
    }
    String::new()
}

/// The text blocks of the page's one `itemprop="articleBody"` element (schema.org microdata: the
/// publisher's own statement of where the body is); `None` when there is no such element or
/// several. (A sole `<article>` element was tried too: no gain on the benchmark, and it cost
/// recall where the element holds text outside paragraphs.)
pub(super) fn declared_body(doc: &Html) -> Option<String> {
    let sel = Selector::parse("[itemprop=articleBody]").expect("valid selector");
    let mut found = doc.select(&sel);
    match (found.next(), found.next()) {
        (Some(body), None) => body_blocks(body),
        _ => None,
    }
}

fn body_blocks(body: ElementRef<'_>) -> Option<String> {
    let mut blocks = Vec::new();
    collect(body, &mut blocks);
    let text: Vec<&str> = body.text().flat_map(str::split_whitespace).collect();
    let in_blocks: usize = blocks.iter().map(|b| b.split_whitespace().count()).sum();
    if in_blocks * 2 < text.len() {
        // Most of the body is bare text between line breaks: it is one block.
        return Some(text.join(" "));
    }
    (!blocks.is_empty()).then(|| blocks.join("\n\n"))
}

fn skipped(el: ElementRef<'_>) -> bool {
    let v = el.value();
    if SKIPPED_TAGS.contains(&v.name()) {
        return true;
    }
    let names = format!(
        "{} {}",
        v.attr("class").unwrap_or_default(),
        v.attr("id").unwrap_or_default()
    )
    .to_ascii_lowercase();
    SKIPPED_NAMES.iter().any(|n| names.contains(n)) || v.attr("hidden").is_some()
}

fn collect(el: ElementRef<'_>, out: &mut Vec<String>) {
    for child in el.children().filter_map(ElementRef::wrap) {
        if skipped(child) {
            continue;
        }
        let name = child.value().name();
        if BLOCKS.contains(&name) {
            let text = child
                .text()
                .flat_map(str::split_whitespace)
                .collect::<Vec<_>>()
                .join(" ");
            if !text.is_empty() {
                out.push(if name == "li" {
                    format!("- {text}")
                } else {
                    text
                });
            }
        } else {
            collect(child, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_of_the_article_container_skip_furniture() {
        let doc = Html::parse_document(
            r#"<body><nav><p>Home</p></nav><article><h1>Head</h1><time>today</time>
            <div class="cookie-note"><p>We use cookies</p></div>
            <div class="content"><p>First   paragraph.</p><h2>Section</h2><ul><li>Item</li></ul><p>Second.</p></div>
            <nav class="pager"><a>Next</a></nav></article><footer><p>(c)</p></footer></body>"#,
        );
        assert_eq!(
            text_blocks(&doc),
            "First paragraph.\n\nSection\n\n- Item\n\nSecond."
        );
    }

    #[test]
    fn declared_body_is_the_one_microdata_article_body() {
        let doc = Html::parse_document(
            r#"<body><article><p>Teaser one.</p></article><article><div itemprop="articleBody">
            <p>The body.</p><div class="share"><p>Share</p></div><table><tr><td>Seats</td><td>12</td></tr></table>
            </div></article></body>"#,
        );
        assert_eq!(
            declared_body(&doc).as_deref(),
            Some("The body.\n\nSeats 12")
        );
    }

    #[test]
    fn several_declared_bodies_declare_none() {
        let doc = Html::parse_document(
            r#"<body><div itemprop="articleBody"><p>One.</p></div><div itemprop="articleBody"><p>Two.</p></div></body>"#,
        );
        assert_eq!(declared_body(&doc), None);
    }

    #[test]
    fn a_body_of_bare_text_and_line_breaks_is_one_block() {
        let doc = Html::parse_document(
            r#"<body><div itemprop="articleBody">First line.<br>Second line.<br>Third line.<ul><li>x</li></ul></div></body>"#,
        );
        assert_eq!(
            declared_body(&doc).as_deref(),
            Some("First line. Second line. Third line. x")
        );
    }
}
