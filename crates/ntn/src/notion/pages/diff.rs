//! What an edit would do, for people: a unified diff of the body (with `similar`) and the
//! property changes, styled (the output layer drops the styles without colour). Text
//! from the page is cleaned of control characters.

use std::fmt::Write as _;

use similar::{ChangeTag, TextDiff};

use super::edit::Plan;
use crate::output::style;
use crate::output::text::{clean, clean_text};

/// The plan as a unified diff of the body and a list of property changes.
pub fn render(plan: &Plan) -> String {
    let mut out = String::new();
    if plan.before != plan.after {
        let (before, after) = (with_newline(&plan.before), with_newline(&plan.after));
        let diff = TextDiff::from_lines(&before, &after);
        let (bold, cyan) = (style::EMPH, style::CODE);
        let _ = writeln!(out, "{bold}--- {} (Notion now){bold:#}", plan.page_id);
        let _ = writeln!(out, "{bold}+++ {} (after the edit){bold:#}", plan.page_id);
        for hunk in diff.unified_diff().context_radius(3).iter_hunks() {
            let _ = writeln!(out, "{cyan}{}{cyan:#}", hunk.header());
            for change in hunk.iter_changes() {
                let line = clean_text(change.value());
                let line = line.strip_suffix('\n').unwrap_or(&line);
                let (sign, st) = match change.tag() {
                    ChangeTag::Delete => ('-', style::BAD),
                    ChangeTag::Insert => ('+', style::OK),
                    ChangeTag::Equal => (' ', anstyle::Style::new()),
                };
                let _ = writeln!(out, "{st}{sign}{line}{st:#}");
            }
        }
    }
    if !plan.properties.is_empty() {
        if !out.is_empty() {
            out.push('\n');
        }
        let bold = style::EMPH;
        let _ = writeln!(out, "{bold}Properties:{bold:#}");
        for c in &plan.properties {
            let (bad, ok) = (style::BAD, style::OK);
            let _ = writeln!(
                out,
                "  {}: {bad}{}{bad:#} → {ok}{}{ok:#}",
                clean(&c.name),
                clean(&c.before.to_string()),
                clean(&c.after.to_string())
            );
        }
    }
    out
}

fn with_newline(s: &str) -> String {
    if s.is_empty() || s.ends_with('\n') {
        s.to_string()
    } else {
        format!("{s}\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notion::pages::edit::{BodyOp, PropChange};
    use serde_json::json;

    #[test]
    fn a_plan_reads_as_a_unified_diff_and_property_changes() {
        let plan = Plan {
            page_id: "p".into(),
            title: "T".into(),
            before: "one\ntwo\nthree".into(),
            after: "one\n2\nthree".into(),
            body: BodyOp::Replace("one\n2\nthree\n".into()),
            method: String::new(),
            planned_on: String::new(),
            expected: None,
            conflict: None,
            properties: vec![PropChange {
                name: "Status".into(),
                kind: "select".into(),
                before: json!("Done"),
                after: json!("In progress"),
                input: json!({}),
            }],
            allow_deleting: false,
            warnings: Vec::new(),
        };
        let text = render(&plan);
        let mut plain = Vec::new();
        {
            use std::io::Write;
            let mut s = anstream::StripStream::new(&mut plain);
            s.write_all(text.as_bytes()).unwrap();
        }
        let plain = String::from_utf8(plain).unwrap();
        assert_eq!(
            plain,
            "--- p (Notion now)\n+++ p (after the edit)\n@@ -1,3 +1,3 @@\n one\n-two\n+2\n three\n\nProperties:\n  Status: \"Done\" → \"In progress\"\n"
        );
    }
}
