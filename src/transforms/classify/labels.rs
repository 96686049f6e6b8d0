//! Reads labelled examples from TSV for training and evaluation. Owns the two accepted layouts; does no
//! file I/O (callers pass the text).

/// One labelled text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelledExample {
    /// The example's id (first column).
    pub id: String,
    /// The text.
    pub text: String,
    /// Its topic ids (may be empty in the multi-label layout).
    pub labels: Vec<String>,
}

/// A label file that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelsError {
    /// The header names no known layout.
    #[error(
        "unrecognised header {0:?}: expected `id<TAB>labels<TAB>text` (multi-label) or `id<TAB>text<TAB>label` (single label)"
    )]
    Header(String),
    /// A line has fewer columns than the header.
    #[error("line {line}: expected {expected} tab-separated columns")]
    Columns {
        /// 1-based line number.
        line: usize,
        /// Columns the header declares.
        expected: usize,
    },
}

#[derive(Clone, Copy)]
enum Layout {
    /// `id, labels, text`: comma-separated labels, text last (may contain tabs).
    Multi,
    /// `id, text, label`: one label, last column.
    Single,
}

fn column_kind(name: &str) -> &'static str {
    match name.trim().to_ascii_lowercase().as_str() {
        "id" => "id",
        "labels" | "topics" => "labels",
        "label" | "topic" | "subtype" | "event_type" => "label",
        "text" | "eventsnippet" | "snippet" => "text",
        _ => "?",
    }
}

/// Reads a label TSV. The header decides the layout: `id<TAB>labels<TAB>text` (labels comma-separated,
/// possibly empty) or `id<TAB>text<TAB>label` (one label; CASE 2021 names `EventSnippet`/`SubType` are
/// accepted too). Blank lines are skipped.
pub fn read_tsv(text: &str) -> Result<Vec<LabelledExample>, LabelsError> {
    let mut lines = text.lines().enumerate();
    let header = lines.next().map(|(_, l)| l).unwrap_or_default();
    let kinds: Vec<&str> = header.split('\t').map(column_kind).collect();
    let layout = match kinds.as_slice() {
        ["id", "labels", "text"] => Layout::Multi,
        ["id", "text", "label"] => Layout::Single,
        _ => return Err(LabelsError::Header(header.to_string())),
    };
    let mut out = Vec::new();
    for (n, line) in lines {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let bad = || LabelsError::Columns {
            line: n + 1,
            expected: 3,
        };
        let (id, rest) = line.split_once('\t').ok_or_else(bad)?;
        let (text, labels) = match layout {
            Layout::Multi => {
                let (labels, text) = rest.split_once('\t').ok_or_else(bad)?;
                let labels = labels
                    .split(',')
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_string)
                    .collect();
                (text, labels)
            }
            Layout::Single => {
                let (text, label) = rest.rsplit_once('\t').ok_or_else(bad)?;
                (text, vec![label.trim().to_string()])
            }
        };
        out.push(LabelledExample {
            id: id.trim().to_string(),
            text: text.to_string(),
            labels,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_layouts_are_detected_by_header() {
        let multi =
            read_tsv("id\tlabels\ttext\n1\tceasefire, diplomacy\tTruce talks\n2\t\tNothing\n")
                .unwrap();
        assert_eq!(multi[0].labels, ["ceasefire", "diplomacy"]);
        assert!(multi[1].labels.is_empty());
        assert_eq!(multi[1].text, "Nothing");
        let single = read_tsv("id\tEventSnippet\tSubType\n7\tPolice arrested 5\tARREST\n").unwrap();
        assert_eq!(single[0].labels, ["ARREST"]);
        assert_eq!(single[0].text, "Police arrested 5");
    }

    #[test]
    fn unknown_header_and_short_lines_are_errors() {
        assert!(matches!(read_tsv("a\tb\n"), Err(LabelsError::Header(_))));
        assert_eq!(
            read_tsv("id\ttext\tlabel\n1\tonly text\n"),
            Err(LabelsError::Columns {
                line: 2,
                expected: 3
            })
        );
    }
}
