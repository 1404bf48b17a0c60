//! Records (rows of text cells, each with an id and its JSON) written as
//! they come, in every output mode, in flat memory:
//!
//! * a table for people: widths measured on the first rows, fitted to the
//!   terminal (wide columns shrink, cells end with `…`, columns that cannot
//!   fit are dropped with a note on stderr);
//! * `--plain`: TSV without a header (tabs and line breaks become spaces);
//! * `--csv`: RFC 4180 (CRLF, quotes where needed) with a header row, by the
//!   `csv` crate; a cell that a spreadsheet would run as a formula is
//!   neutralised with a leading `'` ([`neutralize`], OWASP's advice), unless
//!   `--raw-csv`; [`unneutralize`] undoes exactly that;
//! * `--json`: one JSON array, each record as the server sent it (pretty,
//!   coloured on a terminal); `--ndjson`: one record per line;
//! * `--ids`: one id per line.
//!
//! Text cells are made safe for a terminal; JSON is escaped by nature.

use std::io::Write;

use serde_json::value::RawValue;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::{Ui, json, stdout_error, text};
use crate::error::{Error, Result};

/// `--plain`, `--csv`, `--json`, `--ndjson`, `--ids` (at most one), and `--raw-csv`.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct RecordArgs {
    #[command(flatten)]
    pub modes: ModeArgs,
    /// With --csv: keep cells that a spreadsheet would run as formulas as they are
    /// (by default they start with ')
    #[arg(long, requires = "csv")]
    pub raw_csv: bool,
}

/// The output modes (at most one).
#[derive(clap::Args, Clone, Debug, Default)]
#[group(multiple = false)]
pub struct ModeArgs {
    /// Print tab-separated values without a header (for pipes)
    #[arg(long)]
    pub plain: bool,
    /// Print CSV (RFC 4180) with a header row
    #[arg(long)]
    pub csv: bool,
    /// Print a JSON array of the objects as Notion returns them
    #[arg(long)]
    pub json: bool,
    /// Print one JSON object per line
    #[arg(long)]
    pub ndjson: bool,
    /// Print only the ids, one per line
    #[arg(long)]
    pub ids: bool,
}

/// How records are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Table,
    Plain,
    Csv,
    Json,
    Ndjson,
    Ids,
}

impl RecordArgs {
    pub fn mode(&self) -> Mode {
        self.modes.mode()
    }

    /// A writer of records in the chosen mode, to `ui`'s stdout.
    pub fn records<'u>(&self, ui: &'u Ui, headers: Vec<String>) -> Records<'u> {
        let mut r = Records::new(ui, self.mode(), headers);
        r.raw_csv = self.raw_csv;
        r
    }
}

impl ModeArgs {
    pub fn mode(&self) -> Mode {
        if self.plain {
            Mode::Plain
        } else if self.csv {
            Mode::Csv
        } else if self.json {
            Mode::Json
        } else if self.ndjson {
            Mode::Ndjson
        } else if self.ids {
            Mode::Ids
        } else {
            Mode::Table
        }
    }
}

impl Mode {
    /// Whether records need their text cells.
    pub fn needs_cells(self) -> bool {
        matches!(self, Mode::Table | Mode::Plain | Mode::Csv)
    }
}

/// Rows measured before a table's widths are fixed.
const SAMPLE: usize = 100;
/// The narrowest a column is shrunk to (when its content is wider).
const MIN_WIDTH: usize = 6;

/// Writes stdout through the `Ui`, one lock per write.
struct Stdout<'u>(&'u Ui);

impl Write for Stdout<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.raw().write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.raw().flush()
    }
}

/// A streaming writer of records; see the module docs.
pub struct Records<'u> {
    ui: &'u Ui,
    mode: Mode,
    headers: Vec<String>,
    count: u64,
    /// Table rows waiting for the widths.
    pending: Vec<Vec<String>>,
    /// The table's column widths, once fixed (and how many columns show).
    widths: Option<Vec<usize>>,
    csv: Option<csv::Writer<Stdout<'u>>>,
    /// CSV cells written as they are, formulas included (`--raw-csv`).
    raw_csv: bool,
    json_open: bool,
}

