//! Digest emails' pure core: when digests go out ([`schedule`]). Reads no config, queries no
//! store and sends no mail.

pub mod schedule;

pub use schedule::{Period, Schedule, ScheduleError};
