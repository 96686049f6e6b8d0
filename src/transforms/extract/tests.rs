//! Unit tests of extraction over small pages written for them.

use scraper::Selector;

use super::*;

const LEDE: &str = "Negotiators from both delegations met in Geneva on Tuesday to agree the terms of a ceasefire that would hold for at least ninety days, officials said.";
const SECOND: &str = "The agreement, which still has to be ratified by both parliaments, includes an exchange of prisoners and the reopening of two border crossings for humanitarian convoys.";
const THIRD: &str = "Observers from the monitoring mission will be deployed along the contact line within a week, and their first report is expected before the end of the month.";

fn page(head: &str, article: &str) -> String {
    format!(
        r#"<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8">{head}</head><body>
<header><nav class="menu"><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li>
<li><a href="/politics">Politics</a></li><li><a href="/business">Business</a></li></ul></nav></header>
<div id="cookie-banner" class="cookie-consent"><p>We use cookies to improve your experience. Accept all cookies?</p><button>Accept</button></div>
<main><article>{article}
<div class="newsletter-signup"><h3>Newsletter</h3><p>Sign up for our daily briefing newsletter.</p><form><input type="email"><button>Subscribe</button></form></div>
<nav class="post-navigation"><a rel="prev" href="/a1">Previous</a> <a rel="next" href="/a3">Next</a></nav>
</article></main>
<aside class="related"><h3>Most read</h3><ul><li><a href="/x">Markets rally on rate hopes</a></li><li><a href="/y">Storm warning for the coast</a></li></ul></aside>
<footer class="site-footer"><p>© 2026 Example News. All rights reserved.</p><ul><li><a href="/privacy">Privacy</a></li><li><a href="/terms">Terms</a></li></ul></footer>
</body></html>"#
    )
}

fn body() -> String {
    format!(
        "<h1>Ceasefire agreed in Geneva talks</h1><p>{LEDE}</p><h2>What the deal contains</h2><p>{SECOND}</p><p>{THIRD}</p>"
    )
}

#[test]
fn text_keeps_paragraphs_and_headings_and_drops_boilerplate() {
    let html = page(
        "<title>Ceasefire agreed in Geneva talks | Example News</title>",
        &body(),
    );
    let a = extract(&html, None);
    let paras: Vec<&str> = a.text.split("\n\n").collect();
    assert!(paras.contains(&LEDE), "{}", a.text);
    assert!(paras.contains(&SECOND), "{}", a.text);
    assert!(paras.contains(&THIRD), "{}", a.text);
    assert!(paras.contains(&"What the deal contains"), "{}", a.text);
    assert_eq!(
        paras[0], LEDE,
        "the headline repeating the title is not text"
    );
    for junk in [
        "Home",
        "Politics",
        "cookies",
        "Newsletter",
        "Sign up",
        "Previous",
        "Next",
        "Most read",
        "Markets rally",
        "All rights reserved",
        "Privacy",
    ] {
        assert!(!a.text.contains(junk), "{junk:?} kept in:\n{}", a.text);
    }
    assert_eq!(a.title.as_deref(), Some("Ceasefire agreed in Geneva talks"));
    assert_eq!(a.lang.as_deref(), Some("en-GB"));
}

#[test]
fn json_ld_inside_graph_gives_headline_author_and_date() {
    let head = r#"<title>Something else entirely - Example</title>
<script type="application/ld+json">{"@context":"https://schema.org","@graph":[
 {"@type":"WebSite","name":"Example News"},
 {"@type":["NewsArticle"],"headline":"Ceasefire agreed in Geneva","datePublished":"2026-03-10T08:30:00+01:00",
  "author":[{"@type":"Person","name":"Ana Lima"},{"@type":"Person","name":"Tom Reed"}]}]}</script>"#;
    let a = extract(&page(head, &body()), None);
    assert_eq!(a.title.as_deref(), Some("Ceasefire agreed in Geneva"));
    assert_eq!(a.byline.as_deref(), Some("Ana Lima, Tom Reed"));
    assert_eq!(
        a.published.map(|d| d.to_rfc3339()).as_deref(),
        Some("2026-03-10T08:30:00+01:00")
    );
}

