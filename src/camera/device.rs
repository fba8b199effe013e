//! A webcam through nokhwa (V4L2 on Linux). `nokhwa::Camera` is not `Send`:
//! open it on the thread that reads it (the capture thread does).
//!
//! nokhwa is built without its `decoding` feature (it would bring mozjpeg, a
//! C library with an assembler step): frames arrive in the camera's own
//! format and `to_grey` makes them grey. YUYV, NV12 and GRAY already carry
//! the grey levels; MJPEG is decoded to its Y plane only (`decode::grey`).

use std::time::Duration;

use image::GrayImage;
use nokhwa::utils::{ApiBackend, CameraFormat, CameraIndex, FrameFormat, RequestedFormat, RequestedFormatType};
use nokhwa::{Camera, NokhwaError};

use super::{FrameSource, Resolution};

/// A camera as `gatehouse cameras` lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeviceInfo {
    pub index: String,
    pub name: String,
    pub description: String,
}

/// The cameras nokhwa finds; an empty list when there are none.
pub fn list_devices() -> Result<Vec<DeviceInfo>, String> {
    let found = nokhwa::query(ApiBackend::Auto).map_err(|e| format!("cannot list cameras: {e}"))?;
    Ok(found
        .into_iter()
        .map(|c| DeviceInfo { index: c.index().to_string(), name: c.human_name(), description: c.description().to_string() })
        .collect())
}

pub struct DeviceSource {
    camera: Camera,
    label: String,
}

/// Formats in the order gatehouse prefers them at the same size and rate:
/// GRAY, YUYV and NV12 carry the grey levels as they are (YUYV every other
/// byte, NV12 its first plane), MJPEG needs a JPEG decode of every frame,
/// RGB a mix of three channels.
const PREFERENCE: [FrameFormat; 6] =
    [FrameFormat::GRAY, FrameFormat::YUYV, FrameFormat::NV12, FrameFormat::MJPEG, FrameFormat::RAWRGB, FrameFormat::RAWBGR];

/// Whether frames in `format` give grey without decoding.
fn cheap_grey(format: FrameFormat) -> bool {
    matches!(format, FrameFormat::GRAY | FrameFormat::YUYV | FrameFormat::NV12)
}

/// The format to ask for among those the camera `offered`, and a note when
/// a cheap one could not be had: the size closest to `resolution` first
/// (a code must stay readable), then a rate of at least `fps` (a code held
/// up must be read at once), then the cheapest grey. USB 2 webcams often
/// offer YUYV at 1280x720 only at 5-10 fps; then MJPEG it is, and the note
/// says why.
pub fn choose_format(offered: &[CameraFormat], resolution: Resolution, fps: u32) -> Option<(CameraFormat, Option<String>)> {
    let wanted = i64::from(resolution.width) * i64::from(resolution.height);
    let rank = |f: &CameraFormat| PREFERENCE.iter().position(|p| *p == f.format());
    let best = offered
        .iter()
        .filter(|f| rank(f).is_some())
        .min_by_key(|f| ((i64::from(f.width()) * i64::from(f.height()) - wanted).abs(), fps.saturating_sub(f.frame_rate()), rank(f)))?;
    if cheap_grey(best.format()) {
        return Some((*best, None));
    }
    let slower = offered.iter().filter(|f| cheap_grey(f.format()) && f.resolution() == best.resolution()).max_by_key(|f| f.frame_rate());
    let size = format!("{}x{}", best.width(), best.height());
    let note = match slower {
        Some(s) => format!("{} at {size} only at {} fps: {} (grey by decoding each frame)", s.format(), s.frame_rate(), best.format()),
        None => format!("no YUYV, NV12 or GRAY at {size}: {} (grey by decoding each frame)", best.format()),
    };
    Some((*best, Some(note)))
}

