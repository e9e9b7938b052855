//! `gatehouse-gate decode-frames DIR`: decode every image of a folder and print one JSON line per
//! file. It is how a decoder is compared with others on the same frames, and how a technician
//! checks what the gate reads from a folder of snapshots.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;
use thiserror::Error;

use super::QrDecoder;

/// Why the command could not run at all (a single bad image is reported in its line instead).
#[derive(Debug, Error)]
pub enum DecodeFramesError {
    #[error("cannot read the frame folder {path}: {source}")]
    ReadDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write the report: {0}")]
    Write(#[from] std::io::Error),
}

impl DecodeFramesError {
    /// A stable machine code for logs and scripts.
    pub fn code(&self) -> &'static str {
        match self {
            DecodeFramesError::ReadDir { .. } => "frames_dir_unreadable",
            DecodeFramesError::Write(_) => "report_write_failed",
        }
    }
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FrameReport {
    pub file: String,
    pub text: Option<String>,
    /// Decode time in milliseconds (not counting reading and decompressing the file).
    pub ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Decodes every file of `dir` (sorted by name; sub-folders and hidden files skipped) and writes
/// one JSON line per file: `{"file": ..., "text": ... or null, "ms": ...}`, with an `"error"`
/// field when the file is not a readable image. Each file is decoded on its own, with no memory
/// of the previous one. Returns the reports it wrote.
pub fn decode_frames_command(
    dir: &Path,
    out: &mut impl Write,
) -> Result<Vec<FrameReport>, DecodeFramesError> {
    let files = image_files(dir).map_err(|source| DecodeFramesError::ReadDir {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut decoder = QrDecoder::default();
    let mut reports = Vec::with_capacity(files.len());
    for path in files {
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let report = match crate::frames::load_grey(&path) {
            Ok(frame) => {
                decoder.reset();
                let started = Instant::now();
                let decoded = decoder.decode(&frame);
                let ms = started.elapsed().as_secs_f64() * 1000.0;
                FrameReport {
                    file,
                    text: decoded.map(|d| d.text),
                    ms: (ms * 1000.0).round() / 1000.0,
                    error: None,
                }
            }
            Err(error) => FrameReport {
                file,
                text: None,
                ms: 0.0,
                error: Some(error.to_string()),
            },
        };
        let line = serde_json::to_string(&report).map_err(std::io::Error::from)?;
        writeln!(out, "{line}")?;
        reports.push(report);
    }
    out.flush()?;
    Ok(reports)
}

/// Regular, non-hidden files of `dir`, sorted by name.
pub(crate) fn image_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        if !hidden && entry.path().is_file() {
            files.push(entry.path());
        }
    }
    files.sort();
    Ok(files)
}