#[test]
fn json_ld_array_with_cdata_wrapper_is_read() {
    let head = r#"<script type="application/ld+json"><![CDATA[
[{"@type":"BreadcrumbList"},{"@type":"ReportageNewsArticle","headline":"Border crossings reopen","author":"Sam Okafor","datePublished":"2026-01-02"}]
]]></script>"#;
    let a = extract(&page(head, &body()), None);
    assert_eq!(a.title.as_deref(), Some("Border crossings reopen"));
    assert_eq!(a.byline.as_deref(), Some("Sam Okafor"));
    assert_eq!(
        a.published.map(|d| d.to_rfc3339()).as_deref(),
        Some("2026-01-02T00:00:00+00:00")
    );
}

#[test]
fn opengraph_and_article_tags_give_metadata() {
    let head = r#"<title>Ceasefire agreed - Example News</title>
<meta property="og:site_name" content="Example News">
<meta property="og:title" content="Ceasefire agreed in Geneva - Example News">
<meta property="article:published_time" content="2026-03-10T07:30:00Z">
<meta property="article:author" content="https://example.org/staff/ana">
<meta name="author" content="Ana Lima">"#;
    let a = extract(&page(head, &body()), None);
    assert_eq!(a.title.as_deref(), Some("Ceasefire agreed in Geneva"));
    assert_eq!(
        a.byline.as_deref(),
        Some("Ana Lima"),
        "URLs are not bylines"
    );
    assert_eq!(
        a.published.map(|d| d.to_rfc3339()).as_deref(),
        Some("2026-03-10T07:30:00+00:00")
    );
}

#[test]
fn time_element_gives_the_date_when_nothing_else_does() {
    let art = format!(
        r#"{}<p class="byline">By <a rel="author" href="/ana">Ana Lima</a>, <time datetime="2026-02-01T10:00:00-05:00">1 February</time></p>"#,
        body()
    );
    let a = extract(&page("<title>Talks</title>", &art), None);
    assert_eq!(
        a.published.map(|d| d.to_rfc3339()).as_deref(),
        Some("2026-02-01T10:00:00-05:00")
    );
    assert_eq!(a.byline.as_deref(), Some("Ana Lima"));
}

#[test]
fn title_suffix_is_stripped_only_when_enough_words_remain() {
    use super::fields::strip_site_name;
    assert_eq!(
        strip_site_name("Ceasefire agreed in Geneva | The Daily", None, true),
        "Ceasefire agreed in Geneva"
    );
    assert_eq!(
        strip_site_name("Example News - Ceasefire agreed in Geneva", None, true),
        "Ceasefire agreed in Geneva"
    );
    assert_eq!(
        strip_site_name("Short - Title", None, true),
        "Short - Title"
    );
    assert_eq!(
        strip_site_name("Example News | Ceasefire", Some("Example News"), true),
        "Ceasefire"
    );
}

#[test]
fn selectors_override_automatic_fields() {
    let art = format!(
        r#"<h1 class="headline">Selected headline</h1><span class="who">Kim Park</span>
<span class="when" data-x="1">2026-04-05 09:00</span><div class="content"><p>{SECOND}</p></div>{}"#,
        body()
    );
    let html = page("<title>Automatic title here please</title>", &art);
    let sel = Selectors {
        title: Some(Selector::parse("h1.headline").unwrap()),
        body: Some(Selector::parse("div.content").unwrap()),
        published: Some(Selector::parse("span.when").unwrap()),
        author: Some(Selector::parse("span.who").unwrap()),
    };
    let a = extract_with(&html, None, &sel);
    assert_eq!(a.title.as_deref(), Some("Selected headline"));
    assert_eq!(a.byline.as_deref(), Some("Kim Park"));
    assert_eq!(a.text, SECOND);
    assert_eq!(
        a.published.map(|d| d.to_rfc3339()).as_deref(),
        Some("2026-04-05T09:00:00+00:00")
    );
}

