//! Attendee badges: one A6 PDF page (event, name, organisation, a QR ticket, the registration
//! code, a band in the category's colour), written here without a PDF library, and handed to CUPS
//! with `lp` when the kiosk has a printer or saved as a file when it has not.
//!
//! The PDF is the smallest that viewers and CUPS filters accept (ISO 32000-1: a catalog, one page,
//! an uncompressed content stream, the standard Type 1 font Helvetica-Bold, which every PDF reader
//! carries, in WinAnsiEncoding). The QR is drawn as filled squares, so it prints sharp at any
//! resolution. A name the standard font cannot spell (Amharic, Arabic, ...) is not drawn as
//! boxes: the badge carries the registration code in its place and says so in
//! [`Rendered::name_printed`].

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use qrcode::{Color, EcLevel, QrCode};

/// A6 portrait, in points (1/72 in).
const PAGE_W: f32 = 297.64;
const PAGE_H: f32 = 419.53;
const MARGIN: f32 = 18.0;
const QR_SIZE: f32 = 150.0;
const QR_QUIET_MODULES: usize = 4;

/// What goes on a badge.
#[derive(Debug, Clone)]
pub struct Badge<'a> {
    pub event: &'a str,
    pub name: &'a str,
    pub organisation: Option<&'a str>,
    pub category: &'a str,
    pub registration_code: &'a str,
    /// The text the QR carries: a ticket the gates accept.
    pub qr_text: &'a str,
}

/// A rendered badge.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub pdf: Vec<u8>,
    /// False when the name needed a script the badge font lacks and the code stands in for it.
    pub name_printed: bool,
}

/// Why a badge could not be made or printed.
#[derive(Debug, thiserror::Error)]
pub enum BadgeError {
    #[error("the ticket does not fit in a QR code: {0}")]
    Qr(String),
    #[error("cannot write the badge file {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the printer command `lp` is not installed (CUPS client): install `cups-client` or remove the printer queue from the profile to save badges as files")]
    PrinterCommandMissing,
    #[error("the printer queue {queue:?} refused the badge: {detail}")]
    PrinterFailed { queue: String, detail: String },
}

impl BadgeError {
    /// A stable code for screens and logs.
    pub fn code(&self) -> &'static str {
        match self {
            BadgeError::Qr(_) => "badge_qr",
            BadgeError::Write { .. } => "badge_write",
            BadgeError::PrinterCommandMissing => "printer_command_missing",
            BadgeError::PrinterFailed { .. } => "printer_failed",
        }
    }
}

