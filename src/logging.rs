//! Installs the process's one tracing subscriber: human or JSON lines on stderr, and, when stderr
//! is systemd's journal stream, lines journald can file (a syslog priority prefix per level, no
//! colours, no timestamp of our own). Decides the look of log lines; not what is logged.

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::io::IsTerminal;
use std::os::fd::AsFd;
use std::os::unix::fs::MetadataExt;

use clap::ValueEnum;
use tracing::{Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::{FormatEvent, FormatFields, Writer};
use tracing_subscriber::fmt::{FmtContext, MakeWriter};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;

/// Log output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object a line.
    Json,
}

/// Where log lines end up, as far as their look is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destination {
    /// A terminal (and `$NO_COLOR` unset): timestamps and colours.
    Terminal,
    /// A file or a pipe: timestamps, no colours.
    Plain,
    /// systemd's journal: priority prefixes, no colours, no timestamps.
    Journal,
}

impl Destination {
    /// Where stderr goes: [`Destination::Journal`] when `$JOURNAL_STREAM` names the very file
    /// stderr is, the check sd-daemon(3) describes (a child that inherited the variable but not
    /// the stream logs plainly).
    pub fn of_stderr() -> Self {
        let stderr = std::io::stderr();
        let var = std::env::var_os("JOURNAL_STREAM");
        let journal = var.is_some()
            && stderr
                .as_fd()
                .try_clone_to_owned()
                .map(std::fs::File::from)
                .and_then(|f| f.metadata())
                .is_ok_and(|m| journal_stream_is(var.as_deref(), m.dev(), m.ino()));
        if journal {
            Self::Journal
        } else if stderr.is_terminal() && std::env::var_os("NO_COLOR").is_none() {
            Self::Terminal
        } else {
            Self::Plain
        }
    }

    /// What goes before a line printed outside tracing at `level` (the fatal error `main` prints).
    pub fn prefix(self, level: Level) -> String {
        match self {
            Self::Terminal | Self::Plain => String::new(),
            Self::Journal => format!("<{}>", priority(level)),
        }
    }
}

/// Whether `$JOURNAL_STREAM` (`DEVICE:INODE`, both decimal) names the file with `dev` and `ino`.
pub fn journal_stream_is(var: Option<&OsStr>, dev: u64, ino: u64) -> bool {
    let Some((d, i)) = var.and_then(OsStr::to_str).and_then(|v| v.split_once(':')) else {
        return false;
    };
    d.parse() == Ok(dev) && i.parse() == Ok(ino)
}

/// The syslog priority journald files a line of `level` under (sd-daemon(3)'s `<N>` prefixes):
/// error 3, warning 4, info 6, debug 7; trace has no lower syslog level and shares 7.
pub fn priority(level: Level) -> u8 {
    match level {
        Level::ERROR => 3,
        Level::WARN => 4,
        Level::INFO => 6,
        Level::DEBUG | Level::TRACE => 7,
    }
}

/// Installs the global subscriber for stderr: `filter`'s levels, in `format`, shaped for
/// `dest`. Returns `dest` for lines `main` prints itself.
pub fn init(format: LogFormat, filter: EnvFilter, dest: Destination) -> Destination {
    subscriber(format, filter, dest, std::io::stderr).init();
    dest
}

/// Installs the global subscriber writing plain lines (no colours) to the file at `path`, which is
/// created or appended to: for `demo`, whose terminal shows its own narration.
pub fn init_file(
    format: LogFormat,
    filter: EnvFilter,
    path: &std::path::Path,
) -> std::io::Result<Destination> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    subscriber(
        format,
        filter,
        Destination::Plain,
        std::sync::Mutex::new(file),
    )
    .init();
    Ok(Destination::Plain)
}

/// The subscriber [`init`] installs, writing to `writer` (a buffer in tests).
pub fn subscriber<W>(
    format: LogFormat,
    filter: EnvFilter,
    dest: Destination,
    writer: W,
) -> Box<dyn Subscriber + Send + Sync>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    match (dest, format) {
        (Destination::Terminal | Destination::Plain, format) => {
            let builder = builder.with_ansi(dest == Destination::Terminal);
            match format {
                LogFormat::Text => Box::new(builder.finish()),
                LogFormat::Json => Box::new(builder.json().finish()),
            }
        }
        (Destination::Journal, LogFormat::Text) => {
            let lines = tracing_subscriber::fmt::format()
                .without_time()
                .with_level(false)
                .with_ansi(false);
            Box::new(
                builder
                    .with_ansi(false)
                    .event_format(Prioritised(lines))
                    .finish(),
            )
        }
        // JSON keeps its `timestamp` field: it is data for whatever reads the objects.
        (Destination::Journal, LogFormat::Json) => Box::new(
            builder
                .with_ansi(false)
                .json()
                .event_format(Prioritised(tracing_subscriber::fmt::format().json()))
                .finish(),
        ),
    }
}

