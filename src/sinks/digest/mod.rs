//! Digest emails: when they go out ([`schedule`]), what they list ([`gather`]), what they say
//! ([`render`](mod@render)), and the exactly-once sending of each period ([`runner`], through
//! [`smtp`](crate::sinks::smtp)). `schedule` and `render` are pure: they read no config, query no
//! store and send no mail.
//!
//! The caller's loop: wait until [`Schedule::next_after`] the last run; take the
//! [`Schedule::period_ending`] that fire time (or start from the end of the last digest sent,
//! if one was missed); gather the stories first seen in the period into a [`DigestContent`];
//! [`render()`] it; send the [`Rendered`] subject, text and HTML parts.

pub mod gather;
pub mod render;
pub mod runner;
pub mod schedule;

pub use render::{
    DigestContent, RenderError, Rendered, StoryEntry, TopicGroup, check_subject_template, render,
};
pub use runner::{DigestEnv, SendReport, Trigger, preview, send_due};
pub use schedule::{Period, Schedule, ScheduleError};