/// The band colour of a category, the same on every kiosk: well-known categories get fixed
/// colours, others one of a palette chosen by a hash of the name. All are dark enough for white
/// text.
pub fn category_colour(category: &str) -> [u8; 3] {
    const PALETTE: [[u8; 3]; 8] = [
        [0x1f, 0x4e, 0x9d], // blue
        [0x2e, 0x7d, 0x32], // green
        [0xb7, 0x1c, 0x1c], // red
        [0x6a, 0x1b, 0x9a], // purple
        [0x9c, 0x5b, 0x00], // amber, darkened
        [0x00, 0x69, 0x6f], // teal
        [0x4e, 0x34, 0x2e], // brown
        [0x37, 0x47, 0x4f], // slate
    ];
    match category.trim().to_lowercase().as_str() {
        "delegate" | "participant" | "attendee" => PALETTE[0],
        "staff" | "organiser" | "organizer" => PALETTE[1],
        "security" => PALETTE[2],
        "speaker" => PALETTE[3],
        "vip" => PALETTE[4],
        "press" | "media" => PALETTE[5],
        other => {
            // FNV-1a: stable across builds and platforms, unlike the std hasher.
            let hash = other.bytes().fold(0x811c_9dc5_u32, |h, b| {
                (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
            });
            PALETTE[hash as usize % PALETTE.len()]
        }
    }
}

/// Renders a badge as a one-page PDF.
pub fn render(badge: &Badge) -> Result<Rendered, BadgeError> {
    let qr = QrCode::with_error_correction_level(badge.qr_text.as_bytes(), EcLevel::M)
        .map_err(|e| BadgeError::Qr(e.to_string()))?;
    let [r, g, b] = category_colour(badge.category);
    let band = format!(
        "{:.3} {:.3} {:.3} rg",
        f32::from(r) / 255.0,
        f32::from(g) / 255.0,
        f32::from(b) / 255.0
    );
    let text_width = PAGE_W - 2.0 * MARGIN;
    let mut page = String::new();

    // Top band: the event, white on the category colour.
    let _ = writeln!(page, "{band}\n0 {:.2} {PAGE_W:.2} 56 re f", PAGE_H - 56.0);
    let event = win_ansi(badge.event).unwrap_or_default();
    centred(
        &mut page,
        &event,
        15.0,
        11.0,
        text_width,
        PAGE_H - 34.0,
        WHITE,
    );

    // The name (one or two lines), or the registration code where the font cannot spell it.
    let name = win_ansi(badge.name.trim()).filter(|n| !n.is_empty());
    let name_printed = name.is_some();
    let name = name.unwrap_or_else(|| win_ansi(badge.registration_code).unwrap_or_default());
    let mut y = PAGE_H - 96.0;
    for line in name_lines(&name, text_width) {
        centred(
            &mut page, &line.text, line.size, line.size, text_width, y, BLACK,
        );
        y -= line.size + 6.0;
    }
    if let Some(org) = badge.organisation.and_then(win_ansi) {
        centred(&mut page, &org, 12.0, 8.0, text_width, y - 4.0, GREY);
    }

    // The QR, with its quiet zone on white, and the code under it for typing by hand.
    let modules = qr.width();
    let colours = qr.to_colors();
    let cell = QR_SIZE / (modules + 2 * QR_QUIET_MODULES) as f32;
    let left = (PAGE_W - QR_SIZE) / 2.0 + QR_QUIET_MODULES as f32 * cell;
    let top = 96.0 + QR_SIZE - QR_QUIET_MODULES as f32 * cell;
    page.push_str("% qr\n0 0 0 rg\n");
    for (i, colour) in colours.iter().enumerate() {
        if *colour == Color::Dark {
            let (col, row) = (i % modules, i / modules);
            let _ = writeln!(
                page,
                "{:.3} {:.3} {cell:.3} {cell:.3} re",
                left + col as f32 * cell,
                top - (row + 1) as f32 * cell
            );
        }
    }
    page.push_str("f\n% end qr\n");
    let code = win_ansi(badge.registration_code).unwrap_or_default();
    centred(&mut page, &code, 11.0, 8.0, text_width, 82.0, BLACK);

    // Bottom band: the category, white on its colour.
    let _ = writeln!(page, "{band}\n0 0 {PAGE_W:.2} 60 re f");
    let category = win_ansi(&badge.category.to_uppercase()).unwrap_or_default();
    centred(&mut page, &category, 22.0, 10.0, text_width, 22.0, WHITE);

    Ok(Rendered {
        pdf: document(page.as_bytes(), (PAGE_W, PAGE_H)),
        name_printed,
    })
}

/// A queue ticket for a receipt printer (58 mm wide): the number large, the desk, the event and
/// the time it was taken (`HH:MM`, the kiosk's local time as the caller formats it).
pub fn render_queue_ticket(event: &str, desk: &str, label: &str, taken_at: &str) -> Vec<u8> {
    const W: f32 = 164.4;
    const H: f32 = 200.0;
    let width = W - 2.0 * MARGIN;
    let mut page = String::new();
    let line = |page: &mut String, text: &str, size: f32, y: f32| {
        // Desk and event names in other scripts are left out rather than printed as boxes.
        if let Some(text) = win_ansi(text) {
            centred(page, &text, size, 6.0, width, y, BLACK);
        }
    };
    line(&mut page, event, 9.0, H - 28.0);
    // The label the desk calls out (`A-042`), as large as fits.
    line(&mut page, label, 64.0, H - 110.0);
    line(&mut page, desk, 14.0, H - 140.0);
    line(&mut page, taken_at, 10.0, H - 166.0);
    document(page.as_bytes(), (W, H))
}

/// Saves a badge as `<dir>/<code>-<unix ms>.pdf`. Returns the file written.
pub fn save(pdf: &[u8], dir: &Path, code: &str, now_ms: i64) -> Result<PathBuf, BadgeError> {
    let write_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| BadgeError::Write { path, source }
    };
    std::fs::create_dir_all(dir).map_err(write_err(dir))?;
    let safe: String = code
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let path = dir.join(format!("{safe}-{now_ms}.pdf"));
    std::fs::write(&path, pdf).map_err(write_err(&path))?;
    Ok(path)
}

