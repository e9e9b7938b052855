//! Replays image files as if a camera saw them: for tests, demos and `run --frames DIR`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::{load_grey, Frame, FrameError, FrameSource};

/// A folder of images (sorted by file name) or a single image, played at a chosen rate.
#[derive(Debug)]
pub struct ReplaySource {
    files: Vec<PathBuf>,
    next: usize,
    interval: Option<Duration>,
    next_due: Option<Instant>,
    looping: bool,
}

impl ReplaySource {
    /// Opens `path`, a folder or one image file. `fps` paces the frames like a camera; `None`
    /// plays them as fast as they are asked for.
    pub fn open(path: &Path, fps: Option<f64>) -> Result<ReplaySource, FrameError> {
        let interval = match fps {
            None => None,
            Some(fps) if fps.is_finite() && fps > 0.0 => Some(Duration::from_secs_f64(1.0 / fps)),
            Some(bad) => return Err(FrameError::BadFrameRate(bad)),
        };
        let files = if path.is_dir() {
            crate::qr::frames_command::image_files(path).map_err(|e| FrameError::Unreadable {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })?
        } else if path.is_file() {
            vec![path.to_path_buf()]
        } else {
            return Err(FrameError::Unreadable {
                path: path.to_path_buf(),
                reason: "no such file or folder".into(),
            });
        };
        if files.is_empty() {
            return Err(FrameError::NoImages(path.to_path_buf()));
        }
        Ok(ReplaySource {
            files,
            next: 0,
            interval,
            next_due: None,
            looping: false,
        })
    }

    /// Starts again from the first file after the last one, forever (a demo kiosk).
    pub fn looping(mut self, looping: bool) -> ReplaySource {
        self.looping = looping;
        self
    }

    /// How many files one pass plays.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    fn wait_until_due(&mut self) {
        let Some(interval) = self.interval else {
            return;
        };
        let now = Instant::now();
        let due = self.next_due.unwrap_or(now);
        if due > now {
            std::thread::sleep(due - now);
        }
        // Never try to catch up after a slow consumer: the next frame is one interval away.
        self.next_due = Some(due.max(now) + interval);
    }
}

impl FrameSource for ReplaySource {
    fn next_frame(&mut self) -> Result<Option<Frame>, FrameError> {
        if self.next >= self.files.len() {
            if !self.looping {
                return Ok(None);
            }
            self.next = 0;
        }
        let path = self.files[self.next].clone();
        self.next += 1;
        self.wait_until_due();
        let image = load_grey(&path)?;
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        Ok(Some(Frame { image, name }))
    }

    fn is_live(&self) -> bool {
        false
    }
}
