//! Renders an error with its chain of causes on one line (`outer: cause: root cause`), for log fields
//! and stored last-error messages. Error types keep their causes as `source()` chains and show only
//! their own level in `Display`; this is where the levels are joined.

use std::error::Error;
use std::fmt;

/// An error and its causes, displayed as `outer: cause: root cause`.
pub struct Chain<'a>(pub &'a (dyn Error + 'static));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = self.0.to_string();
        let mut cause = self.0.source();
        while let Some(e) = cause {
            // Some messages already quote their cause ("invalid interval \"x\": <cause> ..."):
            // a cause whose text is already on the line is not repeated.
            let text = e.to_string();
            if !out.contains(&text) {
                out.push_str(": ");
                out.push_str(&text);
            }
            cause = e.source();
        }
        f.write_str(&out)
    }
}

/// `e` and its causes on one line.
pub fn chain<'a>(e: &'a (dyn Error + 'static)) -> Chain<'a> {
    Chain(e)
}

/// A boxed cause, for error variants whose underlying error type must not leave its module.
pub type Cause = Box<dyn Error + Send + Sync + 'static>;

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("reading feed x")]
    struct Outer(#[source] std::io::Error);

    #[derive(Debug, thiserror::Error)]
    #[error("reading feed x: {0}")]
    struct Quoting(#[source] std::io::Error);

    #[test]
    fn a_cause_already_in_the_message_is_not_repeated() {
        let e = Quoting(std::io::Error::other("disk on fire"));
        assert_eq!(chain(&e).to_string(), "reading feed x: disk on fire");
    }

    #[test]
    fn chain_joins_every_level() {
        let e = Outer(std::io::Error::other("disk on fire"));
        assert_eq!(chain(&e).to_string(), "reading feed x: disk on fire");
    }
}
