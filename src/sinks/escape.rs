//! Makes untrusted text safe for each destination's markup: strips invisible and terminal control
//! characters, escapes or neutralises formatting and mentions, and caps lengths on character boundaries.
//!
//! Every function takes feed-supplied text (titles, summaries, snippets, names) and returns text that
//! renders as itself. Nothing here builds payloads; the renderers choose which escaper fits each field.

/// The mark appended to text that was cut short.
pub const ELLIPSIS: char = '…';

/// Zero-width space: invisible, but breaks the character sequences that chat markup reacts to.
const ZWSP: char = '\u{200B}';

/// How a destination counts the length of a string against its limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// Unicode scalar values (Slack, Teams, ntfy titles).
    Chars,
    /// UTF-16 code units, as JavaScript counts (Discord, counted conservatively).
    Utf16,
    /// UTF-8 bytes (ntfy message bodies).
    Bytes,
}

impl Measure {
    /// The length of `s` in this unit.
    pub fn len(self, s: &str) -> usize {
        match self {
            Measure::Chars => s.chars().count(),
            Measure::Utf16 => s.encode_utf16().count(),
            Measure::Bytes => s.len(),
        }
    }

    fn char_len(self, c: char) -> usize {
        match self {
            Measure::Chars => 1,
            Measure::Utf16 => c.len_utf16(),
            Measure::Bytes => c.len_utf8(),
        }
    }
}

/// Removes what must never reach a reader: NUL and other C0 controls except `\n` and `\t`
/// (`\r\n` and a lone `\r` become `\n`), DEL, C1 controls, ANSI escape sequences (CSI, OSC and
/// two-character escapes) and the bidirectional embedding, override and isolate characters
/// (U+202A–U+202E, U+2066–U+2069).
pub fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' | '\t' => out.push(c),
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push('\n');
                }
            }
            '\u{1B}' => match chars.peek() {
                Some('[') => {
                    chars.next();
                    skip_csi(&mut chars);
                }
                Some(']') => {
                    chars.next();
                    skip_osc(&mut chars);
                }
                Some(&next) if ('\u{40}'..='\u{5F}').contains(&next) => {
                    chars.next();
                }
                _ => {}
            },
            '\u{9B}' => skip_csi(&mut chars),
            '\u{9D}' => skip_osc(&mut chars),
            c if is_bidi_control(c) || c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Skips the rest of a CSI sequence: parameter and intermediate bytes, then one final byte.
fn skip_csi(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(&c) = chars.peek() {
        if ('\u{20}'..='\u{3F}').contains(&c) {
            chars.next();
        } else {
            if ('\u{40}'..='\u{7E}').contains(&c) {
                chars.next();
            }
            return;
        }
    }
}

