//! A line-level three-way comparison (diff3): what changed since a common base here
//! ("mine", the user's copy) and there ("theirs", Notion), merged when the changes do not
//! meet, and a view of it for people, styled like [`super::diff`] (the conflict view of
//! `pages edit --dry-run`, later `ntn sync`). Pure, no I/O; text from the page is cleaned
//! of control characters when shown.
//!
//! Built on `similar` (already in the tree): `diffy`'s merge gives only text with
//! conflict markers, and the view needs each stretch classified.

use std::fmt::Write as _;

use similar::{Algorithm, DiffTag, capture_diff_slices};

use crate::output::style;
use crate::output::text::{clean, clean_text};

/// A stretch of the base and what each side made of it. Texts are whole lines, with
/// their line breaks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Region {
    /// Unchanged on both sides.
    Same(String),
    /// Changed only there.
    Theirs { base: String, theirs: String },
    /// Changed only here.
    Mine { base: String, mine: String },
    /// Changed on both sides, the same way.
    Both { base: String, new: String },
    /// Changed on both sides, differently: where they meet.
    Conflict {
        base: String,
        mine: String,
        theirs: String,
    },
}

impl Region {
    /// The base's text in this stretch.
    pub fn base(&self) -> &str {
        match self {
            Region::Same(t) => t,
            Region::Theirs { base, .. }
            | Region::Mine { base, .. }
            | Region::Both { base, .. }
            | Region::Conflict { base, .. } => base,
        }
    }
}

/// A three-way comparison.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Merge {
    /// The merged text, when nothing conflicts.
    pub clean: Option<String>,
    pub conflicts: usize,
    /// The whole base, stretch by stretch, in order.
    pub regions: Vec<Region>,
}

/// For each line of `a`, the line of `b` it is matched with (a line diff's equal runs,
/// in order).
fn matched(a: &[&str], b: &[&str]) -> Vec<Option<usize>> {
    let mut out = vec![None; a.len()];
    let (mut i, mut j) = (0, 0);
    for op in capture_diff_slices(Algorithm::Myers, a, b) {
        let (tag, ar, br) = op.as_tag_tuple();
        // Only equal runs, and only in order (see hunks::changed on similar's indices).
        if tag != DiffTag::Equal || ar.start < i || br.start < j {
            continue;
        }
        for (x, y) in ar.clone().zip(br.clone()) {
            out[x] = Some(y);
        }
        (i, j) = (ar.end, br.end);
    }
    out
}

/// The merged text with each conflict written as conflict markers (`<<<<<<< mine`,
/// `||||||| base`, `=======`, `>>>>>>> theirs`, as `git merge` with diff3 writes them),
/// for a file to be fixed by hand.
pub fn with_markers(m: &Merge, labels: (&str, &str)) -> String {
    let mut out = String::new();
    let line = |out: &mut String, t: &str| {
        out.push_str(t);
        if !t.is_empty() && !t.ends_with('\n') {
            out.push('\n');
        }
    };
    for r in &m.regions {
        match r {
            Region::Same(t) => out.push_str(t),
            Region::Theirs { theirs, .. } => out.push_str(theirs),
            Region::Mine { mine, .. } => out.push_str(mine),
            Region::Both { new, .. } => out.push_str(new),
            Region::Conflict { base, mine, theirs } => {
                out.push_str(&format!("<<<<<<< {}\n", labels.0));
                line(&mut out, mine);
                out.push_str("||||||| base\n");
                line(&mut out, base);
                out.push_str("=======\n");
                line(&mut out, theirs);
                out.push_str(&format!(">>>>>>> {}\n", labels.1));
            }
        }
    }
    out
}

