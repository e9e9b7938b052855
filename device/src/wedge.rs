//! Keyboard-wedge hand scanners: USB devices that type the code and press Enter.
//!
//! They are first-class at a gate (a camera-less desk, a damaged badge held at an angle), so
//! their lines go down the same path as a camera decode, through the same debounce. Scanners
//! end a line with CR, LF or CR LF depending on their setup; all three are accepted. Spaces are
//! kept: the Base45 alphabet of our tickets contains the space character.

use std::io::{self, BufRead};

/// The code a scanner typed on one line, or `None` for an empty line.
pub fn wedge_text(line: &str) -> Option<&str> {
    let text = line.trim_matches(|c| c == '\r' || c == '\n');
    (!text.is_empty()).then_some(text)
}

/// Reads a scanner's lines (stdin, a tty, a pipe) and yields each non-empty one.
#[derive(Debug)]
pub struct WedgeLines<R> {
    reader: R,
    pending: Vec<u8>,
    done: bool,
}

impl<R: BufRead> WedgeLines<R> {
    pub fn new(reader: R) -> WedgeLines<R> {
        WedgeLines {
            reader,
            pending: Vec::new(),
            done: false,
        }
    }

    /// Takes a finished line from `pending`, if it holds a non-empty one.
    fn take_line(&mut self, upto: usize) -> Option<String> {
        let line: Vec<u8> = self.pending.drain(..upto).collect();
        let line = String::from_utf8_lossy(&line);
        wedge_text(&line).map(str::to_string)
    }
}

impl<R: BufRead> Iterator for WedgeLines<R> {
    type Item = io::Result<String>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(end) = self.pending.iter().position(|&b| b == b'\r' || b == b'\n') {
                let line = self.take_line(end);
                self.pending.remove(0);
                if let Some(line) = line {
                    return Some(Ok(line));
                }
                continue;
            }
            if self.done {
                let rest = self.pending.len();
                return if rest == 0 {
                    None
                } else {
                    self.take_line(rest).map(Ok)
                };
            }
            let chunk = match self.reader.fill_buf() {
                Ok(chunk) => chunk,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            };
            if chunk.is_empty() {
                self.done = true;
                continue;
            }
            let taken = chunk.len();
            self.pending.extend_from_slice(chunk);
            self.reader.consume(taken);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8]) -> Vec<String> {
        WedgeLines::new(input).map(|l| l.unwrap()).collect()
    }

    #[test]
    fn scanners_ending_lines_with_cr_lf_or_crlf_all_read_the_same() {
        assert_eq!(lines(b"ABC\r\nDEF\nGHI\rJKL"), ["ABC", "DEF", "GHI", "JKL"]);
    }

    #[test]
    fn empty_lines_from_a_double_enter_are_ignored() {
        assert_eq!(lines(b"\r\n\r\nABC\r\n\n\n"), ["ABC"]);
    }

    #[test]
    fn spaces_inside_a_ticket_are_kept() {
        assert_eq!(lines(b" AB C \r\n"), [" AB C "]);
    }

    #[test]
    fn garbage_bytes_do_not_stop_the_reader() {
        assert_eq!(lines(b"\xff\xfeX\nABC\n").len(), 2);
    }

    #[test]
    fn wedge_text_strips_only_line_endings() {
        assert_eq!(
            wedge_text("6BFOXN*TS0BI$ZDFRH\r\n"),
            Some("6BFOXN*TS0BI$ZDFRH")
        );
        assert_eq!(wedge_text("\r\n"), None);
    }
}