#[test]
fn selectors_that_match_nothing_fall_back_to_automatic() {
    let html = page("<title>Ceasefire agreed in Geneva talks</title>", &body());
    let sel = Selectors {
        title: Some(Selector::parse(".nope").unwrap()),
        body: Some(Selector::parse(".nothing-here").unwrap()),
        ..Selectors::default()
    };
    let a = extract_with(&html, None, &sel);
    assert_eq!(a.title.as_deref(), Some("Ceasefire agreed in Geneva talks"));
    assert!(a.text.contains(LEDE));
}

#[test]
fn script_in_title_stays_text() {
    let html = page(
        "<title>&lt;script&gt;alert(1)&lt;/script&gt; Ceasefire agreed in Geneva</title>",
        &body(),
    );
    let a = extract(&html, None);
    assert!(a.html.as_deref().is_none_or(|h| !h.contains("<script")));
    assert!(a.title.unwrap().contains("Ceasefire"));
}

#[test]
fn empty_and_garbage_input_give_an_empty_article() {
    assert_eq!(extract("", None).text, "");
    let a = extract("<<<>>> not html at all", None);
    assert!(a.title.is_none());
}

#[test]
fn decode_html_honours_meta_charset() {
    let bytes = b"<html><head><meta charset=\"iso-8859-1\"></head><body>caf\xe9</body></html>";
    assert!(decode_html(bytes, None).contains("café"));
    assert!(decode_html("café".as_bytes(), Some("text/html; charset=utf-8")).contains("café"));
}

#[test]
fn decode_html_finds_a_late_meta_charset_and_trusts_the_bytes_over_a_wrong_one() {
    // The declaration after 3 KB of script, in a page that opens with a comment.
    let mut page = b"<!-- generated --><head><script>".to_vec();
    page.extend(std::iter::repeat_n(b'x', 3000));
    page.extend_from_slice(
        b"</script><meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1251\">\
        <title>\xcf\xf0\xe8\xe2\xe5\xf2</title></head>",
    );
    assert!(decode_html(&page, None).contains("<title>Привет</title>"));
    // Declared legacy, written in UTF-8: the bytes win.
    let lying =
        "<html><head><meta charset=\"iso-8859-1\"></head><body>Grüße aus Zürich</body></html>";
    assert!(decode_html(lying.as_bytes(), None).contains("Grüße aus Zürich"));
    // Undeclared and not UTF-8: windows-1252.
    assert!(decode_html(b"<p>caf\xe9 \x93quoted\x94</p>", None).contains("café “quoted”"));
    // UTF-16 with a BOM.
    let mut utf16 = vec![0xff, 0xfe];
    for u in "<p>Ελλάδα</p>".encode_utf16() {
        utf16.extend_from_slice(&u.to_le_bytes());
    }
    assert!(decode_html(&utf16, None).contains("Ελλάδα"));
}

#[test]
fn meta_property_tags_win_over_name_tags_and_dublin_core_comes_first() {
    let head = r#"<title>Title Element</title>
<meta name="og:title" content="Open Graph name title">
<meta name="DC.title" content="Dublin Core name title">
<meta property="dc:title" content="Dublin Core property title">
<meta property="og:title" content="Open Graph property title">
<meta name="author" content="Meta name author">
<meta property="dc:creator" content="Dublin Core property author">"#;
    let a = extract(&page(head, &body()), None);
    assert_eq!(a.title.as_deref(), Some("Dublin Core property title"));
    assert_eq!(a.byline.as_deref(), Some("Dublin Core property author"));
}

/// A teaser block: a headline link and a standfirst, as "more from this site" rails carry them.
fn teasers(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                r#"<div class="card"><h3><a href="/story/{i}">Story number {i} about the regional economy</a></h3>
<p>Analysts and officials from several ministries discussed the outlook for exports, prices and jobs in the region during week {i}, and most expected growth to pick up slowly.</p></div>"#
            )
        })
        .collect()
}