/// Skips the rest of an OSC sequence, up to and including BEL or the ST (`ESC \`) that ends it.
fn skip_osc(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(c) = chars.next() {
        match c {
            '\u{7}' | '\u{9C}' => return,
            '\u{1B}' => {
                if chars.peek() == Some(&'\\') {
                    chars.next();
                }
                return;
            }
            _ => {}
        }
    }
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Cleans `s` and collapses every run of whitespace (newlines included) into one space: for titles,
/// names and other single-line fields.
pub fn one_line(s: &str) -> String {
    clean(s).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Cuts `s` to at most `max` units of `measure`, on a character boundary, ending with "…" when
/// anything was cut. Trailing whitespace before the mark is dropped.
pub fn truncate(s: &str, max: usize, measure: Measure) -> String {
    if measure.len(s) <= max {
        return s.to_owned();
    }
    let budget = max.saturating_sub(measure.char_len(ELLIPSIS));
    let mut used = 0;
    let mut end = 0;
    for (i, c) in s.char_indices() {
        let n = measure.char_len(c);
        if used + n > budget {
            break;
        }
        used += n;
        end = i + c.len_utf8();
    }
    let mut out = s[..end].trim_end().to_owned();
    if measure.len(&out) + measure.char_len(ELLIPSIS) <= max {
        out.push(ELLIPSIS);
    }
    out
}

/// Cuts `s` to at most `max_chars` characters at the last word boundary that fits, ending with "…"
/// when anything was cut; falls back to a character cut when the first word alone is too long.
pub fn excerpt(s: &str, max_chars: usize) -> String {
    if s.chars().count() <= max_chars {
        return s.to_owned();
    }
    let cut = truncate(s, max_chars, Measure::Chars);
    let body = cut.trim_end_matches(ELLIPSIS);
    let next = s[body.len()..].chars().next();
    let at_boundary = next.is_none_or(char::is_whitespace);
    let kept = match body.rfind(char::is_whitespace) {
        Some(i) if !at_boundary && i > 0 => &body[..i],
        _ => body,
    };
    format!("{}{ELLIPSIS}", kept.trim_end())
}

/// Escapes `raw` with `escape` and fits the result into `max` units: when escaping makes the text
/// longer than the limit, the raw text is cut further, so that no escape sequence is ever split.
pub fn fit(raw: &str, max: usize, measure: Measure, escape: impl Fn(&str) -> String) -> String {
    let mut budget = max;
    loop {
        let out = escape(&truncate(raw, budget, measure));
        let len = measure.len(&out);
        if len <= max || budget == 0 {
            return out;
        }
        // Escapes expand the text unevenly: shrink the raw budget in proportion, by one at least.
        budget = (budget * max / len).min(budget - 1);
    }
}

/// Slack `mrkdwn`: cleans, escapes `&`, `<` and `>` as entities (so no `<!channel>`, `<@U…>` or
/// `<url|text>` can form), and puts zero-width spaces around `*`, `_`, `~` and `` ` `` and after `@`,
/// which stops Slack from reading them as formatting or mentions. Slack has no escape character.
pub fn slack_mrkdwn(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in clean(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '*' | '_' | '~' | '`' => {
                out.push(ZWSP);
                out.push(c);
                out.push(ZWSP);
            }
            '@' => {
                out.push('@');
                out.push(ZWSP);
            }
            c => out.push(c),
        }
    }
    out
}

/// Slack `plain_text` objects are shown as written (no formatting, links or mentions), so this only
/// cleans.
pub fn slack_plain(s: &str) -> String {
    clean(s)
}

/// The URL half of a Slack `<url|text>` link: `&` as an entity, and `<`, `>`, `|` and spaces
/// percent-encoded so that they cannot end the link early.
pub fn slack_url(url: &str) -> String {
    replace_chars(url, |c| match c {
        '&' => Some("&amp;"),
        '<' => Some("%3C"),
        '>' => Some("%3E"),
        '|' => Some("%7C"),
        ' ' => Some("%20"),
        _ => None,
    })
}

/// `s` with each character for which `map` gives a replacement replaced.
fn replace_chars(s: &str, map: impl Fn(char) -> Option<&'static str>) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match map(c) {
            Some(r) => out.push_str(r),
            None => out.push(c),
        }
    }
    out
}

/// Whether the text after `c` is still at the start of a line (only blanks since the newline).
fn still_line_start(c: char, line_start: bool) -> bool {
    c == '\n' || (line_start && (c == ' ' || c == '\t'))
}

/// Discord markdown: cleans, backslash-escapes what Discord's markdown reacts to (`\\`, `*`, `_`,
/// `~`, `` ` ``, `|` spoilers, `[`/`]` masked links, `<` mentions and timestamps, and `#`, `-`, `+`
/// and `>` at the start of a line) and puts a zero-width space after `@`, so `@everyone`, `@here`
/// and `<@id>` ping nobody even where `allowed_mentions` is ignored.
pub fn discord_markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut line_start = true;
    for c in clean(s).chars() {
        match c {
            '\\' | '*' | '_' | '~' | '`' | '|' | '[' | ']' | '<' => {
                out.push('\\');
                out.push(c);
            }
            '#' | '-' | '+' | '>' if line_start => {
                out.push('\\');
                out.push(c);
            }
            '@' => {
                out.push('@');
                out.push(ZWSP);
            }
            c => out.push(c),
        }
        line_start = still_line_start(c, line_start);
    }
    out
}

