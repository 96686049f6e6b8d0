//! OPML 2.0 subscription lists: reading outlines with a feed URL, and writing a list back out.
//!
//! Pure: text in, text out. The CLI turns outlines into sources.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::transforms::clean::escape_attr;

/// One subscription read from an OPML file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outline {
    /// `title` or `text` of the outline (may be empty).
    pub title: String,
    /// `xmlUrl`: the feed.
    pub xml_url: String,
    /// `htmlUrl`: the site, when given.
    pub html_url: Option<String>,
    /// Titles of the enclosing category outlines, outermost first.
    pub categories: Vec<String>,
}

/// An OPML document that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("not a valid OPML document: {0}")]
pub struct OpmlError(String);

/// Every outline carrying an `xmlUrl`, in document order (nested categories included).
pub fn parse(text: &str) -> Result<Vec<Outline>, OpmlError> {
    let mut reader = Reader::from_str(text);
    let mut out = Vec::new();
    let mut path: Vec<String> = Vec::new();
    let mut saw_opml = false;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                saw_opml |= e.local_name().as_ref() == "opml";
                if e.local_name().as_ref() == "outline" {
                    let o = outline(&e)?;
                    path.push(
                        o.as_ref()
                            .map(|o| o.title.clone())
                            .unwrap_or_else(|| label(&e)),
                    );
                    if let Some(mut o) = o {
                        o.categories = path[..path.len() - 1].to_vec();
                        out.push(o);
                    }
                }
            }
            Ok(Event::Empty(e)) if e.local_name().as_ref() == "outline" => {
                if let Some(mut o) = outline(&e)? {
                    o.categories = path.clone();
                    out.push(o);
                }
            }
            Ok(Event::End(e)) if e.local_name().as_ref() == "outline" => {
                path.pop();
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => {
                return Err(OpmlError(format!(
                    "at byte {}: {e}",
                    reader.buffer_position()
                )));
            }
        }
    }
    if !saw_opml {
        return Err(OpmlError("no <opml> root element".into()));
    }
    Ok(out)
}

fn attr(e: &BytesStart<'_>, name: &str) -> Result<Option<String>, OpmlError> {
    for a in e.attributes() {
        let a = a.map_err(|err| OpmlError(err.to_string()))?;
        if a.key.local_name().as_ref().eq_ignore_ascii_case(name) {
            let v = a
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|err| OpmlError(err.to_string()))?;
            return Ok(Some(v.trim().to_string()));
        }
    }
    Ok(None)
}

fn label(e: &BytesStart<'_>) -> String {
    attr(e, "title")
        .ok()
        .flatten()
        .or_else(|| attr(e, "text").ok().flatten())
        .unwrap_or_default()
}

fn outline(e: &BytesStart<'_>) -> Result<Option<Outline>, OpmlError> {
    let Some(xml_url) = attr(e, "xmlUrl")?.filter(|u| !u.is_empty()) else {
        return Ok(None);
    };
    let title = attr(e, "title")?
        .filter(|t| !t.is_empty())
        .or(attr(e, "text")?)
        .unwrap_or_default();
    Ok(Some(Outline {
        title,
        xml_url,
        html_url: attr(e, "htmlUrl")?.filter(|u| !u.is_empty()),
        categories: Vec::new(),
    }))
}

/// Writes an OPML 2.0 document listing `outlines`.
pub fn write(title: &str, outlines: &[Outline]) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">\n  <head>\n    <title>",
    );
    escape_attr(&mut out, title);
    out.push_str("</title>\n    <dateCreated>");
    out.push_str(&chrono::Utc::now().to_rfc2822());
    out.push_str("</dateCreated>\n  </head>\n  <body>\n");
    for o in outlines {
        out.push_str("    <outline type=\"rss\" text=\"");
        escape_attr(&mut out, &o.title);
        out.push_str("\" title=\"");
        escape_attr(&mut out, &o.title);
        out.push_str("\" xmlUrl=\"");
        escape_attr(&mut out, &o.xml_url);
        out.push('"');
        if let Some(h) = &o.html_url {
            out.push_str(" htmlUrl=\"");
            escape_attr(&mut out, h);
            out.push('"');
        }
        out.push_str("/>\n");
    }
    out.push_str("  </body>\n</opml>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_outlines_and_escapes_round_trip() {
        let doc = r#"<?xml version="1.0"?><opml version="2.0"><head/><body>
            <outline text="Wires"><outline type="rss" text="A &amp; B" xmlUrl="https://a.example/f?x=1&amp;y=2"/></outline>
            <outline text="no feed here"/>
            <outline type="rss" title="C" text="ignored" xmlurl="https://c.example/rss" htmlUrl="https://c.example/"/>
            </body></opml>"#;
        let got = parse(doc).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].title, "A & B");
        assert_eq!(got[0].xml_url, "https://a.example/f?x=1&y=2");
        assert_eq!(got[0].categories, ["Wires"]);
        assert_eq!(got[1].title, "C");
        assert_eq!(got[1].html_url.as_deref(), Some("https://c.example/"));
        let again = parse(&write("x", &got)).unwrap();
        assert_eq!(again[0].xml_url, got[0].xml_url);
        assert_eq!(again[1].title, "C");
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(parse("<html><body/></html>").is_err());
        assert!(parse("<opml><body><outline xmlUrl=\"x\"</body>").is_err());
    }
}
