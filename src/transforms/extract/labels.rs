//! Furniture told apart by its own words, where no link or markup gives it away: paragraphs that
//! are only a date, a byline, a photo credit or a stock label ("Advertisement", "Don't miss"),
//! passages the extracted text repeats word for word (a page that carries its article twice, a
//! pull quote), and a trailing run of short unpunctuated lines (related headlines, tag lists,
//! "About the author" blocks) after the article's last sentence.

use std::collections::HashSet;

use super::segment;

/// A sentence takes part in repeat detection from this many words on (shorter ones, such as
/// "Eat every 2–3 hours" in a meal plan, legitimately recur).
const REPEAT_MIN_WORDS: usize = 6;
/// A run of repeated sentences is dropped from this many bytes on: a repeated passage, not a
/// refrain.
const REPEAT_MIN_BYTES: usize = 200;
/// A paragraph with a photo credit (`©`) and at most this many words is a caption or notice.
const CREDIT_MAX_WORDS: usize = 40;
/// Trailing paragraphs of at most this many words without closing punctuation are list lines...
const TAIL_MAX_WORDS: usize = 15;
/// ...and of at most this many characters...
const TAIL_MAX_CHARS: usize = 120;
/// ...and at least this many of them in a row end the article.
const TAIL_MIN_LINES: usize = 4;

/// `text` (paragraphs separated by blank lines) without the furniture this module recognises;
/// `None` when nothing was removed. Never empties a text: a text that would be all furniture is
/// kept as it is.
pub(super) fn tidy(text: &str) -> Option<String> {
    let deduped = without_repeats(text);
    let source = deduped.as_deref().unwrap_or(text);
    let mut paras: Vec<&str> = source
        .split("\n\n")
        .filter(|p| !p.trim().is_empty() && !is_label(p))
        .collect();
    let tail = paras.iter().rev().take_while(|p| is_list_line(p)).count();
    if tail >= TAIL_MIN_LINES && tail < paras.len() {
        paras.truncate(paras.len() - tail);
    }
    let out = paras.join("\n\n");
    (!out.is_empty() && out != text).then_some(out)
}

/// Whether a paragraph is a stand-alone label: a date, a byline, a credit or a stock phrase.
fn is_label(p: &str) -> bool {
    let p = p.trim();
    is_date(p) || is_byline(p) || is_credit(p) || is_stock_phrase(p)
}

/// A short line without closing punctuation (in scripts without spaces, a line of few characters).
fn is_list_line(p: &str) -> bool {
    let p = p.trim();
    p.split_whitespace().count() <= TAIL_MAX_WORDS
        && p.chars().count() <= TAIL_MAX_CHARS
        && !p.ends_with([
            '.', '!', '?', ':', ';', '…', '"', '”', ')', '。', '！', '？', '」', '』', '）',
        ])
}

/// Month and weekday names and abbreviations: a line of numbers with one of them is a date.
const CALENDAR_WORDS: &[&str] = &[
    "jan",
    "january",
    "feb",
    "february",
    "mar",
    "march",
    "apr",
    "april",
    "may",
    "jun",
    "june",
    "jul",
    "july",
    "aug",
    "august",
    "sep",
    "sept",
    "september",
    "oct",
    "october",
    "nov",
    "november",
    "dec",
    "december",
    "mon",
    "monday",
    "tue",
    "tues",
    "tuesday",
    "wed",
    "wednesday",
    "thu",
    "thur",
    "thurs",
    "thursday",
    "fri",
    "friday",
    "sat",
    "saturday",
    "sun",
    "sunday",
];
/// Other words a date line may hold: ordinal suffixes, clock and zone words, "updated at".
const CLOCK_WORDS: &[&str] = &[
    "st",
    "nd",
    "rd",
    "th",
    "am",
    "pm",
    "utc",
    "gmt",
    "ist",
    "est",
    "edt",
    "cet",
    "cest",
    "bst",
    "pst",
    "pdt",
    "updated",
    "published",
    "posted",
    "last",
    "on",
    "at",
];

/// A paragraph that is only a date or time ("20 Nov, 2019 05:47", "- Published 18 November 2019").
fn is_date(p: &str) -> bool {
    if p.len() > 120 || !p.bytes().any(|b| b.is_ascii_digit()) {
        return false;
    }
    // Numbers alone ("2, 3, 5, 12") are no date: it takes a month or weekday, a clock time
    // (`05:47`) or a year with its month (`2018-08-16`, `2018/8/16`).
    let mut dated = false;
    let mut rest = p;
    let mut previous = ' ';
    while let Some(c) = rest.chars().next() {
        let run = if c.is_ascii_digit() {
            let n = rest.bytes().take_while(u8::is_ascii_digit).count();
            if n > 4 {
                return false;
            }
            let after = rest[n..].chars().next();
            dated |= (previous == ':' || after == Some(':'))
                || (n == 4
                    && matches!(after, Some('-' | '/'))
                    && rest[n + 1..].starts_with(|d: char| d.is_ascii_digit()));
            n
        } else if c.is_ascii_alphabetic() {
            let n = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
            let word = rest[..n].to_ascii_lowercase();
            if CALENDAR_WORDS.contains(&word.as_str()) {
                dated = true;
            } else if !CLOCK_WORDS.contains(&word.as_str()) {
                return false;
            }
            n
        } else if c.is_whitespace() || ",:/.-|–—+".contains(c) {
            c.len_utf8()
        } else {
            return false;
        };
        previous = rest[..run].chars().next_back().unwrap_or(' ');
        rest = &rest[run..];
    }
    dated
}