#[test]
fn text_outside_the_declared_article_body_is_dropped() {
    // The body is marked with schema.org microdata; a long rail of teasers follows it in the same
    // wrapper, with more text than the article itself.
    let html = format!(
        r#"<!DOCTYPE html><html lang="en"><head><title>Ceasefire agreed in Geneva talks</title></head><body>
<div class="wrapper"><h1>Ceasefire agreed in Geneva talks</h1>
<div itemprop="articleBody"><p>{LEDE}</p><p>{SECOND}</p><p>{THIRD}</p></div>
<div class="more">{}</div></div></body></html>"#,
        teasers(8)
    );
    let a = extract(&html, None);
    assert!(
        a.text.contains(LEDE) && a.text.contains(THIRD),
        "{}",
        a.text
    );
    assert!(!a.text.contains("regional economy"), "{}", a.text);
    assert!(!a.text.contains("Analysts and officials"), "{}", a.text);
}

#[test]
fn navigation_never_replaces_a_one_block_text() {
    // A short article whose text is one block: the page's own blocks (here a long menu) are used
    // for paragraph breaks only when they hold the same words.
    let menu: String = (0..30)
        .map(|i| format!("<li><a href=\"/s{i}\">Section {i}</a></li>"))
        .collect();
    let html = format!(
        r#"<!DOCTYPE html><html><head><title>Keeper signs</title></head><body><ul class="menu">{menu}</ul>
<div class="post-body">{LEDE} {SECOND}</div></body></html>"#
    );
    let a = extract(&html, None);
    assert!(a.text.contains("Negotiators"), "{}", a.text);
    assert!(!a.text.contains("Section 3"), "{}", a.text);
}

#[test]
fn a_short_article_run_together_keeps_its_paragraph_break() {
    // Too short for trafilatura's main pass: its baseline joins headline, date and paragraphs.
    let html = format!(
        r#"<!DOCTYPE html><html><head><title>Talks resume</title></head><body><nav><a href="/">Home</a></nav>
<article><h1>Talks resume</h1><time datetime="2026-10-30T08:15:00Z">30 October</time><p>{LEDE}</p><p>{SECOND}</p></article></body></html>"#
    );
    let a = extract(&html, None);
    assert_eq!(a.text, format!("{LEDE}\n\n{SECOND}"));
}

#[test]
fn the_metadata_pass_flags_the_pages_the_nesting_bound_would_rewrite() {
    let deep = |open: &str, n: usize| format!("<html><body>{}text</body></html>", open.repeat(n));
    let ordinary = "<html><head><title>T</title><script>if (a<b) {}</script></head><body>\
        <div><p>One<p>Two<ul><li>a<li>b</ul><table><tr><td>1<td>2</table></div></body></html>"
        .repeat(50);
    let cases = [
        (ordinary, false),
        (deep("<div>", 600), true),
        (deep("<span><div></span>", 400), true),
        (deep("<table><td>", 200), true),
        // `<style>` inside svg holds markup: the divs after it nest in the tree.
        (
            format!("<svg><style>{}</style></svg>", "<div>".repeat(600)),
            true,
        ),
        // `<script>` outside foreign content is raw text: what it holds is not nesting.
        (format!("<script>{}</script>", "<div>".repeat(600)), false),
        (deep("<p>x", crate::decode::depth::MAX_ELEMENTS + 10), true),
    ];
    for (page, past) in cases {
        let head = &page[..page.len().min(60)];
        assert_eq!(super::meta::scan(&page).exceeds_bounds, past, "{head}");
        assert_eq!(crate::decode::depth::bounded(&page).1, past, "{head}");
    }
    // Extraction of a page past the bounds keeps its text.
    let page = format!(
        "<html><head><title>Deep</title></head><body>{}<p>The ministry denied the plot.</p></body></html>",
        "<div>".repeat(5_000)
    );
    assert!(
        extract(&page, None)
            .text
            .contains("The ministry denied the plot.")
    );
}

#[test]
fn the_metadata_pass_counts_the_declared_bodies_the_selector_would_find() {
    // A JSON-LD `articleBody`, a script string and a multi-token itemprop are not declared bodies;
    // attribute names are case-insensitive, values are not.
    let page = r#"<html><head><script type="application/ld+json">{"@type":"NewsArticle","articleBody":"x"}</script></head>
<body><div itemprop="articleBody"><p>x</p></div><section ITEMPROP=articleBody></section>
<div itemprop="articleBody text"></div><div itemprop="articlebody"></div>
<script>var s = '<div itemprop="articleBody">';</script></body></html>"#;
    let selector = scraper::Selector::parse("[itemprop=articleBody]").unwrap();
    let in_tree = scraper::Html::parse_document(page)
        .select(&selector)
        .count();
    assert_eq!(in_tree, 2);
    assert_eq!(super::meta::scan(page).declared_bodies, in_tree);
}

