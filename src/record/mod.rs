//! Recording a run: the [`recorder::Recorder`] through which every event
//! enters (stamped, journalled, folded, fanned out to bounded subscribers),
//! and the [`journal`] file it appends to.
//!
//! This floor sits on `core` and under every capability: stages emit through
//! it, and the faces (TUI, headless reporter, attach) subscribe to it.

pub mod journal;
pub mod recorder;
pub mod run_dir;

pub use recorder::{Recorder, Subscription};