/// The URL of a Discord masked link `[text](url)`: parentheses, angle brackets and spaces
/// percent-encoded so that they cannot end the link early.
pub fn discord_url(url: &str) -> String {
    replace_chars(url, |c| match c {
        '(' => Some("%28"),
        ')' => Some("%29"),
        '<' => Some("%3C"),
        '>' => Some("%3E"),
        ' ' => Some("%20"),
        _ => None,
    })
}

/// Teams Adaptive Card `TextBlock`: cleans, backslash-escapes the markdown subset cards interpret
/// (`*`, `_`, `~`, `` ` ``, `[`, `]` — so no `[text](url)` link forms — and `#`, `>`, `-`, `+` and
/// `1.` at the start of a line), breaks `{{` so no `{{DATE(…)}}` function forms, and puts a zero-width space after `<` so
/// no tag (`<at>`, `<script>`) can form.
pub fn teams_markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut line_start = true;
    let mut prev = '\n';
    let cleaned = clean(s);
    let mut chars = cleaned.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' | '*' | '_' | '~' | '`' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            '#' | '>' | '-' | '+' if line_start => {
                out.push('\\');
                out.push(c);
            }
            '.' if prev.is_ascii_digit() && starts_with_number(&out) => {
                out.push('\\');
                out.push('.');
            }
            '{' if chars.peek() == Some(&'{') => {
                out.push('{');
                out.push(ZWSP);
            }
            '<' => {
                out.push('<');
                out.push(ZWSP);
            }
            c => out.push(c),
        }
        line_start = still_line_start(c, line_start);
        prev = c;
    }
    out
}

/// Whether the current line of `out` so far is only optional indentation and digits (a `1.` list
/// marker is about to form).
fn starts_with_number(out: &str) -> bool {
    let line = out.rsplit('\n').next().unwrap_or(out).trim_start();
    !line.is_empty() && line.chars().all(|c| c.is_ascii_digit())
}

/// ntfy messages are published with markdown off, so they are plain text: this only cleans.
pub fn ntfy_plain(s: &str) -> String {
    clean(s)
}

/// `url` when it is an absolute `http` or `https` URL (as the parser normalises it), else `None`:
/// destinations reject or mishandle anything else as a link target.
pub fn http_url(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url.trim()).ok()?;
    matches!(parsed.scheme(), "http" | "https").then(|| parsed.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_strips_nul_c0_del_c1_but_keeps_newline_and_tab() {
        assert_eq!(clean("a\0b\u{7}c\u{7F}d\u{85}e\tf\ng"), "abcde\tf\ng");
        assert_eq!(clean("one\r\ntwo\rthree"), "one\ntwo\nthree");
    }

    #[test]
    fn clean_strips_ansi_csi_osc_and_two_char_escapes() {
        assert_eq!(clean("\x1b[31mred\x1b[0m plain"), "red plain");
        assert_eq!(clean("\x1b[1;38;5;196mx"), "x");
        assert_eq!(clean("\x1b]8;;http://evil\x07link\x1b]8;;\x1b\\"), "link");
        assert_eq!(clean("a\x1bMb\u{9B}2Jc"), "abc");
    }

    #[test]
    fn clean_strips_bidi_embeddings_overrides_and_isolates() {
        assert_eq!(
            clean("abc\u{202E}fed\u{202C} \u{2066}x\u{2069}\u{202A}"),
            "abcfed x"
        );
    }

    #[test]
    fn one_line_collapses_newlines_and_runs_of_spaces() {
        assert_eq!(one_line("  a\n\n b\t c \x1b[1m "), "a b c");
    }

    #[test]
    fn truncate_cuts_on_char_boundaries_with_ellipsis() {
        assert_eq!(truncate("short", 10, Measure::Chars), "short");
        assert_eq!(truncate("abcdefgh", 5, Measure::Chars), "abcd…");
        assert_eq!(truncate("ééééé", 3, Measure::Chars), "éé…");
        // "é" is two bytes and "…" three: 8 bytes hold two é and the mark.
        assert_eq!(truncate("ééééé", 8, Measure::Bytes), "éé…");
        // An emoji is two UTF-16 units.
        assert_eq!(truncate("😀😀😀", 4, Measure::Utf16), "😀…");
        assert_eq!(truncate("ab   cdef", 6, Measure::Chars), "ab…");
    }

    #[test]
    fn excerpt_cuts_on_a_word_boundary() {
        assert_eq!(excerpt("alpha beta gamma", 100), "alpha beta gamma");
        assert_eq!(excerpt("alpha beta gamma", 12), "alpha beta…");
        assert_eq!(excerpt("alpha beta gamma", 11), "alpha beta…");
        assert_eq!(excerpt("alphabetagamma", 6), "alpha…");
        assert!(excerpt(&"word ".repeat(200), 500).chars().count() <= 500);
    }

    #[test]
    fn fit_never_splits_an_escape_and_respects_the_limit() {
        let out = fit("a&b&c&d&e", 12, Measure::Chars, slack_mrkdwn);
        assert!(out.chars().count() <= 12, "{out}");
        assert!(out.ends_with('…'));
        assert!(!out.contains("&am…"));
    }

    #[test]
    fn slack_mrkdwn_escapes_entities_mentions_and_formatting() {
        let out = slack_mrkdwn("<!channel> & <@U123> *bold* _it_ ~s~ `c` @here");
        assert!(out.contains("&lt;!channel&gt;"));
        assert!(out.contains("&amp;"));
        assert!(out.contains("&lt;@\u{200B}U123&gt;"));
        assert!(!out.contains('<') && !out.contains('>'));
        assert!(!out.contains("*bold*") && !out.contains("_it_") && !out.contains("~s~"));
        assert!(out.contains("@\u{200B}here"));
    }

    #[test]
    fn slack_url_cannot_end_the_link_early() {
        assert_eq!(
            slack_url("https://x.org/a?b=1&c=<2>|3 4"),
            "https://x.org/a?b=1&amp;c=%3C2%3E%7C3%204"
        );
    }

    #[test]
    fn discord_markdown_escapes_control_chars_and_mentions() {
        let out = discord_markdown("**b** __u__ ||s|| [x](y) <@123> @everyone `c` \\ a-b #1 >");
        assert_eq!(
            out,
            concat!(
                "\\*\\*b\\*\\* \\_\\_u\\_\\_ \\|\\|s\\|\\| \\[x\\](y) \\<@\u{200B}123> ",
                "@\u{200B}everyone \\`c\\` \\\\ a-b #1 >"
            )
        );
        assert_eq!(
            discord_markdown("# h\n- l\n > q\n-# s"),
            "\\# h\n\\- l\n \\> q\n\\-# s"
        );
    }

    #[test]
    fn discord_url_encodes_parentheses() {
        assert_eq!(
            discord_url("https://x.org/a_(b)"),
            "https://x.org/a_%28b%29"
        );
    }

    #[test]
    fn teams_markdown_escapes_inline_and_line_start_markup() {
        assert_eq!(
            teams_markdown("**b** _i_ [l](u)"),
            "\\*\\*b\\*\\* \\_i\\_ \\[l\\](u)"
        );
        assert_eq!(
            teams_markdown("- a\n# b\n> c\n12. d"),
            "\\- a\n\\# b\n\\> c\n12\\. d"
        );
        assert_eq!(teams_markdown("a - b 3.5"), "a - b 3.5");
        assert_eq!(teams_markdown("{{DATE(x)}}"), "{\u{200B}{DATE(x)}}");
        assert_eq!(teams_markdown("<at>x</at>"), "<\u{200B}at>x<\u{200B}/at>");
    }

    #[test]
    fn ntfy_plain_only_cleans() {
        assert_eq!(ntfy_plain("*a* <b>\x1b[1m\0"), "*a* <b>");
    }

    #[test]
    fn http_url_accepts_only_http_and_https() {
        assert_eq!(
            http_url("https://x.org/a").as_deref(),
            Some("https://x.org/a")
        );
        assert_eq!(http_url(" http://x.org ").as_deref(), Some("http://x.org/"));
        assert_eq!(http_url("javascript:alert(1)"), None);
        assert_eq!(http_url("/relative"), None);
    }
}
