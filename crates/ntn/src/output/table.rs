//! A small table printer: aligned columns with a bold header for people,
//! TSV without a header for pipes (`--plain`).

use std::io::Write;

use super::{Format, Ui, stdout_error, text};
use crate::error::Result;

/// Rows of text cells under a header.
#[derive(Clone, Debug, Default)]
pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new<I, S>(headers: I) -> Table
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Table {
            headers: headers.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row<I, S>(&mut self, cells: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.rows.push(cells.into_iter().map(Into::into).collect());
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Renders for people: header, aligned columns, two spaces between them.
    /// Cells are sanitised so a control character cannot break the layout.
    pub fn render_human(&self, color: bool) -> String {
        let cols = self.headers.len();
        let clean: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| r.iter().map(|c| text::one_line(c).into_owned()).collect())
            .collect();
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for row in &clean {
            for (i, cell) in row.iter().enumerate().take(cols) {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
        let mut out = String::new();
        let bold = anstyle::Style::new().bold();
        let line = |cells: &[String], out: &mut String, header: bool| {
            let mut text = String::new();
            for (i, cell) in cells.iter().enumerate().take(cols) {
                if i + 1 == cols {
                    text.push_str(cell);
                } else {
                    text.push_str(cell);
                    let pad = widths[i] - cell.chars().count() + 2;
                    text.extend(std::iter::repeat_n(' ', pad));
                }
            }
            let text = text.trim_end();
            if header && color {
                out.push_str(&format!("{bold}{text}{bold:#}\n"));
            } else {
                out.push_str(text);
                out.push('\n');
            }
        };
        line(&self.headers, &mut out, true);
        for row in &clean {
            line(row, &mut out, false);
        }
        out
    }

    /// Renders TSV without a header; tabs and newlines inside cells become spaces.
    pub fn render_plain(&self) -> String {
        let mut out = String::new();
        for row in &self.rows {
            let cells: Vec<String> = row.iter().map(|c| text::one_line(c).into_owned()).collect();
            out.push_str(&cells.join("\t"));
            out.push('\n');
        }
        out
    }

    /// Prints to stdout in the given format (`Json` is the caller's business;
    /// here it falls back to the human table).
    pub fn print(&self, ui: &Ui, format: Format) -> Result<()> {
        let text = match format {
            Format::Plain => self.render_plain(),
            _ => self.render_human(ui.out_color()),
        };
        let mut out = ui.raw();
        out.write_all(text.as_bytes()).map_err(stdout_error)?;
        out.flush().map_err(stdout_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_aligns_columns() {
        let mut t = Table::new(["ID", "NAME"]);
        t.row(["1", "Acme"]);
        t.row(["22", "Globex\tCorp"]);
        assert_eq!(
            t.render_human(false),
            "ID  NAME\n1   Acme\n22  Globex Corp\n"
        );
    }

    #[test]
    fn plain_is_tsv_without_header() {
        let mut t = Table::new(["ID", "NAME"]);
        t.row(["1", "Acme"]);
        t.row(["2", "a\nb"]);
        assert_eq!(t.render_plain(), "1\tAcme\n2\ta b\n");
    }
}