#[test]
fn scripts_and_styles_are_emptied_before_extraction_and_json_ld_kept() {
    let page = "<html><head><style>p { color: red }</style>\
<script type=\"application/ld+json\">{\"headline\": \"Kept\"}</script>\
<SCRIPT src=x.js>var a = '</p>' < 3;</SCRIPT ></head>\
<body><p>Text &amp; more.</p><script>\r\nif (a</b) { x(); }</script><svg><style>.s{}</style></svg>\
<textarea><script>not code</script></textarea></body></html>";
    let meta = super::meta::scan(page);
    assert_eq!(
        meta.slimmed(page),
        "<html><head><style></style>\
<script type=\"application/ld+json\">{\"headline\": \"Kept\"}</script>\
<SCRIPT src=x.js></SCRIPT ></head>\
<body><p>Text &amp; more.</p><script></script><svg><style>.s{}</style></svg>\
<textarea><script>not code</script></textarea></body></html>"
    );
}

#[test]
fn whitespace_runs_are_collapsed_except_where_they_are_the_text() {
    let page = "<html>\n  <head>\n    <script type=\"application/ld+json\">{\"a\":  1}</script>\n\
  </head>\n  <body>\n    <p class=\"x   y\">One   two\t\tthree</p>\n\
    <pre>  keep\n\n    this  </pre>  <PRE>a  <b>b  </b>\n\n c</PRE>\n\
    <textarea>  as   typed </textarea>\r\n<script>  code  </script>  <p>é  ü</p>\n  <pre>open  end";
    let meta = super::meta::scan(page);
    assert_eq!(
        meta.slimmed(page),
        "<html>\n<head>\n<script type=\"application/ld+json\">{\"a\":  1}</script>\n\
</head>\n<body>\n<p class=\"x y\">One two three</p>\n\
<pre>  keep\n\n    this  </pre> <PRE>a  <b>b  </b>\n\n c</PRE>\n\
<textarea>  as   typed </textarea>\n<script></script> <p>é ü</p>\n<pre>open  end"
    );
}

/// An article whose body carries link furniture inside it, where trafilatura keeps it: a promoted
/// headline in capitals between paragraphs, and related headlines after the last one.
fn article_with_link_furniture(tail: &str) -> String {
    format!(
        r#"<!DOCTYPE html><html lang="en"><head><title>Ceasefire agreed in Geneva talks</title></head><body>
<article><h1>Ceasefire agreed in Geneva talks</h1><div class="article-body"><p>{LEDE}</p>
<p><strong><a href="/promo">MINISTERS CLASH OVER BUDGET PLANS AHEAD OF THE VOTE</a></strong></p>
<p>{SECOND} The talks were described as <a href="/context">difficult but constructive</a> by both sides.</p>
<p>{THIRD}</p>{tail}</div></article></body></html>"#
    )
}

#[test]
fn link_furniture_after_and_between_paragraphs_is_dropped() {
    let tail = r#"<p>You may also like</p><p><a href="/r1">Storm warning issued for the northern coast tonight</a></p>
<ul><li><a href="/r2">Markets rally as central bank signals a pause</a></li><li><a href="/r3">Rail strike called off after late-night deal</a></li></ul>"#;
    let html = article_with_link_furniture(tail);
    let a = extract(&html, None);
    for kept in [LEDE, THIRD, "difficult but constructive by both sides."] {
        assert!(a.text.contains(kept), "{kept:?} missing from {}", a.text);
    }
    for junk in [
        "MINISTERS CLASH",
        "Storm warning",
        "Markets rally",
        "Rail strike",
    ] {
        assert!(!a.text.contains(junk), "{junk:?} kept in {}", a.text);
    }
    // Trafilatura alone keeps them: the step is what drops them.
    let steps = Steps {
        link_blocks: false,
        ..Steps::default()
    };
    let raw = extract_steps(&html, None, &Selectors::default(), &steps);
    assert!(
        raw.text.contains("MINISTERS CLASH") && raw.text.contains("Storm warning"),
        "{}",
        raw.text
    );
}