/// A paragraph that is only a byline: "By Jane Doe", "By admin - 2018-09-16".
fn is_byline(p: &str) -> bool {
    let Some((first, rest)) = p.split_once(char::is_whitespace) else {
        return false;
    };
    if !["by", "von", "par", "por"]
        .iter()
        .any(|w| first.eq_ignore_ascii_case(w))
        || p.ends_with('.')
        || p.split_whitespace().count() > 10
    {
        return false;
    }
    let (name, after) = match rest.find(['-', '|', '–', '—', ',']) {
        Some(i) => (&rest[..i], Some(&rest[i..])),
        None => (rest, None),
    };
    let words = name.split_whitespace().count();
    (1..=5).contains(&words) && after.is_none_or(|a| a.bytes().any(|b| b.is_ascii_digit()))
}

/// A photo credit, caption with its credit, or copyright notice.
fn is_credit(p: &str) -> bool {
    p.split_whitespace().count() <= CREDIT_MAX_WORDS
        && p.split_whitespace().any(|w| w.starts_with('©'))
}

/// Whole-paragraph labels that stand for something not in the text (an advertisement slot, a
/// slideshow, a list of other articles).
fn is_stock_phrase(p: &str) -> bool {
    const EXACT: &[&str] = &[
        "ad",
        "ads",
        "advert",
        "adverts",
        "advertisement",
        "advertisements",
        "sponsored",
        "sponsored link",
        "sponsored links",
        "don't miss",
        "related",
        "related articles",
        "related stories",
        "related posts",
        "related news",
        "read more",
        "share this",
        "share this story",
        "share this article",
        "this slideshow requires javascript",
    ];
    const PREFIX: &[&str] = &[
        "see more",
        "tell us what you think",
        "you may also like",
        "you may also be interested in",
        "like this story?",
        "like this article?",
    ];
    if p.len() > 120 {
        return false;
    }
    let lower = p
        .trim_end_matches(['.', '!', ':', '…'])
        .trim()
        .to_lowercase()
        .replace('’', "'");
    let words = lower.split_whitespace().count();
    EXACT.contains(&lower.as_str())
        || PREFIX.iter().any(|s| lower.starts_with(s))
        || (lower.starts_with("also on ") && words == 3)
        || (lower.starts_with("more in ") && words <= 4)
}

/// `text` with each run of sentences that repeat earlier ones of the same paragraph (of at least
/// [`REPEAT_MIN_WORDS`] words, together at least [`REPEAT_MIN_BYTES`] long) left out; `None`
/// when there is none. Only paragraphs of blocks run together count (a sentence end with no
/// space after it: "said.The"): when such a paragraph repeats a passage of itself it is the
/// page's article text and a copy of it (JSON-LD and the DOM, a live page's summary and its
/// entries). Whole paragraphs that recur are left alone: a template's paragraphs (an FAQ's, a
/// schedule's) may.
fn without_repeats(text: &str) -> Option<String> {
    let mut seen: HashSet<String> = HashSet::new();
    let mut changed = false;
    let mut out: Vec<String> = Vec::new();
    for para in text.split("\n\n") {
        seen.clear();
        let parts = sentences(para);
        // Only blocks run together (a sentence end with no space after it) are suspect: a
        // paragraph written as one may quote itself, or be a template's filler.
        let glued = parts[1..]
            .iter()
            .any(|s| !s.starts_with(char::is_whitespace));
        if !glued {
            out.push(para.to_string());
            continue;
        }
        let mut repeated = Vec::with_capacity(parts.len());
        for s in &parts {
            let (key, words) = sentence_key(s);
            let counts = words >= REPEAT_MIN_WORDS;
            repeated.push(counts && seen.contains(&key));
            if counts {
                seen.insert(key);
            }
        }
        let mut keep = vec![true; parts.len()];
        let mut i = 0;
        while i < parts.len() {
            if !repeated[i] {
                i += 1;
                continue;
            }
            let start = i;
            while i < parts.len() && repeated[i] {
                i += 1;
            }
            if parts[start..i].iter().map(|s| s.len()).sum::<usize>() >= REPEAT_MIN_BYTES {
                keep[start..i].iter_mut().for_each(|k| *k = false);
                changed = true;
            }
        }
        if keep.iter().all(|k| *k) {
            out.push(para.to_string());
            continue;
        }
        let kept: String = parts
            .iter()
            .zip(&keep)
            .filter(|(_, k)| **k)
            .map(|(s, _)| *s)
            .collect();
        let kept = kept.trim();
        if !kept.is_empty() {
            out.push(kept.to_string());
        }
    }
    changed.then(|| out.join("\n\n"))
}

