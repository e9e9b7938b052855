//! Cells written to a CSV a person will open in a spreadsheet.

use std::borrow::Cow;

/// A cell a spreadsheet will not run: one starting with `=`, `+`, `-`, `@`, a tab or a carriage
/// return (a formula, or one once its lead is stripped) gets a leading `'`, OWASP's rule against
/// CSV injection. An override reason `=HYPERLINK(...)` sent through the REST API, or a name typed
/// that way at registration, stays text in the access log export and in a gate's evidence export.
pub fn inert_cell(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_that_would_start_a_formula_become_text() {
        for cell in ["=1+1", "+1", "-2", "@SUM(A1)", "\t=1", "\r=1"] {
            assert_eq!(inert_cell(cell), format!("'{cell}"), "{cell:?}");
        }
        for cell in ["", "plain", "1-2", "a=b", "'quoted"] {
            assert_eq!(inert_cell(cell), cell, "{cell:?}");
        }
    }
}