/// Sends a saved badge to a CUPS queue with `lp -d QUEUE FILE` (`lp_command` is `lp` but for
/// tests). Returns what `lp` said (the job id line).
pub fn print_file(lp_command: &str, queue: &str, file: &Path) -> Result<String, BadgeError> {
    let output = Command::new(lp_command)
        .arg("-d")
        .arg(queue)
        .arg(file)
        .output()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => BadgeError::PrinterCommandMissing,
            _ => BadgeError::PrinterFailed {
                queue: queue.to_owned(),
                detail: e.to_string(),
            },
        })?;
    if !output.status.success() {
        let said = String::from_utf8_lossy(&output.stderr).trim().to_owned();
        return Err(BadgeError::PrinterFailed {
            queue: queue.to_owned(),
            detail: if said.is_empty() {
                format!("lp exited with {}", output.status)
            } else {
                said
            },
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

const WHITE: &str = "1 1 1 rg";
const BLACK: &str = "0 0 0 rg";
const GREY: &str = "0.25 0.25 0.25 rg";

struct Line {
    text: Vec<u8>,
    size: f32,
}

/// The name on one line at up to 26 pt, or split in two at the space nearest the middle when
/// that reads larger; never under 10 pt.
fn name_lines(name: &[u8], width: f32) -> Vec<Line> {
    let fit = |text: &[u8]| fitting_size(text, width).clamp(10.0, 26.0);
    let one = fit(name);
    let middle = name.len() / 2;
    let split = name
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b' ')
        .min_by_key(|(i, _)| i.abs_diff(middle))
        .map(|(i, _)| i);
    if let (true, Some(at)) = (one < 20.0, split) {
        let (first, second) = (&name[..at], &name[at + 1..]);
        let two = fit(first).min(fit(second)).min(22.0);
        if two > one {
            return vec![
                Line {
                    text: first.to_vec(),
                    size: two,
                },
                Line {
                    text: second.to_vec(),
                    size: two,
                },
            ];
        }
    }
    vec![Line {
        text: name.to_vec(),
        size: one,
    }]
}

/// Draws `text` centred between the margins of a page `width` wide inside them, at baseline `y`,
/// at `size` or smaller to fit.
fn centred(page: &mut String, text: &[u8], size: f32, min: f32, width: f32, y: f32, fill: &str) {
    if text.is_empty() {
        return;
    }
    let units = text_units(text) as f32;
    let size = fitting_size(text, width).clamp(min, size);
    let x = MARGIN + ((width - units * size / 1000.0) / 2.0).max(-MARGIN / 2.0);
    let _ = writeln!(
        page,
        "{fill}\nBT /F1 {size:.2} Tf {x:.2} {y:.2} Td ({}) Tj ET",
        escape(text)
    );
}

/// The largest size, in tenths of a point, at which `text` fits in `width`.
fn fitting_size(text: &[u8], width: f32) -> f32 {
    (width * 10_000.0 / text_units(text).max(1) as f32).floor() / 10.0
}

/// The width of WinAnsi text in Helvetica-Bold, in 1/1000 em (the font's AFM metrics).
fn text_units(text: &[u8]) -> u32 {
    // Advance widths of Helvetica-Bold for the printable ASCII range 32..=126.
    const ASCII: [u16; 95] = [
        278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278,
        278, // sp..'/'
        556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584,
        611, // 0..?
        975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722,
        778, // @..O
        667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584,
        556, // P.._
        333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611,
        611, // `..o
        611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584, // p..~
    ];
    text.iter()
        .map(|&b| match b {
            32..=126 => u32::from(ASCII[usize::from(b - 32)]),
            // Accented capitals and the rest of WinAnsi: a wide letter's width keeps fits safe.
            _ => 722,
        })
        .sum()
}

/// `text` in WinAnsiEncoding (PDF 32000-1 annex D), or `None` when a character has no place in
/// it. Latin-1 letters map to themselves; a few typographic marks sit in 0x80..0x9F.
fn win_ansi(text: &str) -> Option<Vec<u8>> {
    text.chars()
        .map(|c| match c {
            ' '..='~' => Some(c as u8),
            '\u{a0}'..='\u{ff}' => Some(c as u8),
            '€' => Some(0x80),
            '‚' => Some(0x82),
            '„' => Some(0x84),
            '…' => Some(0x85),
            'Š' => Some(0x8a),
            '‹' => Some(0x8b),
            'Œ' => Some(0x8c),
            'Ž' => Some(0x8e),
            '‘' => Some(0x91),
            '’' => Some(0x92),
            '“' => Some(0x93),
            '”' => Some(0x94),
            '–' => Some(0x96),
            '—' => Some(0x97),
            'š' => Some(0x9a),
            '›' => Some(0x9b),
            'œ' => Some(0x9c),
            'ž' => Some(0x9e),
            'Ÿ' => Some(0x9f),
            _ => None,
        })
        .collect()
}

/// A PDF literal string's body: backslash, parentheses escaped; other bytes as they are.
fn escape(text: &[u8]) -> String {
    let mut out = String::with_capacity(text.len());
    for &b in text {
        match b {
            b'\\' | b'(' | b')' => {
                out.push('\\');
                out.push(b as char);
            }
            32..=126 => out.push(b as char),
            _ => {
                let _ = write!(out, "\\{b:03o}");
            }
        }
    }
    out
}

/// Wraps one page's content stream into a complete PDF file with its cross-reference table.
fn document(content: &[u8], (width, height): (f32, f32)) -> Vec<u8> {
    let objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width:.2} {height:.2}] \
             /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>"
        )
        .into_bytes(),
        [
            format!("<< /Length {} >>\nstream\n", content.len()).as_bytes(),
            content,
            b"\nendstream",
        ]
        .concat(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>"
            .to_vec(),
    ];
    let mut pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        pdf.extend_from_slice(body);
        pdf.extend_from_slice(b"\nendobj\n");
    }
    let xref = pdf.len();
    let mut table = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for offset in offsets {
        // Each entry is 20 bytes: offset, generation, "n", space, newline.
        let _ = writeln!(table, "{offset:010} 00000 n ");
    }
    let _ = write!(
        table,
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    );
    pdf.extend_from_slice(table.as_bytes());
    pdf
}

