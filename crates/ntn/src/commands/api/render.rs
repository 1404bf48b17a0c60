//! Rendering an answer of `ntn api`: the `-i` head, the body (JSON pretty
//! and coloured on a terminal, streamed whatever its size; text made safe on
//! a terminal and ending with a newline; bytes untouched otherwise), and for
//! an error answer its body on stdout and the summary as the error.

use std::io::{Read, Write};

use super::Args;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::http::{Limit, Streamed};
use crate::output::{self, Ui, json, stdout_error};

/// JSON up to this size is checked before it is pretty-printed on a
/// terminal; a larger body is pretty-printed as it streams.
const PRETTY_CHECK: u64 = 8 * 1024 * 1024;

/// `token`: ntn's own token, scrubbed from an error answer's body (a
/// diagnostic, which a server may have made echo it); a success body is
/// data and is passed on untouched.
pub fn render(
    ctx: &Context,
    args: &Args,
    mut resp: Streamed,
    token: Option<&str>,
    map_err: &dyn Fn(Error) -> Error,
) -> Result<()> {
    let ui = &ctx.ui;
    // Printing ends by the command's deadline too (a slow terminal).
    let deadline = resp
        .deadline()
        .map(|(end, after)| output::bounded::Deadline {
            clock: ctx.clock.clone(),
            end,
            after,
        });
    if args.include {
        let mut out = ui.raw();
        write_head(&mut out, &resp, token).map_err(stdout_error)?;
        out.flush().map_err(stdout_error)?;
    }
    if !resp.is_success() {
        let mut full = resp
            .read_all(crate::http::MAX_BODY)
            .map_err(|e| map_err(e.error))?;
        if let Some(t) = token {
            full.body = crate::http::redact::scrub_bytes(&full.body, t).into_owned();
        }
        if !args.silent && !full.body.is_empty() {
            let is_json =
                json::is_json_type(full.header("content-type")) || json::is_json(&full.body);
            let is_text = is_json || is_text_type(full.header("content-type"));
            write_body(
                ui,
                &mut &full.body[..],
                (is_json, is_text),
                deadline,
                &|e| Error::local("cannot read the error body").cause(e),
            )?;
        }
        if ctx.verbose() && !full.body.is_empty() && args.silent {
            ui.message(output::text::clean_text(&String::from_utf8_lossy(
                &full.body,
            )));
        }
        return Err(map_err(crate::http::error_from_response(&full)));
    }
    if args.silent {
        std::io::copy(&mut resp, &mut std::io::sink()).map_err(|e| resp.read_error(&e))?;
        return Ok(());
    }
    let status = resp.status;
    let is_json = json::is_json_type(resp.header("content-type"));
    let is_text = is_text_type(resp.header("content-type"));
    let read_err = resp_error(&resp);
    let written = write_body(ui, &mut resp, (is_json, is_text), deadline, &read_err)?;
    if written == 0 {
        ui.note(format_args!("empty response (HTTP {status})"));
    }
    Ok(())
}

/// How a failed read of `resp`'s body is reported.
fn resp_error(resp: &Streamed) -> impl Fn(&std::io::Error) -> Error + use<> {
    let url = resp.url.clone();
    move |e: &std::io::Error| {
        if let Some(limit) = e.get_ref().and_then(|r| r.downcast_ref::<Limit>()) {
            return Error::api(format!(
                "{limit} while reading the response from {}",
                crate::http::host_of(&url)
            ))
            .with_data(*limit);
        }
        Error::api(format!(
            "the connection broke while reading the response from {}",
            crate::http::host_of(&url)
        ))
        .hint("check your network and try again")
        .cause(e)
    }
}

/// Writes a body to stdout: JSON pretty (and escaped: [`Ui::json_out`]) on a
/// terminal, text made safe on a terminal, bytes untouched otherwise; text
/// ends with a newline. Writing ends at `deadline`. Returns the bytes read.
fn write_body(
    ui: &Ui,
    body: &mut dyn Read,
    (is_json, is_text): (bool, bool),
    deadline: Option<output::bounded::Deadline>,
    read_err: &dyn Fn(&std::io::Error) -> Error,
) -> Result<u64> {
    let tty = ui.stdout_is_tty();
    let mut out = output::bounded::Timed::new(ui.json_out(), deadline);
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    let mut last = b'\n';
    let mut fill = |buf: &mut [u8]| -> Result<usize> {
        loop {
            match body.read(buf) {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(read_err(&e)),
            }
        }
    };
    if tty && is_json {
        // Small documents are checked first (a body that is not JSON after
        // all is shown as text); large ones are printed as they arrive.
        let mut head = Vec::new();
        loop {
            let n = fill(&mut buf)?;
            if n == 0 {
                break;
            }
            head.extend_from_slice(&buf[..n]);
            if head.len() as u64 > PRETTY_CHECK {
                break;
            }
        }
        total = head.len() as u64;
        let streaming = total > PRETTY_CHECK;
        if streaming || json::is_json(&head) {
            let color = ui.out_color();
            let mut p = json::Pretty::new(&mut out, color, 0);
            p.feed(&head).map_err(stdout_error)?;
            if streaming {
                loop {
                    let n = fill(&mut buf)?;
                    if n == 0 {
                        break;
                    }
                    total += n as u64;
                    p.feed(&buf[..n]).map_err(stdout_error)?;
                }
            }
            p.finish().map_err(stdout_error)?;
            out.write_all(b"\n").map_err(stdout_error)?;
            return out.flush().map_err(stdout_error).map(|_| total);
        }
        if !head.is_empty() {
            let text = String::from_utf8_lossy(&head);
            out.write_all(output::text::clean_text(&text).as_bytes())
                .map_err(stdout_error)?;
            last = *head.last().unwrap_or(&b'\n');
        }
    } else {
        loop {
            let n = fill(&mut buf)?;
            if n == 0 {
                break;
            }
            total += n as u64;
            last = buf[n - 1];
            if tty {
                // Text for a person: no control sequences from the server.
                let safe: Vec<u8> = buf[..n]
                    .iter()
                    .copied()
                    .filter(|b| !(b.is_ascii_control() && *b != b'\n' && *b != b'\t'))
                    .collect();
                out.write_all(&safe).map_err(stdout_error)?;
            } else {
                out.write_all(&buf[..n]).map_err(stdout_error)?;
            }
        }
    }
    if total > 0 && last != b'\n' && (is_json || tty || is_text) {
        out.write_all(b"\n").map_err(stdout_error)?;
    }
    out.flush().map_err(stdout_error)?;
    Ok(total)
}

/// Whether a content type is text (JSON, `text/*`, XML): such a body gets
/// a final newline; anything else is passed through byte for byte.
fn is_text_type(content_type: Option<&str>) -> bool {
    let ct = content_type.unwrap_or("").trim().to_ascii_lowercase();
    json::is_json_type(Some(&ct)) || ct.starts_with("text/") || ct.contains("xml")
}

fn write_head(out: &mut dyn Write, resp: &Streamed, token: Option<&str>) -> std::io::Result<()> {
    let reason = ureq::http::StatusCode::from_u16(resp.status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    writeln!(out, "HTTP/1.1 {} {reason}\r", resp.status)?;
    for (k, v) in &resp.headers {
        let v = crate::http::redact_header(k, v);
        // A header is never data: a token a server echoes in one is hidden.
        let v = match token {
            Some(t) => crate::http::redact::scrub(v, t),
            None => std::borrow::Cow::Borrowed(v),
        };
        writeln!(out, "{}: {}\r", k, output::text::clean(&v))?;
    }
    out.write_all(b"\r\n")
}
