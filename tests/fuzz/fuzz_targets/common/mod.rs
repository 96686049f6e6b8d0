//! Invariant checks shared by the fuzz targets.

/// Sanitised HTML (`transforms::clean`) is rebuilt from tokens: every text `<` is escaped and every
/// attribute is written as ` name="value"` with `"` escaped inside, so each `<` starts a tag we wrote
/// and its attributes can be read back exactly. No tag may be active content, and every URL
/// attribute must hold an http(s) or mailto URL.
pub fn assert_sanitised(html: &str) {
    for tag in html.split('<').skip(1) {
        let tag = tag.split('>').next().unwrap_or_default();
        let name_len = tag
            .trim_start_matches('/')
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(tag.trim_start_matches('/').len());
        let name = tag.trim_start_matches('/')[..name_len].to_ascii_lowercase();
        assert!(
            !matches!(
                name.as_str(),
                "script" | "style" | "iframe" | "object" | "embed" | "form" | "svg" | "math"
            ),
            "active element <{name}> in sanitised HTML: {html}"
        );
        let mut rest = &tag.trim_start_matches('/')[name_len..];
        while let Some(attr) = rest.strip_prefix(' ') {
            let (attr_name, after) = attr
                .split_once("=\"")
                .unwrap_or_else(|| panic!("malformed attribute in <{tag}>"));
            let (value, after) = after
                .split_once('"')
                .unwrap_or_else(|| panic!("unterminated attribute in <{tag}>"));
            if matches!(attr_name, "href" | "src" | "cite") {
                let v = value.to_ascii_lowercase();
                assert!(
                    v.starts_with("http://")
                        || v.starts_with("https://")
                        || v.starts_with("mailto:"),
                    "unsafe URL attribute in sanitised HTML: <{tag}>"
                );
            }
            assert!(
                !attr_name.to_ascii_lowercase().starts_with("on"),
                "event handler attribute in sanitised HTML: <{tag}>"
            );
            rest = after;
        }
        assert!(
            rest.is_empty() || rest == "/",
            "unexpected text {rest:?} in sanitised tag <{tag}>"
        );
    }
}