impl DeviceSource {
    /// Open camera `index` in the format `choose_format` picks for
    /// `resolution` and `fps`, and start its stream. The error is a message
    /// for the operator.
    pub fn open(index: u32, resolution: Resolution, fps: u32) -> Result<DeviceSource, String> {
        let any = RequestedFormat::with_formats(RequestedFormatType::None, &PREFERENCE);
        let mut camera = Camera::new(CameraIndex::Index(index), any).map_err(|e| explain(index, &e))?;
        let offered = camera.compatible_camera_formats().map_err(|e| explain(index, &e))?;
        let (format, note) = choose_format(&offered, resolution, fps.max(1))
            .ok_or_else(|| format!("camera {index} lists no format gatehouse reads (YUYV, NV12, GRAY, MJPEG, RGB)"))?;
        camera
            .set_camera_requset(RequestedFormat::with_formats(RequestedFormatType::Exact(format), &PREFERENCE))
            .map_err(|e| explain(index, &e))?;
        camera.open_stream().map_err(|e| explain(index, &e))?;
        let f = camera.camera_format();
        if let Some(n) = &note {
            tracing::info!("camera {index}: {n}");
        }
        let label = format!(
            "camera {index}: {} ({}x{} {}, {} fps{})",
            camera.info().human_name(),
            f.width(),
            f.height(),
            f.format(),
            f.frame_rate(),
            note.map(|n| format!("; {n}")).unwrap_or_default()
        );
        Ok(DeviceSource { camera, label })
    }
}

impl FrameSource for DeviceSource {
    fn describe(&self) -> String {
        self.label.clone()
    }

    fn interval(&self) -> Option<Duration> {
        None
    }

    fn next_frame(&mut self) -> Result<Option<GrayImage>, String> {
        let buffer = self.camera.frame().map_err(|e| format!("camera frame lost: {e}"))?;
        let res = buffer.resolution();
        to_grey(buffer.source_frame_format(), res.width(), res.height(), buffer.buffer()).map(Some)
    }

    fn skip_frame(&mut self) -> Result<bool, String> {
        self.camera.frame().map(|_| true).map_err(|e| format!("camera frame lost: {e}"))
    }
}

impl Drop for DeviceSource {
    fn drop(&mut self) {
        let _ = self.camera.stop_stream();
    }
}

/// A message an operator can act on, for an error opening camera `index`.
/// nokhwa says, on a machine with no camera,
/// `Could not open device 0: V4L2 Error: No such file or directory`.
pub fn explain(index: u32, e: &NokhwaError) -> String {
    let text = e.to_string();
    let lower = text.to_lowercase();
    let tail = "scanning goes on with a barcode scanner or typed codes";
    if lower.contains("no such file") || lower.contains("no such device") {
        format!("no camera {index} on this machine (`gatehouse cameras` lists them); {tail}")
    } else if lower.contains("busy") {
        format!("camera {index} is busy: another program is using it; {tail}")
    } else if lower.contains("permission denied") {
        format!("no permission to open camera {index} (is this user in the video group?); {tail}")
    } else {
        format!("camera {index} cannot be opened ({text}); {tail}")
    }
}