/// `para` cut after each sentence end (`.`, `!` or `?`, a closing quote with it) that is followed,
/// after any spaces and an opening quote, by a capital letter; the pieces keep their spaces, so
/// they concatenate back to `para`.
fn sentences(para: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut chars = para.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if !matches!(c, '.' | '!' | '?') {
            continue;
        }
        let mut end = chars.peek().map_or(para.len(), |&(i, _)| i);
        if let Some(&(i, q)) = chars.peek()
            && matches!(q, '"' | '”' | '’')
        {
            end = i + q.len_utf8();
            chars.next();
        }
        let next = para[end..]
            .trim_start()
            .trim_start_matches(['"', '“'])
            .chars()
            .next();
        if next.is_some_and(char::is_uppercase) {
            parts.push(&para[start..end]);
            start = end;
        }
    }
    parts.push(&para[start..]);
    parts
}

/// A sentence's words ([`segment::words`]), lower-cased and joined by spaces, and how many there
/// are.
fn sentence_key(s: &str) -> (String, usize) {
    let words = segment::words(s);
    (words.join(" ").to_lowercase(), words.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = "The council met on Tuesday to discuss the new bridge over the river. \
        Members voted eight to three in favour of the plan after a long debate.";

    #[test]
    fn dates_bylines_credits_and_stock_phrases_are_labels() {
        for p in [
            "20 Nov, 2019 05:47",
            "- Published 18 November 2019",
            "- Nov 20 2019, 11:06am IST\n- updated: Nov 20 2019, 15:24pm IST",
            "2018-08-16",
            "By admin - 2018-09-16",
            "By JANE ROE",
            "© Aaron Schwartz",
            "A cyclist rides past a blocked plant, November 19, 2019. © Reuters / D. Mercado",
            "ADVERTISEMENT",
            "Don’t Miss",
            "SEE MORE: Ten things about the vote",
            "Also on example.com",
            "This slideshow requires JavaScript.",
        ] {
            assert!(is_label(p), "{p:?} should be a label");
        }
        for p in [
            "The vote is on 12 May 2024.",
            "Top 10 and the 5 best",
            "By the end of the day, the council had voted.",
            "By then 20 people had left - the rest stayed on until 2 a.m.",
            "Related parties were not consulted, the mayor said.",
            "02-751-1500 Hotline",
            "2, 3, 5, 2, 3, 12, 5, 3, 4",
            "This isn’t a manifesto™© we just think it is cool",
            BODY,
        ] {
            assert!(!is_label(p), "{p:?} is not a label");
        }
    }

    #[test]
    fn a_repeated_passage_goes_and_a_short_refrain_stays() {
        let passage = "The mayor said the bridge would open next spring. \
            Engineers had warned that the old crossing could not carry buses. \
            Residents welcomed the decision at a packed meeting in the town hall. \
            Work on the approach roads is due to start in the autumn.";
        let text = format!("{BODY}\n\n{passage}A final remark on costs.{passage}");
        let out = tidy(&text).expect("the repeat is removed");
        assert_eq!(out.matches("Engineers had warned").count(), 1, "{out}");
        assert!(out.ends_with("A final remark on costs."), "{out}");
        // Short lines that recur (a schedule, a meal plan) are not passages, and paragraphs that
        // recur whole are left to the page.
        let plan = "Meal 1\nEat every 2–3 hours\n\nMeal 2\nEat every 2–3 hours";
        assert_eq!(without_repeats(&format!("{BODY}\n\n{plan}")), None);
        assert_eq!(without_repeats(&format!("{passage}\n\n{passage}")), None);
        // A paragraph written as one (every sentence end followed by a space) is left alone.
        assert_eq!(without_repeats(&format!("{passage} {passage}")), None);
    }

    #[test]
    fn a_trailing_run_of_short_lines_ends_the_article() {
        let tail = "More in Milan\n\nDesign week opens | a preview\n\nLamps of the year\n\nTen \
            chairs to know\n\nMilan";
        let out = tidy(&format!("{BODY}\n\n{tail}")).expect("the tail goes");
        assert_eq!(out, BODY);
        // Lines that close with a full stop, in any script, are sentences.
        let zh = "图注：回到了地球上\n\n他说：这是一个政治问题。\n\n所以。\n\n我们留在地球上。\n\n人们。";
        assert_eq!(tidy(&format!("{BODY}\n\n{zh}")), None);
        // Three short lines are a list the article may end with.
        let short = "Tickets\n\nVIP 60,000\n\nSeats 40,000";
        assert_eq!(tidy(&format!("{BODY}\n\n{short}")), None);
        // A text of short lines only is not emptied.
        assert_eq!(
            tidy(tail).as_deref(),
            Some(tail.strip_prefix("More in Milan\n\n").unwrap())
        );
    }

    #[test]
    fn sentences_concatenate_back_and_split_before_capitals_only() {
        let p = "He said “no.” Then he left. It cost $3.50 a day.Done";
        let parts = sentences(p);
        assert_eq!(parts.concat(), p);
        assert_eq!(
            parts,
            [
                "He said “no.”",
                " Then he left.",
                " It cost $3.50 a day.",
                "Done"
            ]
        );
    }
}
