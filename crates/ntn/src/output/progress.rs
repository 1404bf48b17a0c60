//! Progress on stderr, only when stderr is a terminal: [`Progress`] (bytes
//! sent, rate and time left, redrawn in place a few times a second, for
//! uploads) and [`Spinner`] (a one-line wait with a countdown, for logins).

use std::io::{Read, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::Ui;
use crate::support::size::human_bytes;
use crate::support::time;

/// Shared upload progress. Workers add bytes as they hand them to the socket
/// (and take them back when an attempt fails); a ticker thread draws.
pub struct Progress {
    ui: Ui,
    label: String,
    total: Option<u64>,
    sent: AtomicU64,
    started: Instant,
    enabled: bool,
    done: AtomicBool,
    /// Held while drawing, so a warning never interleaves with the bar.
    draw: Mutex<bool>,
}

impl Progress {
    /// A progress display on `ui`'s stderr, shown only when stderr is a
    /// terminal.
    pub fn new(ui: &Ui, label: &str, total: Option<u64>) -> Progress {
        let enabled = ui.stderr_is_tty();
        let label: String = if label.chars().count() > 28 {
            let tail: String = label
                .chars()
                .rev()
                .take(27)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            format!("…{tail}")
        } else {
            label.to_string()
        };
        Progress {
            ui: ui.clone(),
            label,
            total,
            sent: AtomicU64::new(0),
            started: Instant::now(),
            enabled,
            done: AtomicBool::new(false),
            draw: Mutex::new(false),
        }
    }

    pub fn add(&self, n: u64) {
        self.sent.fetch_add(n, Ordering::Relaxed);
    }

    pub fn sub(&self, n: u64) {
        self.sent.fetch_sub(n, Ordering::Relaxed);
    }

    pub fn sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Whether [`Progress::finish`] was called.
    pub fn is_done(&self) -> bool {
        self.done.load(Ordering::Relaxed)
    }

    /// Draws the bar once now (so even a fast upload shows it).
    pub fn start(&self) {
        if self.enabled {
            self.redraw();
        }
    }

    /// Redraws until [`Progress::finish`]; run it on its own thread.
    pub fn run_ticker(&self) {
        if !self.enabled {
            return;
        }
        while !self.done.load(Ordering::Relaxed) {
            self.redraw();
            // Short naps so that finish() is noticed quickly.
            for _ in 0..4 {
                if self.done.load(Ordering::Relaxed) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }

    fn redraw(&self) {
        let mut shown = self.draw.lock().unwrap_or_else(|p| p.into_inner());
        if self.done.load(Ordering::Relaxed) {
            return;
        }
        let line = self.line();
        let mut err = self.ui.err();
        let _ = write!(err, "\r\x1b[2K{line}");
        let _ = err.flush();
        *shown = true;
    }

    /// The status line: `name  12.0 MiB / 40.0 MiB  30%  8.1 MiB/s  ETA 4s`.
    pub fn line(&self) -> String {
        self.line_at(self.started.elapsed())
    }

    /// The status line after `elapsed`.
    pub fn line_at(&self, elapsed: Duration) -> String {
        let sent = self.sent();
        let secs = elapsed.as_secs_f64();
        let rate = if secs > 0.2 { sent as f64 / secs } else { 0.0 };
        let mut s = format!("Uploading {}  {}", self.label, human_bytes(sent));
        if let Some(total) = self.total {
            s.push_str(&format!(" / {}", human_bytes(total)));
            if let Some(pct) = (sent.min(total) * 100).checked_div(total) {
                s.push_str(&format!("  {pct:>3}%"));
            }
        }
        if rate > 0.0 {
            s.push_str(&format!("  {}/s", human_bytes(rate as u64)));
            if let Some(total) = self.total {
                let left = total.saturating_sub(sent) as f64 / rate;
                if left.is_finite() {
                    s.push_str(&format!(
                        "  ETA {}",
                        time::short(Duration::from_secs(left.ceil() as u64))
                    ));
                }
            }
        }
        s
    }

    /// Prints a warning without garbling the bar.
    pub fn warn(&self, text: &str) {
        let mut shown = self.draw.lock().unwrap_or_else(|p| p.into_inner());
        if *shown {
            let mut err = self.ui.err();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
            *shown = false;
        }
        self.ui.warn(text);
    }

    /// Stops the ticker and clears the bar.
    pub fn finish(&self) {
        let mut shown = self.draw.lock().unwrap_or_else(|p| p.into_inner());
        self.done.store(true, Ordering::Relaxed);
        if *shown {
            let mut err = self.ui.err();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
            *shown = false;
        }
    }
}

/// A reader that reports the bytes it yields to a [`Progress`] and remembers
/// how many, so a failed attempt can take them back.
pub struct Counting<'a, R> {
    pub inner: R,
    pub progress: &'a Progress,
    pub count: u64,
}

impl<'a, R> Counting<'a, R> {
    pub fn new(inner: R, progress: &'a Progress) -> Self {
        Counting {
            inner,
            progress,
            count: 0,
        }
    }
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        self.progress.add(n as u64);
        Ok(n)
    }
}

/// A one-line spinner with the time left, on stderr, only on a terminal.
pub struct Spinner {
    ui: Ui,
    enabled: bool,
    frame: usize,
    drawn: bool,
}

impl Spinner {
    const FRAMES: [&'static str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

    pub fn new(ui: &Ui) -> Spinner {
        Spinner {
            ui: ui.clone(),
            enabled: ui.stderr_is_tty(),
            frame: 0,
            drawn: false,
        }
    }

    /// Draws the next frame: `⠙ <text> 4:32 left <note>`; `note` is dimmed.
    pub fn tick(&mut self, text: &str, remaining: Duration, note: Option<&str>) {
        if !self.enabled {
            return;
        }
        self.frame = (self.frame + 1) % Self::FRAMES.len();
        let dim = super::style::DIM;
        let note = match note {
            Some(n) => format!(" {dim}({}){dim:#}", super::text::clean(n)),
            None => String::new(),
        };
        let mut err = self.ui.err();
        let _ = write!(
            err,
            "\r\x1b[2K{} {text} {} left{note}",
            Self::FRAMES[self.frame],
            time::clock(remaining)
        );
        let _ = err.flush();
        self.drawn = true;
    }

    /// Clears the line.
    pub fn clear(&mut self) {
        if self.drawn {
            let mut err = self.ui.err();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
            self.drawn = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_shows_bytes_percent_rate_and_eta() {
        let p = Progress::new(&Ui::test().0, "data.bin", Some(4 * 1024 * 1024));
        p.add(1024 * 1024);
        let line = p.line();
        assert!(
            line.starts_with("Uploading data.bin  1.0 MiB / 4.0 MiB   25%"),
            "{line}"
        );
        let line = p.line_at(Duration::from_secs(2));
        assert!(line.ends_with("  512.0 KiB/s  ETA 6s"), "{line}");
        p.sub(1024 * 1024);
        assert_eq!(p.sent(), 0);
    }

    #[test]
    fn counting_reader_counts() {
        let p = Progress::new(&Ui::test().0, "x", None);
        let mut r = Counting::new(&b"hello"[..], &p);
        let mut out = Vec::new();
        r.read_to_end(&mut out).unwrap();
        assert_eq!(r.count, 5);
        assert_eq!(p.sent(), 5);
    }

    #[test]
    fn long_labels_keep_their_end() {
        let p = Progress::new(&Ui::test().0, &"a".repeat(40), None);
        assert!(
            p.line()
                .starts_with(&format!("Uploading …{}", "a".repeat(27)))
        );
    }
}