impl<'u> Records<'u> {
    pub fn new(ui: &'u Ui, mode: Mode, headers: Vec<String>) -> Records<'u> {
        let csv = (mode == Mode::Csv).then(|| {
            csv::WriterBuilder::new()
                .terminator(csv::Terminator::CRLF)
                .from_writer(Stdout(ui))
        });
        Records {
            ui,
            mode,
            headers,
            count: 0,
            pending: Vec::new(),
            widths: None,
            csv,
            raw_csv: false,
            json_open: false,
        }
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Records written (or waiting to be).
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Adds a record: its id, its cells (called only when the mode shows
    /// cells) and its JSON.
    pub fn push(
        &mut self,
        id: &str,
        cells: impl FnOnce() -> Vec<String>,
        raw: &RawValue,
    ) -> Result<()> {
        self.count += 1;
        match self.mode {
            Mode::Table => {
                let cells = cells();
                match &self.widths {
                    Some(_) => self.write_rows(&[cells])?,
                    None => {
                        self.pending.push(cells);
                        if self.pending.len() >= SAMPLE {
                            self.fix_widths()?;
                        }
                    }
                }
                Ok(())
            }
            Mode::Plain => {
                let line: Vec<String> = cells()
                    .iter()
                    .map(|c| text::one_line(c).into_owned())
                    .collect();
                self.ui.line(line.join("\t"))
            }
            Mode::Csv => {
                if self.count == 1 {
                    let headers = self.headers.clone();
                    self.csv_row(&headers)?;
                }
                let cells = cells();
                self.csv_row(&cells)
            }
            Mode::Json => {
                let mut out = self.ui.json_out();
                let sep: &[u8] = if self.json_open { b",\n  " } else { b"[\n  " };
                self.json_open = true;
                out.write_all(sep).map_err(stdout_error)?;
                json::pretty(raw.get().as_bytes(), &mut out, self.ui.out_color(), 1)
                    .and_then(|()| out.flush())
                    .map_err(stdout_error)
            }
            Mode::Ndjson => {
                // JSON text holds no raw line breaks inside strings: dropping
                // them keeps one record per line whatever the server sent.
                let mut line: String = raw
                    .get()
                    .chars()
                    .filter(|c| *c != '\n' && *c != '\r')
                    .collect();
                line.push('\n');
                let mut out = self.ui.json_out();
                out.write_all(line.as_bytes())
                    .and_then(|()| out.flush())
                    .map_err(stdout_error)
            }
            Mode::Ids => self.ui.line(text::clean(id)),
        }
    }

    fn csv_row(&mut self, cells: &[String]) -> Result<()> {
        let terminal = self.ui.stdout_is_tty();
        let raw = self.raw_csv;
        let Some(w) = self.csv.as_mut() else {
            return Ok(());
        };
        let row = cells.iter().map(|c| {
            let c = if raw {
                std::borrow::Cow::Borrowed(c.as_str())
            } else {
                neutralize(c)
            };
            if terminal {
                text::clean_text(&c).into_owned()
            } else {
                c.into_owned()
            }
        });
        w.write_record(row).map_err(csv_error)
    }

    /// Makes what was written so far visible (at the end of each page).
    pub fn flush(&mut self) -> Result<()> {
        if let Some(w) = self.csv.as_mut() {
            w.flush().map_err(stdout_error)?;
        }
        self.ui.raw().flush().map_err(stdout_error)
    }

    /// Writes what is left (the table, the CSV header of an empty result,
    /// the end of the JSON array).
    pub fn finish(mut self) -> Result<()> {
        match self.mode {
            Mode::Table if self.widths.is_none() && !self.pending.is_empty() => {
                self.fix_widths()?;
            }
            Mode::Csv if self.count == 0 => {
                let headers = self.headers.clone();
                self.csv_row(&headers)?;
            }
            Mode::Json => {
                let end: &[u8] = if self.json_open { b"\n]\n" } else { b"[]\n" };
                self.ui.raw().write_all(end).map_err(stdout_error)?;
            }
            _ => {}
        }
        self.flush()
    }

    /// After a failure midway: says when the output was left unfinished (a
    /// JSON array open), so that no reader mistakes it for the whole list.
    pub fn abandon(mut self) {
        if self.mode == Mode::Table && !self.pending.is_empty() {
            let _ = self.fix_widths();
        }
        let _ = self.flush();
        if self.json_open {
            self.ui.warn(
                "the output is incomplete: the query stopped early and the JSON array was left open",
            );
        }
    }

    fn fix_widths(&mut self) -> Result<()> {
        let cols = self.headers.len();
        let mut natural: Vec<usize> = self.headers.iter().map(|h| width_of(h)).collect();
        for row in &self.pending {
            for (i, c) in row.iter().enumerate().take(cols) {
                natural[i] = natural[i].max(width_of(&text::one_line(c)));
            }
        }
        let widths = match self.ui.width() {
            Some(w) => fit(&natural, w),
            None => natural,
        };
        if widths.len() < cols {
            let hidden: Vec<String> = self.headers[widths.len()..]
                .iter()
                .map(|h| text::one_line(h).into_owned())
                .collect();
            self.ui.note(format_args!(
                "{} column(s) do not fit the terminal: {} (--columns chooses, --csv shows all)",
                hidden.len(),
                hidden.join(", ")
            ));
        }
        self.widths = Some(widths);
        let header = self.headers.clone();
        let bold = super::style::EMPH;
        let line = self.render(&header);
        {
            let mut out = self.ui.out();
            writeln!(out, "{bold}{line}{bold:#}").map_err(stdout_error)?;
        }
        let rows = std::mem::take(&mut self.pending);
        self.write_rows(&rows)
    }

    fn render(&self, cells: &[String]) -> String {
        let Some(widths) = &self.widths else {
            return String::new();
        };
        let fitted = self.ui.width().is_some();
        let mut line = String::new();
        for (i, w) in widths.iter().enumerate() {
            let cell = cells.get(i).map(String::as_str).unwrap_or("");
            let cell = text::one_line(cell);
            let cell = if fitted {
                truncate(&cell, *w)
            } else {
                cell.into_owned()
            };
            line.push_str(&cell);
            if i + 1 < widths.len() {
                let pad = w.saturating_sub(width_of(&cell)) + 2;
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        line.trim_end().to_string()
    }

    fn write_rows(&self, rows: &[Vec<String>]) -> Result<()> {
        let mut out = self.ui.raw();
        for row in rows {
            let line = self.render(row);
            out.write_all(line.as_bytes()).map_err(stdout_error)?;
            out.write_all(b"\n").map_err(stdout_error)?;
        }
        Ok(())
    }
}

fn csv_error(e: csv::Error) -> Error {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => stdout_error(io),
        other => Error::local(format!("could not write CSV: {other:?}")),
    }
}

/// Display width (wide characters count two).
fn width_of(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// The characters that make a spreadsheet read a cell as a formula when they start it
/// (OWASP, "CSV Injection"): `=`, `+`, `-`, `@`, tab and carriage return.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether a cell needs a `'` in front: it starts like a formula (a plain number such as
/// `-3` or `+1.5e3` excepted: a spreadsheet reads it as the same number), or it is
/// already such a cell behind `'`s (so that [`unneutralize`] can tell the two apart).
fn needs_quote(cell: &str) -> bool {
    let rest = cell.trim_start_matches('\'');
    let starts = rest.starts_with(FORMULA_STARTS);
    if rest.len() == cell.len() {
        starts && !is_number(cell)
    } else {
        starts
    }
}

fn is_number(s: &str) -> bool {
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    body.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        && body.parse::<f64>().is_ok_and(f64::is_finite)
}

/// A CSV cell safe to open in a spreadsheet: one that would run as a formula gets a
/// leading `'` (OWASP's advice); every other cell is left as it is. [`unneutralize`]
/// gives back exactly the original.
pub fn neutralize(cell: &str) -> std::borrow::Cow<'_, str> {
    if needs_quote(cell) {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// The cell [`neutralize`] was given: one leading `'` removed when it was added.
pub fn unneutralize(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if needs_quote(rest) => rest,
        _ => cell,
    }
}

/// `s` cut to `width` display columns, ending with `…` when cut.
pub fn truncate(s: &str, width: usize) -> String {
    if width_of(s) <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width - 1 {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// Column widths for `natural` widths in `available` columns (two spaces
/// between columns): unchanged when they fit; else the widest shrink first,
/// none below [`MIN_WIDTH`] (or its own width); columns that still do not fit
/// are dropped from the right (the result is shorter).
pub fn fit(natural: &[usize], available: usize) -> Vec<usize> {
    let total = |w: &[usize]| w.iter().sum::<usize>() + 2 * w.len().saturating_sub(1);
    if total(natural) <= available {
        return natural.to_vec();
    }
    let mins: Vec<usize> = natural.iter().map(|n| (*n).min(MIN_WIDTH)).collect();
    let mut shown = natural.len();
    while shown > 1 && total(&mins[..shown]) > available {
        shown -= 1;
    }
    let natural = &natural[..shown];
    let mins = &mins[..shown];
    if total(mins) > available {
        return vec![available.max(1)];
    }
    // The largest cap with every column at min(natural, max(cap, min)).
    let capped = |cap: usize| -> Vec<usize> {
        natural
            .iter()
            .zip(mins)
            .map(|(n, m)| (*n).min(cap.max(*m)))
            .collect()
    };
    let (mut lo, mut hi) = (0, natural.iter().copied().max().unwrap_or(0));
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if total(&capped(mid)) <= available {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    let mut widths = capped(lo);
    // Hand out what is left, a column at a time, to those still cut.
    let mut left = available.saturating_sub(total(&widths));
    for (w, n) in widths.iter_mut().zip(natural) {
        if left == 0 {
            break;
        }
        if *w < *n {
            *w += 1;
            left -= 1;
        }
    }
    widths
}

#[cfg(test)]
mod tests {

    #[test]
    fn formula_cells_are_neutralised_and_restored_exactly() {
        for (cell, out) in [
            ("=SUM(A1:A2)", "'=SUM(A1:A2)"),
            ("+1+1", "'+1+1"),
            ("-2+3", "'-2+3"),
            ("@cmd", "'@cmd"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("-", "'-"),
            ("'=x", "''=x"),
            ("''@x", "'''@x"),
            // Left alone: numbers, ordinary text, a quote before text.
            ("-3", "-3"),
            ("+1.5e3", "+1.5e3"),
            ("-.5", "-.5"),
            ("plain", "plain"),
            ("'quoted", "'quoted"),
            ("", ""),
            ("a=b", "a=b"),
        ] {
            assert_eq!(neutralize(cell), out, "{cell:?}");
            assert_eq!(unneutralize(out), cell, "{out:?}");
        }
        // What neutralize never writes is read as it is.
        assert_eq!(unneutralize("'-3"), "'-3");
        assert_eq!(unneutralize("'plain"), "'plain");
    }

    use super::*;
    use crate::output::TestUi;

    fn raw(s: &str) -> Box<RawValue> {
        RawValue::from_string(s.to_string()).unwrap()
    }

    fn write(ui: &Ui, mode: Mode, rows: &[(&str, &[&str], &str)]) {
        let mut r = Records::new(ui, mode, vec!["Name".into(), "Notes".into()]);
        for (id, cells, json) in rows {
            let cells: Vec<String> = cells.iter().map(|c| c.to_string()).collect();
            r.push(id, || cells, &raw(json)).unwrap();
        }
        r.finish().unwrap();
    }

    const ROWS: &[(&str, &[&str], &str)] = &[
        (
            "p1",
            &["Launch, site", "say \"hi\"\nthen go"],
            "{\"id\":\"p1\",\"n\":1}",
        ),
        ("p2", &["Docs\x1b[2J", ""], "{\"id\":\"p2\",\n\"n\":2}"),
    ];

    #[test]
    fn every_mode() {
        let out = |mode| {
            let (ui, cap) = Ui::test();
            write(&ui, mode, ROWS);
            cap.stdout()
        };
        assert_eq!(
            out(Mode::Table),
            "Name          Notes\nLaunch, site  say \"hi\" then go\nDocs\\x1b[2J\n"
        );
        assert_eq!(
            out(Mode::Plain),
            "Launch, site\tsay \"hi\" then go\nDocs\\x1b[2J\t\n"
        );
        assert_eq!(
            out(Mode::Csv),
            "Name,Notes\r\n\"Launch, site\",\"say \"\"hi\"\"\nthen go\"\r\nDocs\x1b[2J,\r\n"
        );
        assert_eq!(
            out(Mode::Json),
            "[\n  {\n    \"id\": \"p1\",\n    \"n\": 1\n  },\n  {\n    \"id\": \"p2\",\n    \"n\": 2\n  }\n]\n"
        );
        assert_eq!(
            out(Mode::Ndjson),
            "{\"id\":\"p1\",\"n\":1}\n{\"id\":\"p2\",\"n\":2}\n"
        );
        assert_eq!(out(Mode::Ids), "p1\np2\n");
    }

    #[test]
    fn empty_results() {
        for (mode, want) in [
            (Mode::Table, ""),
            (Mode::Csv, "Name,Notes\r\n"),
            (Mode::Json, "[]\n"),
            (Mode::Ndjson, ""),
        ] {
            let (ui, cap) = Ui::test();
            write(&ui, mode, &[]);
            assert_eq!(cap.stdout(), want, "{mode:?}");
        }
    }

    #[test]
    fn csv_on_a_terminal_is_cleaned() {
        let (ui, cap) = TestUi::new().terminal(80).build();
        write(&ui, Mode::Csv, ROWS);
        assert!(cap.stdout().contains("Docs\\x1b[2J,"), "{:?}", cap.stdout());
    }

    #[test]
    fn tables_fit_the_terminal() {
        let (ui, cap) = TestUi::new().terminal(20).build();
        let mut r = Records::new(&ui, Mode::Table, vec!["Name".into(), "Notes".into()]);
        let long = "a very long note indeed".to_string();
        r.push("p", || vec!["Launch site".into(), long.clone()], &raw("{}"))
            .unwrap();
        r.finish().unwrap();
        let out = cap.stdout();
        for line in out.lines() {
            assert!(width_of(line) <= 20, "{line:?}");
        }
        assert_eq!(out, "Name       Notes\nLaunch s…  a very l…\n");
    }

    #[test]
    fn widths_shrink_the_widest_first_and_drop_what_cannot_fit() {
        assert_eq!(fit(&[4, 10], 20), [4, 10]);
        assert_eq!(fit(&[4, 30, 30], 40), [4, 16, 16]);
        assert_eq!(fit(&[4, 30, 31], 41), [4, 17, 16]);
        assert_eq!(fit(&[20, 3], 12), [7, 3]);
        // Three columns of at least 6 need 22 columns: the third goes.
        assert_eq!(fit(&[10, 10, 10], 16), [7, 7]);
        assert_eq!(fit(&[50], 10), [10]);
        assert_eq!(truncate("日本語のテキスト", 7), "日本語…");
        assert_eq!(truncate("abc", 3), "abc");
        assert_eq!(truncate("abcd", 1), "…");
    }

    #[test]
    fn hidden_columns_are_noted() {
        let (ui, cap) = TestUi::new().terminal(10).build();
        let mut r = Records::new(&ui, Mode::Table, vec!["Name".into(), "Notes".into()]);
        r.push(
            "p",
            || vec!["Launch site".into(), "x".repeat(20)],
            &raw("{}"),
        )
        .unwrap();
        r.finish().unwrap();
        assert_eq!(cap.stdout(), "Name\nLaunch si…\n");
        assert!(
            cap.stderr()
                .contains("1 column(s) do not fit the terminal: Notes")
        );
    }

    #[test]
    fn an_abandoned_json_array_is_left_open_with_a_warning() {
        let (ui, cap) = Ui::test();
        let mut r = Records::new(&ui, Mode::Json, vec![]);
        r.push("p1", Vec::new, &raw("{}")).unwrap();
        r.abandon();
        assert_eq!(cap.stdout(), "[\n  {}");
        assert!(cap.stderr().contains("left open"));
    }
}
