//! The vocabulary of Tollgate: digests, image references, history events and timeline segments,
//! and the pure rules over them: team conflicts ([`conflicts`]), when a signed statement counts
//! ([`statement`]). No clock (one is passed in: [`Clock`]), no I/O.

mod canonical;
mod check_mark;
mod clock;
pub mod conflicts;
mod digest;
mod event;
pub mod git_history;
mod image;
mod incident_mark;
mod point_in_time;
pub(crate) mod reference;
pub mod statement;
mod text;
pub mod timeline;

pub use canonical::canonical_json;
pub use check_mark::CheckMark;
pub use clock::{parse_duration, parse_period_bound, parse_time, Clock, FixedClock, SystemClock};
pub use digest::Digest;
pub use event::{Event, EventKind, NewEvent, Segment, StatusRow, Via};
pub use image::ImageInfo;
pub use incident_mark::IncidentMark;
pub use point_in_time::parse_at;
pub use reference::ImageRef;
pub use text::{escape_controls, escape_controls_keep_lines, is_control, redact};