#[cfg(test)]
mod tests {
    use super::*;

    fn badge<'a>(name: &'a str, qr_text: &'a str) -> Badge<'a> {
        Badge {
            event: "Annual Summit 2026",
            name,
            organisation: Some("Ministry of Foreign Affairs"),
            category: "Delegate",
            registration_code: "K7QD-3M9X",
            qr_text,
        }
    }

    /// The rectangles between the QR markers, drawn into a grey image as a printer would.
    fn qr_image(pdf: &[u8]) -> image::GrayImage {
        let text = String::from_utf8_lossy(pdf);
        let start = text.find("% qr\n").expect("qr section");
        let end = text.find("% end qr").expect("qr end");
        let scale = 4.0;
        let (w, h) = ((PAGE_W * scale) as u32, (PAGE_H * scale) as u32);
        let mut img = image::GrayImage::from_pixel(w, h, image::Luma([255]));
        for line in text[start..end].lines().filter(|l| l.ends_with(" re")) {
            let n: Vec<f32> = line
                .split_whitespace()
                .take(4)
                .map(|v| v.parse().unwrap())
                .collect();
            let (x0, y0) = (
                (n[0] * scale) as u32,
                ((PAGE_H - n[1] - n[3]) * scale) as u32,
            );
            let (x1, y1) = (
                ((n[0] + n[2]) * scale).ceil() as u32,
                ((PAGE_H - n[1]) * scale).ceil() as u32,
            );
            for y in y0..y1.min(h) {
                for x in x0..x1.min(w) {
                    img.put_pixel(x, y, image::Luma([0]));
                }
            }
        }
        img
    }

    fn read_qr(img: image::GrayImage) -> String {
        let mut prepared = rqrr::PreparedImage::prepare(img);
        let grids = prepared.detect_grids();
        assert_eq!(grids.len(), 1, "one QR on the badge");
        grids[0].decode().expect("QR decodes").1
    }

    #[test]
    fn the_badge_qr_reads_back_as_the_ticket() {
        let ticket = "NCFOA3G%LX9O*Y5:MAP:8Z3*9/V6WI8KZ2.F3+ZB1QP8BWG1/KH7J8L2AM6SH9/Q1KDX3O0W7T:1AGIP35XCZ1E";
        let rendered = render(&badge("Amina Yusuf", ticket)).unwrap();
        assert!(rendered.name_printed);
        assert_eq!(read_qr(qr_image(&rendered.pdf)), ticket);
    }