proptest::proptest! {
    /// Slimming never panics on any mix of tags, raw text, multi-byte characters and whitespace,
    /// and changes nothing but whitespace besides emptying scripts and styles.
    #[test]
    fn slimming_changes_only_whitespace_and_code(parts in proptest::collection::vec(
        proptest::sample::select(vec![
            "<pre>", "</pre>", "<PRE >", "<listing>", "</listing>", "<textarea>", "</textarea>",
            "<script>", "</script>", "<style>", "</style>", "<script type=\"application/ld+json\">",
            "<svg>", "</svg>", "<p class=\"a  b\">", "</p>", "<!-- c  c -->", "é", "\u{a0}", "  ",
            "\n\n", "\t", "\r\n", " ", "x", "<", ">", "&amp;", "<pre/>", "</", "<noscript>",
        ]),
        0..40,
    )) {
        let page: String = parts.concat();
        let meta = super::meta::scan(&page);
        let slim = meta.slimmed(&page);
        let mut without_code = String::new();
        let mut from = 0;
        for r in &meta.code {
            without_code.push_str(&page[from..r.start]);
            from = r.end;
        }
        without_code.push_str(&page[from..]);
        let strip = |s: &str| s.chars().filter(|c| !c.is_ascii_whitespace()).collect::<String>();
        proptest::prop_assert_eq!(strip(&slim), strip(&without_code));
        proptest::prop_assert!(slim.len() <= without_code.len());
    }

    /// Our own body rules never panic on any nesting of containers, furniture, lists, tables,
    /// links and line breaks; every word they give is a word of the page's text, and the text
    /// keeps its format (no blank-line runs, no whitespace at either end of a paragraph).
    #[test]
    fn own_rules_give_only_page_words_in_the_text_format(parts in proptest::collection::vec(
        proptest::sample::select(vec![
            "<article>", "</article>", "<div class=\"entry-content\">", "<div class=\"share\">",
            "<div id=\"comments\">", "</div>", "<p>", "</p>", "<ul>", "<li>", "</ul>",
            "<table><tr><td>", "</td><td>", "</table>", "<a href=\"/x\">", "</a>", "<br>",
            "<h2>", "</h2>", "<b>", "</b>", "<script>var x;</script>", "<span hidden>",
            "Geneva talks resume with both delegations present and monitors on the line ",
            "Geneva talks resume with both delegations present and monitors on the line ",
            "Geneva talks resume with both delegations present and monitors on the line ",
            "Geneva talks resume with both delegations present and monitors on the line ",
            "convoys", "é", " ", "\n", "&amp;", ".",
        ]),
        0..60,
    )) {
        let page: String = parts.concat();
        let doc = scraper::Html::parse_document(&page);
        let text = super::content::find(&doc).map(|b| super::content::render(&b).0).unwrap_or_default();
        let words: std::collections::HashSet<String> = ["Geneva talks resume with both delegations present and monitors on the line", "convoys", "é", "&", ".", "-"]
            .iter()
            .flat_map(|s| s.split_whitespace().map(str::to_string))
            .collect();
        for para in text.split("\n\n") {
            proptest::prop_assert!(!para.is_empty() || text.is_empty(), "{:?}", text);
            proptest::prop_assert_eq!(para.trim(), para);
            for w in para.split_whitespace() {
                // Touching text nodes join ("convoys." or "éconvoys"), so check by pieces.
                let mut rest = w;
                while !rest.is_empty() {
                    let piece = words.iter().filter(|p| rest.starts_with(p.as_str())).max_by_key(|p| p.len());
                    proptest::prop_assert!(piece.is_some(), "{w:?} in {:?}", text);
                    rest = &rest[piece.unwrap().len()..];
                }
            }
        }
    }
}