/// An event format that puts `<N>`, the event's syslog priority, before every line `F` writes,
/// so that a message spanning lines is filed whole at its level rather than its tail at info.
struct Prioritised<F>(F);

impl<S, N, F> FormatEvent<S, N> for Prioritised<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'w> FormatFields<'w> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        let mut buf = String::new();
        self.0.format_event(ctx, Writer::new(&mut buf), event)?;
        let prefix = priority(*event.metadata().level());
        let mut out = String::with_capacity(buf.len() + 4);
        for line in buf.trim_end_matches('\n').split('\n') {
            writeln!(out, "<{prefix}>{line}")?;
        }
        writer.write_str(&out)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use super::*;

    /// A `MakeWriter` over a shared buffer.
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'w> MakeWriter<'w> for Buffer {
        type Writer = Buffer;
        fn make_writer(&'w self) -> Buffer {
            self.clone()
        }
    }

    fn logged(format: LogFormat, dest: Destination) -> String {
        let buf = Buffer::default();
        let sub = subscriber(format, EnvFilter::new("debug"), dest, buf.clone());
        tracing::subscriber::with_default(sub, || {
            tracing::error!(source = "alpha", "poll failed");
            tracing::warn!("slow");
            tracing::info!(sources = 3, "briefwatch running");
            tracing::debug!("first line\nsecond line");
        });
        String::from_utf8(buf.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn journal_stream_must_name_the_very_file_of_stderr() {
        let file = tempfile::tempfile().unwrap();
        let meta = file.metadata().unwrap();
        let var = format!("{}:{}", meta.dev(), meta.ino());
        assert!(journal_stream_is(
            Some(OsStr::new(&var)),
            meta.dev(),
            meta.ino()
        ));
        let other = format!("{}:{}", meta.dev(), meta.ino() + 1);
        assert!(!journal_stream_is(
            Some(OsStr::new(&other)),
            meta.dev(),
            meta.ino()
        ));
        for bad in ["", "8", "8:", ":1", "x:y", "8:1:2"] {
            assert!(!journal_stream_is(Some(OsStr::new(bad)), 8, 1), "{bad:?}");
        }
        assert!(!journal_stream_is(None, meta.dev(), meta.ino()));
    }

    #[test]
    fn journal_lines_carry_the_priority_and_no_colour_or_timestamp() {
        let out = logged(LogFormat::Text, Destination::Journal);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 5, "{out}");
        assert!(!out.contains('\x1b'), "ANSI escape in {out:?}");
        assert!(
            lines[0].starts_with("<3>") && lines[0].contains("poll failed source=\"alpha\""),
            "{out}"
        );
        assert!(
            lines[1].starts_with("<4>") && lines[1].ends_with("slow"),
            "{out}"
        );
        assert!(
            lines[2].starts_with("<6>") && lines[2].contains("briefwatch running sources=3"),
            "{out}"
        );
        assert!(lines[3].starts_with("<7>") && lines[3].ends_with("first line"));
        assert_eq!(
            lines[4], "<7>second line",
            "continuation lines keep the level"
        );
        for l in &lines {
            let rest = &l[3..];
            assert!(
                !rest.starts_with(|c: char| c.is_ascii_digit()),
                "timestamp or level text after the prefix: {l:?}"
            );
            assert!(!rest.contains("ERROR") && !rest.contains("INFO"), "{l:?}");
        }
    }

    #[test]
    fn journal_json_is_one_prefixed_object_a_line() {
        let out = logged(LogFormat::Json, Destination::Journal);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 4, "{out}");
        for (line, prio) in lines.iter().zip(["<3>", "<4>", "<6>", "<7>"]) {
            let json = line
                .strip_prefix(prio)
                .unwrap_or_else(|| panic!("{line:?} lacks {prio}"));
            let v: serde_json::Value = serde_json::from_str(json).unwrap();
            assert!(v.get("fields").is_some(), "{v}");
        }
    }

    #[test]
    fn plain_lines_keep_timestamps_and_levels_and_have_no_prefix() {
        let out = logged(LogFormat::Text, Destination::Plain);
        let first = out.lines().next().unwrap();
        assert!(first.starts_with(|c: char| c.is_ascii_digit()), "{first:?}");
        assert!(first.contains("ERROR"), "{first:?}");
        assert!(!out.contains("<3>"), "{out}");
    }
}