    #[test]
    fn the_file_is_a_well_formed_pdf_whose_cross_references_point_at_its_objects() {
        let rendered = render(&badge("José (Pepe) O’Brien", "TICKET")).unwrap();
        let pdf = &rendered.pdf;
        assert!(pdf.starts_with(b"%PDF-1.4\n"));
        assert!(pdf.ends_with(b"%%EOF\n"));
        let text = String::from_utf8_lossy(pdf);
        let startxref: usize = text
            .rsplit("startxref\n")
            .next()
            .and_then(|t| t.lines().next())
            .and_then(|n| n.parse().ok())
            .unwrap();
        assert!(pdf[startxref..].starts_with(b"xref\n0 6\n"));
        let table = String::from_utf8_lossy(&pdf[startxref..]);
        for (n, line) in table.lines().skip(3).take(5).enumerate() {
            let offset: usize = line[..10].parse().unwrap();
            let header = format!("{} 0 obj\n", n + 1);
            assert!(
                pdf[offset..].starts_with(header.as_bytes()),
                "object {}",
                n + 1
            );
        }
        // Parentheses escaped, accents in WinAnsi (é = 0xE9), the curly apostrophe at 0x92.
        assert!(pdf.windows(3).any(|w| w == b"\\(P"));
        assert!(text.contains("Jos\\351"));
        assert!(text.contains("O\\222Brien"));
        // The stream's stated length is its real length.
        let stream = text.find("stream\n").unwrap() + "stream\n".len();
        let end = text.find("\nendstream").unwrap();
        assert!(text.contains(&format!("/Length {}", end - stream)));
    }

    #[test]
    fn a_name_the_font_cannot_spell_gives_way_to_the_registration_code() {
        let rendered = render(&badge("ሰላም ተስፋዬ", "TICKET")).unwrap();
        assert!(!rendered.name_printed);
        assert!(String::from_utf8_lossy(&rendered.pdf).contains("(K7QD-3M9X) Tj"));
        let arabic = render(&badge("ليلى حداد", "TICKET")).unwrap();
        assert!(!arabic.name_printed);
    }

    #[test]
    fn a_long_name_is_split_over_two_lines_and_a_short_one_is_not() {
        let long = "Maria Fernanda de los Santos Albuquerque-Vasconcelos";
        let lines = name_lines(&win_ansi(long).unwrap(), PAGE_W - 2.0 * MARGIN);
        assert_eq!(lines.len(), 2);
        for line in &lines {
            assert!(text_units(&line.text) as f32 * line.size / 1000.0 <= PAGE_W - 2.0 * MARGIN);
        }
        assert_eq!(name_lines(b"Li Wei", PAGE_W - 2.0 * MARGIN).len(), 1);
    }

    #[test]
    fn a_queue_ticket_carries_the_label_the_desk_calls_and_the_desk() {
        let pdf = render_queue_ticket("Annual Summit 2026", "Accreditation", "A-042", "08:15");
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("/MediaBox [0 0 164.40 200.00]"));
        for part in ["(A-042) Tj", "(Accreditation) Tj", "(08:15) Tj"] {
            assert!(text.contains(part), "{part} missing");
        }
        // The label is shrunk to the ticket's width, never past its edge.
        let size: f32 = text
            .lines()
            .find(|l| l.contains("(A-042) Tj"))
            .and_then(|l| l.split("/F1 ").nth(1))
            .and_then(|rest| rest.split(' ').next())
            .and_then(|s| s.parse().ok())
            .unwrap();
        let width = text_units(b"A-042") as f32 * size / 1000.0;
        assert!(
            width <= 164.4 - 2.0 * MARGIN + 0.1,
            "{width} pt wide at {size} pt"
        );
    }

    #[test]
    fn categories_keep_their_colour_and_unknown_ones_get_a_stable_one() {
        assert_eq!(category_colour("VIP"), category_colour(" vip "));
        assert_ne!(category_colour("vip"), category_colour("delegate"));
        assert_eq!(category_colour("observer"), category_colour("Observer"));
    }

    #[test]
    fn badges_are_saved_as_files_and_printer_faults_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let rendered = render(&badge("Amina Yusuf", "TICKET")).unwrap();
        let file = save(&rendered.pdf, &dir.path().join("badges"), "K7QD-3M9X", 42).unwrap();
        assert_eq!(file.file_name().unwrap(), "K7QD-3M9X-42.pdf");
        assert_eq!(std::fs::read(&file).unwrap(), rendered.pdf);

        let missing = print_file("/nonexistent/lp", "badges", &file).unwrap_err();
        assert_eq!(missing.code(), "printer_command_missing");
        // `false` stands in for an lp that refuses the job (no CUPS server here).
        let refused = print_file("false", "badges", &file).unwrap_err();
        assert_eq!(refused.code(), "printer_failed");
        assert!(refused.to_string().contains("\"badges\""));
    }
}