/// Compares `mine` and `theirs` with their common `base`, line by line.
pub fn merge(base: &str, mine: &str, theirs: &str) -> Merge {
    let b: Vec<&str> = base.split_inclusive('\n').collect();
    let m: Vec<&str> = mine.split_inclusive('\n').collect();
    let t: Vec<&str> = theirs.split_inclusive('\n').collect();
    let to_m = matched(&b, &m);
    let to_t = matched(&b, &t);
    let mut regions: Vec<Region> = Vec::new();
    let (mut i, mut j, mut k) = (0, 0, 0);
    loop {
        let mut n = 0;
        while i + n < b.len() && to_m[i + n] == Some(j + n) && to_t[i + n] == Some(k + n) {
            n += 1;
        }
        if n > 0 {
            push_same(&mut regions, b[i..i + n].concat());
            (i, j, k) = (i + n, j + n, k + n);
            continue;
        }
        if i == b.len() && j == m.len() && k == t.len() {
            break;
        }
        // The next base line both sides kept, past what each has used.
        let next = (i..b.len()).find_map(|o| match (to_m[o], to_t[o]) {
            (Some(x), Some(y)) if x >= j && y >= k => Some((o, x, y)),
            _ => None,
        });
        let (o, x, y) = next.unwrap_or((b.len(), m.len(), t.len()));
        let (bt, mt, tt) = (b[i..o].concat(), m[j..x].concat(), t[k..y].concat());
        let region = if mt == bt && tt == bt {
            Region::Same(bt)
        } else if mt == bt {
            Region::Theirs {
                base: bt,
                theirs: tt,
            }
        } else if tt == bt {
            Region::Mine { base: bt, mine: mt }
        } else if mt == tt {
            Region::Both { base: bt, new: mt }
        } else {
            Region::Conflict {
                base: bt,
                mine: mt,
                theirs: tt,
            }
        };
        match region {
            Region::Same(s) => push_same(&mut regions, s),
            r => regions.push(r),
        }
        (i, j, k) = (o, x, y);
    }
    let conflicts = regions
        .iter()
        .filter(|r| matches!(r, Region::Conflict { .. }))
        .count();
    let clean = (conflicts == 0).then(|| {
        regions
            .iter()
            .map(|r| match r {
                Region::Same(s) => s.as_str(),
                Region::Theirs { theirs, .. } => theirs,
                Region::Mine { mine, .. } => mine,
                Region::Both { new, .. } => new,
                Region::Conflict { base, .. } => base,
            })
            .collect()
    });
    Merge {
        clean,
        conflicts,
        regions,
    }
}

fn push_same(regions: &mut Vec<Region>, text: String) {
    if text.is_empty() {
        return;
    }
    if let Some(Region::Same(last)) = regions.last_mut() {
        last.push_str(&text);
    } else {
        regions.push(Region::Same(text));
    }
}

/// Unchanged lines shown next to a change.
const CONTEXT: usize = 2;

fn lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n')
        .map(|l| l.strip_suffix('\n').unwrap_or(l))
        .collect()
}

fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The comparison for people: a summary, then each change with a few unchanged lines
/// around it (longer unchanged stretches elided with their line count); `labels` name
/// mine and theirs (`("your copy", "Notion")`). Conflicts show both versions between
/// markers, with the base's lines between them.
pub fn render(m: &Merge, labels: (&str, &str)) -> String {
    let (mine_label, theirs_label) = (clean(labels.0), clean(labels.1));
    let mut out = String::new();
    let (bold, cyan, warn, dim) = (style::EMPH, style::CODE, style::WARN, style::DIM);
    let tally = |f: fn(&Region) -> bool| m.regions.iter().filter(|r| f(r)).count();
    let theirs_n = tally(|r| matches!(r, Region::Theirs { .. }));
    let mine_n = tally(|r| matches!(r, Region::Mine { .. }));
    let both_n = tally(|r| matches!(r, Region::Both { .. }));
    let mut parts = Vec::new();
    if theirs_n > 0 {
        parts.push(format!(
            "{} in {theirs_label}",
            count(theirs_n, "change", "changes")
        ));
    }
    if mine_n > 0 {
        parts.push(format!(
            "{} in {mine_label}",
            count(mine_n, "change", "changes")
        ));
    }
    if both_n > 0 {
        parts.push(format!(
            "{} made on both sides",
            count(both_n, "change", "changes")
        ));
    }
    if m.conflicts > 0 {
        parts.push(count(m.conflicts, "conflict", "conflicts"));
    }
    if parts.is_empty() {
        let _ = writeln!(out, "{bold}No changes on either side{bold:#}");
        return out;
    }
    let _ = writeln!(
        out,
        "{bold}Since the common base: {}{bold:#}",
        parts.join(", ")
    );
    let show = |out: &mut String, sign: char, st: anstyle::Style, text: &str| {
        for l in lines(text) {
            let _ = writeln!(out, "{st}{sign}{}{st:#}", clean_text(l));
        }
    };
    let elide = |out: &mut String, n: usize| {
        if n > 0 {
            let _ = writeln!(
                out,
                "{dim}  … {}{dim:#}",
                count(n, "unchanged line", "unchanged lines")
            );
        }
    };
    let last = m.regions.len().saturating_sub(1);
    let mut line = 1;
    for (idx, r) in m.regions.iter().enumerate() {
        let base_lines = lines(r.base()).len();
        let at = if base_lines > 0 {
            format!("line {line}")
        } else if line == 1 {
            "at the start".to_string()
        } else {
            format!("after line {}", line - 1)
        };
        match r {
            Region::Same(text) => {
                let ls = lines(text);
                let n = ls.len();
                let head = if idx == 0 { 0 } else { CONTEXT.min(n) };
                let tail = if idx == last {
                    0
                } else {
                    CONTEXT.min(n - head)
                };
                if n <= head + tail + 1 {
                    show(&mut out, ' ', anstyle::Style::new(), text);
                } else {
                    for l in &ls[..head] {
                        let _ = writeln!(out, " {}", clean_text(l));
                    }
                    elide(&mut out, n - head - tail);
                    for l in &ls[n - tail..] {
                        let _ = writeln!(out, " {}", clean_text(l));
                    }
                }
            }
            Region::Theirs { base, theirs } => {
                let _ = writeln!(out, "{cyan}@@ {at}: changed in {theirs_label} @@{cyan:#}");
                show(&mut out, '-', style::BAD, base);
                show(&mut out, '+', style::OK, theirs);
            }
            Region::Mine { base, mine } => {
                let _ = writeln!(out, "{cyan}@@ {at}: changed in {mine_label} @@{cyan:#}");
                show(&mut out, '-', style::BAD, base);
                show(&mut out, '+', style::OK, mine);
            }
            Region::Both { base, new } => {
                let _ = writeln!(
                    out,
                    "{cyan}@@ {at}: changed the same way on both sides @@{cyan:#}"
                );
                show(&mut out, '-', style::BAD, base);
                show(&mut out, '+', style::OK, new);
            }
            Region::Conflict { base, mine, theirs } => {
                let _ = writeln!(
                    out,
                    "{warn}@@ {at}: conflict, changed on both sides @@{warn:#}"
                );
                let _ = writeln!(out, "{warn}<<<<<<< {mine_label}{warn:#}");
                show(&mut out, ' ', style::OK, mine);
                let _ = writeln!(out, "{warn}||||||| before{warn:#}");
                show(&mut out, ' ', dim, base);
                let _ = writeln!(out, "{warn}======={warn:#}");
                show(&mut out, ' ', style::OK, theirs);
                let _ = writeln!(out, "{warn}>>>>>>> {theirs_label}{warn:#}");
            }
        }
        line += base_lines;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn plain(text: &str) -> String {
        let mut out = Vec::new();
        {
            use std::io::Write;
            let mut s = anstream::StripStream::new(&mut out);
            s.write_all(text.as_bytes()).unwrap();
        }
        String::from_utf8(out).unwrap()
    }

    const BASE: &str = "title\n\none\n\ntwo\n\nthree\n\nfour\n\nfive\n\nsix\n";

    #[test]
    fn no_change_is_all_the_same() {
        let m = merge(BASE, BASE, BASE);
        assert_eq!(m.clean.as_deref(), Some(BASE));
        assert_eq!(m.conflicts, 0);
        assert_eq!(m.regions, [Region::Same(BASE.into())]);
        assert_eq!(
            plain(&render(&m, ("you", "Notion"))),
            "No changes on either side\n"
        );
        assert_eq!(merge("", "", "").regions, []);
    }

    #[test]
    fn disjoint_changes_merge_cleanly() {
        let mine = BASE.replace("two", "2");
        let theirs = BASE
            .replace("five", "5")
            .replace("title\n\n", "title\n\nzero\n\n");
        let m = merge(BASE, &mine, &theirs);
        assert_eq!(m.conflicts, 0);
        assert_eq!(
            m.clean.as_deref(),
            Some("title\n\nzero\n\none\n\n2\n\nthree\n\nfour\n\n5\n\nsix\n")
        );
        assert_eq!(
            m.regions[1],
            Region::Theirs {
                base: String::new(),
                theirs: "zero\n\n".into()
            }
        );
        assert!(m.regions.contains(&Region::Mine {
            base: "two\n".into(),
            mine: "2\n".into()
        }));
        // Either side alone merges to it.
        assert_eq!(merge(BASE, &mine, BASE).clean, Some(mine.clone()));
        assert_eq!(merge(BASE, BASE, &theirs).clean, Some(theirs.clone()));
    }

    #[test]
    fn the_same_change_on_both_sides_is_no_conflict() {
        let both = BASE.replace("three", "3");
        let m = merge(BASE, &both, &both);
        assert_eq!(m.conflicts, 0);
        assert_eq!(m.clean, Some(both));
        assert!(m.regions.contains(&Region::Both {
            base: "three\n".into(),
            new: "3\n".into()
        }));
    }

    #[test]
    fn overlapping_changes_conflict_with_both_versions() {
        let mine = BASE.replace("three", "my three");
        let theirs = BASE.replace("three", "their three").replace("six", "6");
        let m = merge(BASE, &mine, &theirs);
        assert_eq!(m.conflicts, 1);
        assert_eq!(m.clean, None);
        assert!(m.regions.contains(&Region::Conflict {
            base: "three\n".into(),
            mine: "my three\n".into(),
            theirs: "their three\n".into()
        }));
        let text = plain(&render(&m, ("your copy", "Notion")));
        assert_eq!(
            text,
            "Since the common base: 1 change in Notion, 1 conflict\n\
             \x20 … 4 unchanged lines\n\
             \x20two\n\
             \x20\n\
             @@ line 7: conflict, changed on both sides @@\n\
             <<<<<<< your copy\n\
             \x20my three\n\
             ||||||| before\n\
             \x20three\n\
             =======\n\
             \x20their three\n\
             >>>>>>> Notion\n\
             \x20\n\
             \x20four\n\
             \x20\n\
             \x20five\n\
             \x20\n\
             @@ line 13: changed in Notion @@\n\
             -six\n\
             +6\n"
        );
    }

    #[test]
    fn the_view_names_each_kind_of_change() {
        let mine = BASE.replace("one", "1").replace("four", "4");
        let theirs = BASE.replace("one", "1").replace("six\n", "six\n\nseven\n");
        let text = plain(&render(&merge(BASE, &mine, &theirs), ("you", "Notion")));
        assert_eq!(
            text,
            "Since the common base: 1 change in Notion, 1 change in you, 1 change made on both sides\n\
             \x20title\n\
             \x20\n\
             @@ line 3: changed the same way on both sides @@\n\
             -one\n\
             +1\n\
             \x20\n\
             \x20two\n\
             \x20\n\
             \x20three\n\
             \x20\n\
             @@ line 9: changed in you @@\n\
             -four\n\
             +4\n\
             \x20\n\
             \x20five\n\
             \x20\n\
             \x20six\n\
             @@ after line 13: changed in Notion @@\n\
             +\n\
             +seven\n"
        );
        // Control characters from the page are escaped.
        let m = merge("a\n", "a\x1b[31m\n", "a\n");
        assert!(plain(&render(&m, ("you", "Notion"))).contains("+a\\x1b[31m\n"));
    }

    #[test]
    fn long_unchanged_stretches_are_elided_between_changes() {
        // (an elision never hides a single line: the line takes no more room)
        let base: String = (1..=20).map(|i| format!("l{i}\n")).collect();
        let mine = base.replace("l3\n", "");
        let theirs = base.replace("l17\n", "l17 edited\n");
        let text = plain(&render(&merge(&base, &mine, &theirs), ("you", "Notion")));
        assert_eq!(
            text,
            "Since the common base: 1 change in Notion, 1 change in you\n\
             \x20l1\n\
             \x20l2\n\
             @@ line 3: changed in you @@\n\
             -l3\n\
             \x20l4\n\
             \x20l5\n\
             \x20 … 9 unchanged lines\n\
             \x20l15\n\
             \x20l16\n\
             @@ line 17: changed in Notion @@\n\
             -l17\n\
             +l17 edited\n\
             \x20l18\n\
             \x20l19\n\
             \x20l20\n"
        );
    }

    #[test]
    fn a_deletion_against_an_edit_conflicts() {
        let m = merge("a\nb\nc\n", "a\nc\n", "a\nB\nc\n");
        assert_eq!(m.conflicts, 1);
        assert_eq!(
            m.regions[1],
            Region::Conflict {
                base: "b\n".into(),
                mine: String::new(),
                theirs: "B\n".into()
            }
        );
    }

    /// Each region's (base, mine, theirs) texts.
    fn sides(r: &Region) -> (&str, &str, &str) {
        match r {
            Region::Same(s) => (s, s, s),
            Region::Theirs { base, theirs } => (base, base, theirs),
            Region::Mine { base, mine } => (base, mine, base),
            Region::Both { base, new } => (base, new, new),
            Region::Conflict { base, mine, theirs } => (base, mine, theirs),
        }
    }

    fn edited(base: &[u8], edits: &[(usize, u8)]) -> Vec<u8> {
        let mut other = base.to_vec();
        for &(at, v) in edits {
            let at = at % (other.len() + 1);
            if v == 5 && at < other.len() {
                other.remove(at);
            } else {
                other.insert(at, v);
            }
        }
        other
    }

    fn text(ls: &[u8]) -> String {
        ls.iter().map(|l| format!("line {l}\n")).collect()
    }

    proptest! {
        #[test]
        fn regions_rebuild_all_three_texts(
            base in prop::collection::vec(0..5u8, 0..12),
            ours in prop::collection::vec((0..12usize, 0..6u8), 0..5),
            others in prop::collection::vec((0..12usize, 0..6u8), 0..5),
        ) {
            let (b, mi, th) = (text(&base), text(&edited(&base, &ours)), text(&edited(&base, &others)));
            let m = merge(&b, &mi, &th);
            let (mut rb, mut rm, mut rt) = (String::new(), String::new(), String::new());
            for r in &m.regions {
                let (x, y, z) = sides(r);
                rb.push_str(x);
                rm.push_str(y);
                rt.push_str(z);
            }
            prop_assert_eq!((rb, rm, rt), (b.clone(), mi.clone(), th.clone()));
            prop_assert_eq!(m.clean.is_some(), m.conflicts == 0);
            // One side alone, or both the same, always merges to it.
            prop_assert_eq!(merge(&b, &mi, &b).clean, Some(mi.clone()));
            prop_assert_eq!(merge(&b, &b, &th).clean, Some(th.clone()));
            prop_assert_eq!(merge(&b, &mi, &mi).clean, Some(mi.clone()));
        }
    }
}
