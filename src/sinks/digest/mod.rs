//! Digest emails' pure core: when digests go out ([`schedule`]) and what they say
//! ([`render`](mod@render)). Reads no config, queries no store and sends no mail.
//!
//! The caller's loop: wait until [`Schedule::next_after`] the last run; take the
//! [`Schedule::period_ending`] that fire time (or start from the end of the last digest sent,
//! if one was missed); gather the stories first seen in the period into a [`DigestContent`];
//! [`render()`] it; send the [`Rendered`] subject, text and HTML parts.

pub mod render;
pub mod schedule;

pub use render::{
    DigestContent, RenderError, Rendered, StoryEntry, TopicGroup, check_subject_template, render,
};
pub use schedule::{Period, Schedule, ScheduleError};