/// A camera frame in `format` as a grey picture.
pub fn to_grey(format: FrameFormat, width: u32, height: u32, data: &[u8]) -> Result<GrayImage, String> {
    let pixels = width as usize * height as usize;
    let short = |need: usize| format!("{format} frame of {width}x{height} is {} bytes, expected {need}", data.len());
    let grey = match format {
        FrameFormat::MJPEG => {
            return crate::decode::grey::jpeg_to_grey(data, crate::decode::MAX_PIXELS)
                .map_err(|e| format!("cannot decode the camera's MJPEG frame: {e}"));
        }
        // Y0 U Y1 V: every other byte is the grey level.
        FrameFormat::YUYV => data.get(..pixels * 2).ok_or_else(|| short(pixels * 2))?.iter().step_by(2).copied().collect(),
        // The Y plane comes first.
        FrameFormat::NV12 | FrameFormat::GRAY => data.get(..pixels).ok_or_else(|| short(pixels))?.to_vec(),
        FrameFormat::RAWRGB | FrameFormat::RAWBGR => {
            let rgb = data.get(..pixels * 3).ok_or_else(|| short(pixels * 3))?;
            let bgr = format == FrameFormat::RAWBGR;
            rgb.chunks_exact(3)
                .map(|p| {
                    let (r, g, b) = if bgr { (p[2], p[1], p[0]) } else { (p[0], p[1], p[2]) };
                    ((77 * u32::from(r) + 150 * u32::from(g) + 29 * u32::from(b)) >> 8) as u8
                })
                .collect()
        }
    };
    GrayImage::from_raw(width, height, grey).ok_or_else(|| short(pixels))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuyv_nv12_gray_rgb_bgr() {
        let yuyv = [10, 128, 20, 128, 30, 128, 40, 128];
        assert_eq!(to_grey(FrameFormat::YUYV, 2, 2, &yuyv).unwrap().into_raw(), [10, 20, 30, 40]);
        let nv12 = [1, 2, 3, 4, 99, 99];
        assert_eq!(to_grey(FrameFormat::NV12, 2, 2, &nv12).unwrap().into_raw(), [1, 2, 3, 4]);
        assert_eq!(to_grey(FrameFormat::GRAY, 2, 1, &[5, 6]).unwrap().into_raw(), [5, 6]);
        let rgb = [255, 0, 0, 0, 0, 255];
        assert_eq!(to_grey(FrameFormat::RAWRGB, 2, 1, &rgb).unwrap().into_raw(), [76, 28]);
        assert_eq!(to_grey(FrameFormat::RAWBGR, 2, 1, &rgb).unwrap().into_raw(), [28, 76]);
    }

    #[test]
    fn short_or_corrupt_frames_are_errors() {
        assert!(to_grey(FrameFormat::YUYV, 2, 2, &[1, 2, 3]).is_err());
        assert!(to_grey(FrameFormat::GRAY, 4, 4, &[]).is_err());
        assert!(to_grey(FrameFormat::MJPEG, 4, 4, b"\xff\xd8 not really").is_err());
    }

    #[test]
    fn mjpeg_is_decoded() {
        let img = GrayImage::from_fn(16, 8, |x, _| image::Luma([if x < 8 { 0 } else { 255 }]));
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90).encode_image(&img).unwrap();
        let grey = to_grey(FrameFormat::MJPEG, 16, 8, &jpeg).unwrap();
        assert_eq!((grey.width(), grey.height()), (16, 8));
        assert!(grey.get_pixel(2, 4).0[0] < 40 && grey.get_pixel(13, 4).0[0] > 215);
    }

    fn offer(w: u32, h: u32, format: FrameFormat, fps: u32) -> CameraFormat {
        CameraFormat::new_from(w, h, format, fps)
    }

    const HD: Resolution = Resolution { width: 1280, height: 720 };

    #[test]
    fn a_format_with_grey_in_it_is_preferred_at_the_same_size_and_rate() {
        let offered =
            [offer(1280, 720, FrameFormat::MJPEG, 30), offer(1280, 720, FrameFormat::YUYV, 30), offer(640, 480, FrameFormat::NV12, 30)];
        assert_eq!(choose_format(&offered, HD, 30), Some((offered[1], None)));
        let nv12 = [offer(1280, 720, FrameFormat::MJPEG, 30), offer(1280, 720, FrameFormat::NV12, 30)];
        assert_eq!(choose_format(&nv12, HD, 30), Some((nv12[1], None)));
    }

    #[test]
    fn mjpeg_when_yuyv_is_too_slow_or_missing_with_a_note_saying_so() {
        // A typical USB 2 webcam: YUYV at 720p only at 10 fps.
        let offered =
            [offer(1280, 720, FrameFormat::YUYV, 10), offer(1280, 720, FrameFormat::MJPEG, 30), offer(640, 480, FrameFormat::YUYV, 30)];
        let (f, note) = choose_format(&offered, HD, 30).unwrap();
        assert_eq!(f, offered[1]);
        assert_eq!(note.as_deref(), Some("YUYV at 1280x720 only at 10 fps: MJPEG (grey by decoding each frame)"));
        let (f, note) = choose_format(&offered[1..2], HD, 30).unwrap();
        assert_eq!(f.format(), FrameFormat::MJPEG);
        assert!(note.unwrap().starts_with("no YUYV, NV12 or GRAY at 1280x720"));
        // A camera that lists no formats.
        assert_eq!(choose_format(&[], HD, 30), None);
    }

    #[test]
    fn the_size_comes_first_then_the_rate() {
        let offered =
            [offer(640, 480, FrameFormat::YUYV, 30), offer(1280, 720, FrameFormat::MJPEG, 30), offer(1920, 1080, FrameFormat::YUYV, 5)];
        assert_eq!(choose_format(&offered, HD, 30).map(|c| c.0), Some(offered[1]));
        assert_eq!(choose_format(&offered, Resolution { width: 640, height: 480 }, 30).map(|c| c.0), Some(offered[0]));
    }

    #[test]
    fn the_no_camera_error_reads_clearly() {
        let e = NokhwaError::OpenDeviceError("0".into(), "V4L2 Error: No such file or directory".into());
        let m = explain(0, &e);
        assert!(m.starts_with("no camera 0 on this machine"), "{m}");
        let busy = NokhwaError::OpenDeviceError("1".into(), "Device or resource busy".into());
        assert!(explain(1, &busy).contains("busy"));
    }
}
