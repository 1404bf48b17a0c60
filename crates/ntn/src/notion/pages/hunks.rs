//! Targeted edits (stub: replaced by the real planner when merged).

use std::fmt;
use std::ops::Range;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hunk {
    pub old: String,
    pub new: String,
    pub range: Range<usize>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NoPlan {
    TooMany(usize),
    Avoided { line: usize },
    NotUnique { line: usize },
    Mismatch,
}

impl fmt::Display for NoPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}

impl std::error::Error for NoPlan {}

pub fn plan(
    page: &str,
    target: &str,
    avoid: &[Range<usize>],
    _max: usize,
) -> Result<Vec<Hunk>, NoPlan> {
    if page == target {
        return Ok(Vec::new());
    }
    let p = page.as_bytes();
    let t = target.as_bytes();
    let mut pre = 0;
    while pre < p.len() && pre < t.len() && p[pre] == t[pre] {
        pre += 1;
    }
    let mut suf = 0;
    while suf < p.len() - pre && suf < t.len() - pre && p[p.len() - 1 - suf] == t[t.len() - 1 - suf]
    {
        suf += 1;
    }
    let mut s = pre;
    let mut e = p.len() - suf;
    loop {
        while !page.is_char_boundary(s) {
            s -= 1;
        }
        while !page.is_char_boundary(e) {
            e += 1;
        }
        let old = &page[s..e];
        if !old.is_empty() && page.matches(old).count() == 1 {
            break;
        }
        if s == 0 && e == page.len() {
            break;
        }
        s = s.saturating_sub(1);
        e = (e + 1).min(page.len());
    }
    if avoid.iter().any(|a| a.start < e && s < a.end) {
        return Err(NoPlan::Avoided { line: 1 });
    }
    let te = target.len() - (page.len() - e);
    Ok(vec![Hunk {
        old: page[s..e].to_string(),
        new: target[s..te].to_string(),
        range: s..e,
    }])
}

pub fn apply(page: &str, hunks: &[Hunk]) -> Result<String, usize> {
    let mut text = page.to_string();
    for (i, h) in hunks.iter().enumerate() {
        if h.old.is_empty() || text.matches(h.old.as_str()).count() != 1 {
            return Err(i);
        }
        text = text.replacen(&h.old, &h.new, 1);
    }
    Ok(text)
}
