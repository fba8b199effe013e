//! The camera: frame sources (a webcam through nokhwa, a replay of image
//! files, a still picture), the capture thread that decodes frames and sends
//! events, and the debouncer. No terminal code here: the TUI reads the
//! latest frame from a `FrameSlot` and receives `CameraEvent`s.

mod capture;
mod debounce;
mod device;
pub mod raw;
pub mod replay;
mod spec;

use std::sync::{Arc, Mutex};

use image::GrayImage;

pub use capture::{Capture, CaptureStats, FrameTime, spawn};
pub use debounce::Debouncer;
pub use device::{DeviceInfo, DeviceSource, list_devices};
pub use replay::{ReplaySource, StillSource};
pub use spec::{BACK_OFF, CaptureSettings, IDLE_SECS, Resolution, SourceSpec};

/// One picture from a source, grey, numbered from 1 in the order captured.
#[derive(Debug, Clone)]
pub struct Frame {
    pub image: GrayImage,
    pub seq: u64,
}

/// The latest frame, for a preview; the capture thread overwrites it, so it
/// never holds more than one.
pub type FrameSlot = Arc<Mutex<Option<Frame>>>;

/// What the capture thread reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CameraEvent {
    /// The source is open; a description of it.
    Opened(String),
    /// A code was read (already debounced: the same text within the
    /// debounce window is not sent again).
    Decoded(String),
    /// Something went wrong; a message for the operator. The thread goes on
    /// when it can (a bad replay file) and ends when it cannot (no camera).
    Error(String),
    /// The thread has ended (end of a replay, a stop, or a fatal error).
    Ended,
}

/// Something that produces pictures.
pub trait FrameSource {
    /// A short description for the operator, e.g. `camera 0: HD Webcam (1280x720 MJPEG, 30 fps)`.
    fn describe(&self) -> String;

    /// How long between frames, when the capture loop must pace the source
    /// (a replay); `None` when the source paces itself (a camera blocks
    /// until its next frame).
    fn interval(&self) -> Option<std::time::Duration>;

    /// The next picture; `Ok(None)` at the end. An `Err` is a message about
    /// this frame; the capture loop reports it and asks again (and gives up
    /// after several in a row).
    fn next_frame(&mut self) -> Result<Option<GrayImage>, String>;

    /// Take the next frame from the source and drop it without making it
    /// grey (an idle camera looks at fewer frames, but must still take
    /// each one); `Ok(false)` at the end.
    fn skip_frame(&mut self) -> Result<bool, String> {
        self.next_frame().map(|f| f.is_some())
    }
}

/// A new, empty frame slot.
pub fn frame_slot() -> FrameSlot {
    Arc::new(Mutex::new(None))
}
