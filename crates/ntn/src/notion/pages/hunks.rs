//! Targeted edits: the smallest search-and-replace hunks that turn a page's Markdown into
//! a target, for `update_content` (pure, no I/O).
//!
//! Notion applies `content_updates` in order, each a search-and-replace on the text as
//! the edits before it left it, failing when `old_str` matches nothing or several times;
//! the blocks it rebuilds (new ids, lossy blocks degraded) are those a matched `old_str`
//! touches. So [`plan`] keeps every hunk small: the changes come from a line diff refined
//! word by word inside changed lines, and each grows only as much context as it needs to
//! match once, first within its line, then within its block, and across a block
//! separator (`"\n\n"`) only when the block cannot make it unique. [`apply`] is Notion's
//! side, to check a plan before sending it.

use std::fmt;
use std::ops::Range;

use similar::{Algorithm, DiffTag, capture_diff_slices};

/// One `content_updates` entry: `old` replaced once by `new`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hunk {
    pub old: String,
    pub new: String,
    /// The byte range of `old` in the ORIGINAL page text.
    pub range: Range<usize>,
}

impl From<Hunk> for super::edit::Replacement {
    /// The `update_content` entry (`replace_all_matches` off: the hunk matches once).
    fn from(h: Hunk) -> Self {
        super::edit::Replacement {
            old: h.old,
            new: h.new,
            all: false,
        }
    }
}

/// Why no targeted plan exists (the caller falls back to replacing the whole page).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NoPlan {
    /// More hunks than allowed: at least this many.
    TooMany(usize),
    /// A change on this line (1-based) lies in text that must not be matched (a signed
    /// file URL, content the server does not have as text).
    Avoided { line: usize },
    /// The change on this line (1-based) cannot be made to match once without reaching
    /// into text that must not be matched.
    NotUnique { line: usize },
    /// The page is empty: there is no text for an edit to match.
    EmptyPage,
    /// The hunks planned do not give the target (a bug: nothing should be sent).
    Mismatch,
}

impl fmt::Display for NoPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NoPlan::TooMany(n) => write!(f, "the changes need at least {n} separate edits"),
            NoPlan::Avoided { line } => write!(
                f,
                "line {line} changes text that cannot be matched (a file link or content Notion does not give as text)"
            ),
            NoPlan::NotUnique { line } => write!(
                f,
                "the change on line {line} cannot be matched once without reaching into a file link or content Notion does not give as text"
            ),
            NoPlan::EmptyPage => f.write_str("the page is empty: there is no text to match"),
            NoPlan::Mismatch => f.write_str("the targeted edits would not give the intended text"),
        }
    }
}

impl std::error::Error for NoPlan {}

/// Applies `hunks` in order, each `old` replaced at its only match in the text as it is
/// then: Notion's `update_content`. Matches are counted overlapping (`"aa"` is twice in
/// `"aaa"`), the stricter reading. `Err(i)`: hunk `i` is empty or does not match exactly
/// once.
pub fn apply(page: &str, hunks: &[Hunk]) -> Result<String, usize> {
    let mut text = page.to_string();
    for (i, h) in hunks.iter().enumerate() {
        let Some(at) = text.find(&h.old).filter(|_| !h.old.is_empty()) else {
            return Err(i);
        };
        if occurs_after(&text, &h.old, at) {
            return Err(i);
        }
        text.replace_range(at..at + h.old.len(), &h.new);
    }
    Ok(text)
}

/// Whether `needle` (non-empty) occurs again in `text` after its match at `at`,
/// overlapping counted.
fn occurs_after(text: &str, needle: &str, at: usize) -> bool {
    let step = needle.chars().next().map_or(1, char::len_utf8);
    text.get(at + step..)
        .is_some_and(|rest| rest.contains(needle))
}

/// One change: `page[start..end]` becomes `new`.
#[derive(Clone, Debug)]
struct Edit {
    start: usize,
    end: usize,
    new: String,
}

/// Above this many tokens on both sides, a changed stretch of lines is not refined word
/// by word (the word diff is quadratic in the worst case; so big a change is one hunk
/// anyway).
const REFINE_LIMIT: usize = 4000;

/// Edits within one line that are this close (bytes) share a hunk: they touch the same
/// block anyway, and one hunk reads better than several.
const SAME_LINE_GAP: usize = 80;

/// The changes from `page` to `target`: a line diff, each changed stretch refined by a
/// diff of its words (runs of letters and digits) and single other characters.
fn edits(page: &str, target: &str) -> Vec<Edit> {
    let old: Vec<&str> = page.split_inclusive('\n').collect();
    let new: Vec<&str> = target.split_inclusive('\n').collect();
    let old_at = offsets(&old);
    let new_at = offsets(&new);
    let mut out = Vec::new();
    for (o, n) in changed(
        &capture_diff_slices(Algorithm::Myers, &old, &new),
        old.len(),
        new.len(),
    ) {
        let (os, oe) = (old_at[o.start], old_at[o.end]);
        let (ns, ne) = (new_at[n.start], new_at[n.end]);
        refine(&page[os..oe], &target[ns..ne], os, &mut out);
    }
    out
}

/// The stretches between the equal runs of a diff of `old_len` and `new_len` items:
/// (old range, new range). Only the equal runs are read: `similar` 2.7's Myers can give
/// an insertion's old index (a deletion's new index) out of place when the two are
/// interleaved with an equal run.
fn changed(
    ops: &[similar::DiffOp],
    old_len: usize,
    new_len: usize,
) -> Vec<(Range<usize>, Range<usize>)> {
    let mut out = Vec::new();
    let (mut o, mut n) = (0, 0);
    for op in ops {
        let (tag, or, nr) = op.as_tag_tuple();
        if tag != DiffTag::Equal || or.start < o || nr.start < n {
            continue;
        }
        if or.start > o || nr.start > n {
            out.push((o..or.start, n..nr.start));
        }
        (o, n) = (or.end, nr.end);
    }
    if o < old_len || n < new_len {
        out.push((o..old_len, n..new_len));
    }
    out
}

/// Where each piece starts, and the total length last.
fn offsets(pieces: &[&str]) -> Vec<usize> {
    let mut at = Vec::with_capacity(pieces.len() + 1);
    let mut n = 0;
    at.push(0);
    for p in pieces {
        n += p.len();
        at.push(n);
    }
    at
}

/// The word-level edits turning `old` (at `base` in the page) into `new`.
fn refine(old: &str, new: &str, base: usize, out: &mut Vec<Edit>) {
    let ot = tokens(old);
    let nt = tokens(new);
    if ot.is_empty() || nt.is_empty() || ot.len() + nt.len() > REFINE_LIMIT {
        out.push(Edit {
            start: base,
            end: base + old.len(),
            new: new.to_string(),
        });
        return;
    }
    let o_at = offsets(&ot);
    let n_at = offsets(&nt);
    for (o, n) in changed(
        &capture_diff_slices(Algorithm::Myers, &ot, &nt),
        ot.len(),
        nt.len(),
    ) {
        out.push(Edit {
            start: base + o_at[o.start],
            end: base + o_at[o.end],
            new: new[n_at[n.start]..n_at[n.end]].to_string(),
        });
    }
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Words (runs of letters, digits and `_`) and every other character on its own.
fn tokens(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_word = false;
    for (i, c) in s.char_indices() {
        let w = is_word(c);
        if i > start && !(in_word && w) {
            out.push(&s[start..i]);
            start = i;
        }
        in_word = w;
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

/// Whether a context may start or end at `p`: not inside a word (always a char boundary).
fn is_stop(page: &str, p: usize) -> bool {
    if !page.is_char_boundary(p) {
        return false;
    }
    let before = page[..p].chars().next_back();
    let after = page[p..].chars().next();
    !matches!((before, after), (Some(b), Some(a)) if is_word(b) && is_word(a))
}

/// How far a context reaches: 0 within the line, 1 within the block, 2 across blocks.
fn reach(context: &str) -> u8 {
    if !context.contains('\n') {
        0
    } else if !context.contains("\n\n") {
        1
    } else {
        2
    }
}

/// The hunks that turn `page` into `target`, in document order, non-overlapping, each
/// `old` matching exactly once in the text as the hunks before it leave it; no `old`
/// includes a byte of an `avoid` range (byte ranges of `page`). `page == target` gives
/// none. Line breaks are `\n` (normalise CRLF first).
pub fn plan(
    page: &str,
    target: &str,
    avoid: &[Range<usize>],
    max_hunks: usize,
) -> Result<Vec<Hunk>, NoPlan> {
    if page == target {
        return Ok(Vec::new());
    }
    if page.is_empty() {
        return Err(NoPlan::EmptyPage);
    }
    let mut avoid: Vec<Range<usize>> = avoid.iter().filter(|r| r.start < r.end).cloned().collect();
    avoid.sort_by_key(|r| (r.start, r.end));
    let line_of = |at: usize| page[..at.min(page.len())].matches('\n').count() + 1;
    let edits = edits(page, target);
    for ed in &edits {
        let hit = avoid.iter().any(|r| {
            if ed.start == ed.end {
                r.start < ed.start && ed.start < r.end
            } else {
                r.start < ed.end && ed.start < r.end
            }
        });
        if hit {
            return Err(NoPlan::Avoided {
                line: line_of(ed.start),
            });
        }
    }
    let mut p = Planner {
        page,
        hunks: Vec::new(),
        cur: page.to_string(),
        before_last: String::new(),
        delta: 0,
        delta_before_last: 0,
    };
    let mut k = 0;
    while k < edits.len() {
        let ed = &edits[k];
        let prev_end = p.hunks.last().map_or(0, |h| h.range.end);
        let lo = avoid
            .iter()
            .filter(|r| r.end <= ed.start)
            .map(|r| r.end)
            .fold(prev_end, usize::max);
        let hi = avoid
            .iter()
            .filter(|r| r.start >= ed.end)
            .map(|r| r.start)
            .fold(page.len(), usize::min);
        let found = p.search(ed.start, ed.end, lo, hi);
        let merge = p
            .hunks
            .last()
            .filter(|_| !avoid.iter().any(|r| r.start < ed.end && prev_end < r.end))
            .map(|_| (reach(&page[prev_end..ed.start]), ed.end - prev_end));
        let use_merge = match (found, merge) {
            (_, None) => false,
            (None, Some(_)) => true,
            (Some((a, b, level)), Some((m_level, m_cost))) => {
                (m_level, m_cost) <= (level, b - a)
                    || (m_level == 0 && ed.start - prev_end <= SAME_LINE_GAP)
            }
        };
        if use_merge {
            p.extend_last(ed);
            k += 1;
        } else if let Some((a, mut b, _)) = found {
            let mut new = page[a..ed.start].to_string();
            new.push_str(&ed.new);
            let mut last_end = ed.end;
            k += 1;
            while let Some(next) = edits.get(k).filter(|n| n.start < b) {
                new.push_str(&page[last_end..next.start]);
                new.push_str(&next.new);
                last_end = next.end;
                b = b.max(next.end);
                k += 1;
            }
            new.push_str(&page[last_end..b]);
            p.push(Hunk {
                old: page[a..b].to_string(),
                new,
                range: a..b,
            });
        } else {
            return Err(NoPlan::NotUnique {
                line: line_of(ed.start),
            });
        }
        if p.hunks.len() > max_hunks {
            return Err(NoPlan::TooMany(p.hunks.len()));
        }
    }
    match apply(page, &p.hunks) {
        Ok(t) if t == target => Ok(p.hunks),
        _ => Err(NoPlan::Mismatch),
    }
}

struct Planner<'a> {
    page: &'a str,
    hunks: Vec<Hunk>,
    /// The page with every hunk so far applied.
    cur: String,
    /// The page as the last hunk finds it.
    before_last: String,
    /// Where a page offset past the last hunk is in `cur` (minus the offset).
    delta: isize,
    delta_before_last: isize,
}

impl Planner<'_> {
    fn at(&self, p: usize) -> usize {
        p.saturating_add_signed(self.delta)
    }

    /// Whether `page[a..b]` (non-empty, at or after the last hunk) matches once in `cur`.
    fn unique(&self, a: usize, b: usize) -> bool {
        if b <= a {
            return false;
        }
        let needle = &self.page[a..b];
        let at = self.at(a);
        self.cur.find(needle) == Some(at) && !occurs_after(&self.cur, needle, at)
    }

    /// The smallest context `a..b` around the change `s..e` (within `lo..hi`) that matches
    /// once, preferring to stay within the line, then within the block; with its reach.
    fn search(&self, s: usize, e: usize, lo: usize, hi: usize) -> Option<(usize, usize, u8)> {
        let page = self.page;
        let line_start = page[..s].rfind('\n').map_or(0, |i| i + 1);
        let line_end = page[e..].find('\n').map_or(page.len(), |i| e + i);
        let block_start = page[..s].rfind("\n\n").map_or(0, |i| i + 1);
        let block_end = page[e..].find("\n\n").map_or(page.len(), |i| e + i + 1);
        let levels = [
            (lo.max(line_start), hi.min(line_end)),
            (lo.max(block_start), hi.min(block_end)),
            (lo, hi),
        ];
        let mut tried: Option<(usize, usize)> = None;
        for (level, &(from, to)) in (0u8..).zip(levels.iter()) {
            if tried == Some((from, to)) {
                continue;
            }
            tried = Some((from, to));
            if let Some((a, b)) = self.frontier(s, e, from, to) {
                return Some((a, b, level));
            }
        }
        None
    }

    /// The shortest unique `a..b` with `from <= a <= s`, `e <= b <= to`, both at stops
    /// (ties: the most balanced). Uniqueness only grows with the context, so for each
    /// start (nearest first) a binary search finds the nearest end.
    fn frontier(&self, s: usize, e: usize, from: usize, to: usize) -> Option<(usize, usize)> {
        let page = self.page;
        if from > s || to < e || to > page.len() {
            return None;
        }
        let left: Vec<usize> = (from..=s)
            .rev()
            .filter(|&p| p == s || is_stop(page, p) || (p == from && page.is_char_boundary(p)))
            .collect();
        let right: Vec<usize> = (e..=to)
            .filter(|&p| p == e || is_stop(page, p) || (p == to && page.is_char_boundary(p)))
            .collect();
        let last = right.len() - 1;
        // The nearest start that can be unique at all.
        let first = partition(left.len(), |i| !self.unique(left[i], right[last]));
        if first == left.len() {
            return None;
        }
        let mut best: Option<(usize, usize)> = None;
        let mut hi_j = last;
        for &a in &left[first..] {
            if let Some((ba, bb)) = best
                && e - a > bb - ba
            {
                break;
            }
            let j = partition(hi_j + 1, |j| !self.unique(a, right[j]));
            if j > hi_j {
                continue;
            }
            hi_j = j;
            let b = right[j];
            let better = match best {
                None => true,
                Some((ba, bb)) => {
                    let (len, best_len) = (b - a, bb - ba);
                    len < best_len
                        || (len == best_len && (s - a).abs_diff(b - e) < (s - ba).abs_diff(bb - e))
                }
            };
            if better {
                best = Some((a, b));
            }
            if j == 0 {
                break;
            }
        }
        best
    }

    fn push(&mut self, h: Hunk) {
        self.before_last = std::mem::take(&mut self.cur);
        self.delta_before_last = self.delta;
        self.cur = self.before_last.clone();
        let at = h.range.start.saturating_add_signed(self.delta);
        self.cur.replace_range(at..at + h.old.len(), &h.new);
        self.delta += h.new.len() as isize - h.old.len() as isize;
        self.hunks.push(h);
    }

    /// The last hunk grown to take in `ed` (still unique: it only gets longer).
    fn extend_last(&mut self, ed: &Edit) {
        let Some(mut h) = self.hunks.pop() else {
            return;
        };
        // Edits past a hunk start at or after its end.
        let end = ed.end.max(h.range.end);
        h.new
            .push_str(&self.page[h.range.end..ed.start.max(h.range.end)]);
        h.new.push_str(&ed.new);
        h.old = self.page[h.range.start..end].to_string();
        h.range.end = end;
        self.cur = std::mem::take(&mut self.before_last);
        self.delta = self.delta_before_last;
        self.push(h);
    }
}

/// The first index in `0..n` where `pred` is false (`pred` true then false).
fn partition(n: usize, pred: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if pred(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Plans without avoided ranges, checks the plan and returns its hunks as (old, new).
    fn hunks_of(page: &str, target: &str) -> Vec<(String, String)> {
        let hunks = plan(page, target, &[], 100).unwrap();
        check(page, target, &hunks, &[]);
        hunks.into_iter().map(|h| (h.old, h.new)).collect()
    }

    /// What every plan must satisfy.
    fn check(page: &str, target: &str, hunks: &[Hunk], avoid: &[Range<usize>]) {
        assert_eq!(
            apply(page, hunks).as_deref(),
            Ok(target),
            "{page:?} → {target:?}: {hunks:?}"
        );
        let mut end = 0;
        for h in hunks {
            assert!(!h.old.is_empty(), "{hunks:?}");
            assert!(h.range.start >= end, "out of order: {hunks:?}");
            assert_eq!(&page[h.range.clone()], h.old, "{hunks:?}");
            end = h.range.end;
            for r in avoid {
                assert!(
                    h.range.end <= r.start || r.end <= h.range.start,
                    "{h:?} enters avoided {r:?} of {page:?}"
                );
            }
        }
    }

    fn pair(old: &str, new: &str) -> (String, String) {
        (old.to_string(), new.to_string())
    }

    #[test]
    fn no_change_plans_nothing() {
        assert_eq!(plan("a\n\nb\n", "a\n\nb\n", &[], 100), Ok(Vec::new()));
        assert_eq!(plan("", "", &[], 0), Ok(Vec::new()));
        assert_eq!(plan("", "new\n", &[], 100), Err(NoPlan::EmptyPage));
        assert_eq!(hunks_of("a\n\nb\n", ""), [pair("a\n\nb\n", "")]);
    }

    #[test]
    fn a_unique_change_is_its_own_hunk() {
        assert_eq!(
            hunks_of(
                "The cat sat.\n\nThe dog ran.\n",
                "The cat sat.\n\nThe fox ran.\n"
            ),
            [pair("dog", "fox")]
        );
        let h = plan("x cat y\n", "x cow y\n", &[], 100).unwrap();
        assert_eq!(h[0].range, 2..5);
        let r: super::super::edit::Replacement = h[0].clone().into();
        assert_eq!(
            (r.old.as_str(), r.new.as_str(), r.all),
            ("cat", "cow", false)
        );
    }

    #[test]
    fn context_grows_within_the_line_before_the_block_and_the_page() {
        // "cat" is twice; within its line, "cat sat on the sofa" is unique (the shorter
        // "\nThe cat" would reach past the line).
        assert_eq!(
            hunks_of(
                "The cat sat on the mat.\n\nThe cat sat on the sofa.\n",
                "The cat sat on the mat.\n\nThe dog sat on the sofa.\n"
            ),
            [pair("cat sat on the sofa", "dog sat on the sofa")]
        );
        // The same word to the right of the change: left context first when shorter.
        assert_eq!(
            hunks_of(
                "a fine cat\n\nthe red cat\n\nthe fine cat\n",
                "a fine cat\n\nthe red cat\n\nthe fine dog\n"
            ),
            [pair("the fine cat", "the fine dog")]
        );
        // Identical paragraphs: the paragraph cannot make the change unique, so the
        // context takes in the least of a neighbour.
        let page = "Intro\n\nThe cat sat.\n\nMiddle\n\nThe cat sat.\n\nEnd\n";
        let target = "Intro\n\nThe cat sat.\n\nMiddle\n\nThe dog sat.\n\nEnd\n";
        let h = plan(page, target, &[], 100).unwrap();
        check(page, target, &h, &[]);
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].old, "cat sat.\n\nEnd");
        assert_eq!(h[0].new, "dog sat.\n\nEnd");
    }

    #[test]
    fn insertions_anchor_on_the_shortest_unique_neighbour() {
        let page = "First one\n\nSecond two\n";
        for target in [
            "New\n\nFirst one\n\nSecond two\n",
            "First one\n\nNew\n\nSecond two\n",
            "First one\n\nSecond two\n\nNew\n",
            "First one\n\nSecond two\n\nNew",
        ] {
            let h = plan(page, target, &[], 100).unwrap();
            check(page, target, &h, &[]);
            assert_eq!(h.len(), 1, "{target:?}: {h:?}");
            assert!(h[0].old.len() <= "\nSecond".len(), "{target:?}: {h:?}");
        }
        // A word added inside a line anchors within the line.
        assert_eq!(
            hunks_of("a b\n\na c\n", "a b\n\na new c\n"),
            [pair("c", "new c")]
        );
    }

    #[test]
    fn deleting_a_block_touches_only_it() {
        let h = hunks_of("Alpha\n\nBeta\n\nGamma\n", "Alpha\n\nGamma\n");
        assert_eq!(h.len(), 1);
        assert!(h[0].0.contains("Beta"), "{h:?}");
        assert!(
            !h[0].0.contains("Alpha") && !h[0].0.contains("Gamma"),
            "{h:?}"
        );
    }

    #[test]
    fn list_items_are_lines_of_their_own() {
        // The third item is the first's twin: the context takes in the item before it.
        assert_eq!(
            hunks_of("- a\n- b\n- a\n", "- a\n- b\n- c\n"),
            [pair("\n- a", "\n- c")]
        );
        let h = hunks_of("- one\n- two\n- three\n", "- one\n- three\n");
        assert_eq!(h.len(), 1);
        assert!(h[0].0.contains("two") && !h[0].0.contains("one"), "{h:?}");
        assert_eq!(
            hunks_of("- one\n- two\n", "- one\n- one and a half\n- two\n").len(),
            1
        );
    }

    #[test]
    fn a_notion_page_gets_small_hunks() {
        let page = "# Project plan\n\nThe plan is simple.\n\n## Tasks\n\n- Write the plan\n- Review the plan\n- Ship\n\n## Notes\n\nThe plan is simple.\n\n<callout icon=\"💡\">\n\tRemember the plan\n</callout>\n\n```rust\nfn main() {}\n```\n";
        let cases: [(String, &[(&str, &str)]); 6] = [
            (
                page.replace("- Ship\n", "- Ship\n- Celebrate\n"),
                &[("Ship\n", "Ship\n- Celebrate\n")],
            ),
            (
                page.replace("Review the plan", "Review the new plan"),
                &[("Review the ", "Review the new ")],
            ),
            // The paragraph is twice: the least of the next block.
            (
                page.replace("Notes\n\nThe plan is simple.", "Notes\n\nThe plan is hard."),
                &[("simple.\n\n<", "hard.\n\n<")],
            ),
            (
                page.replace("- Write the plan\n", ""),
                &[("- Write the plan\n", "")],
            ),
            (
                page.replace("Remember the plan", "Remember the plan!"),
                &[("Remember the plan", "Remember the plan!")],
            ),
            (
                page.replace("# Project plan", "# Project plan v2")
                    .replace("- Ship", "- Ship it"),
                &[("Project plan", "Project plan v2"), ("Ship", "Ship it")],
            ),
        ];
        for (target, want) in cases {
            let got = hunks_of(page, &target);
            let want: Vec<(String, String)> = want.iter().map(|(o, n)| pair(o, n)).collect();
            assert_eq!(got, want, "{target:?}");
        }
    }

    #[test]
    fn far_edits_are_separate_hunks_and_near_ones_share_one() {
        let page = "Alpha one.\n\nBeta two.\n\nGamma three.\n\nDelta four.\n";
        let target = "Alpha 1.\n\nBeta two.\n\nGamma three.\n\nDelta 4.\n";
        assert_eq!(
            hunks_of(page, target),
            [pair("one", "1"), pair("four", "4")]
        );
        assert_eq!(
            hunks_of("the quick brown fox\n", "the slow brown cat\n"),
            [pair("quick brown fox", "slow brown cat")]
        );
        assert_eq!(hunks_of("abc\n", "abd\n"), [pair("abc", "abd")]);
    }

    #[test]
    fn a_later_hunk_stays_unique_after_earlier_ones() {
        // After "x" becomes "y z", "z" is on the page twice: the second hunk must grow.
        let page = "x\n\nw z\n";
        let target = "y z\n\nw q\n";
        let h = plan(page, target, &[], 100).unwrap();
        check(page, target, &h, &[]);
    }

    #[test]
    fn avoided_ranges_are_never_matched() {
        let url = "https://files.example/x.png?X-Amz-Signature=abc";
        let page = format!("![cat]({url})\n\ncat\n");
        let url_at = 7..7 + url.len();
        let avoid = [url_at];
        assert_eq!(&page[avoid[0].clone()], url);
        let target = format!("![dog]({url})\n\ncat\n");
        let h = plan(&page, &target, &avoid, 100).unwrap();
        check(&page, &target, &h, &avoid);
        assert_eq!(h[0].old, "cat]");
        // The change itself in an avoided range.
        let target = page.replace("abc", "abd");
        assert_eq!(
            plan(&page, &target, &avoid, 100),
            Err(NoPlan::Avoided { line: 1 })
        );
        // Unique only by reaching through an avoided range.
        let page = "x\n\nU\n\nx y\n";
        let separators = 1..6;
        let avoid = [separators];
        assert_eq!(
            plan(page, "z\n\nU\n\nx y\n", &avoid, 100),
            Err(NoPlan::NotUnique { line: 1 })
        );
        let h = plan(page, "x\n\nU\n\nz y\n", &avoid, 100).unwrap();
        check(page, "x\n\nU\n\nz y\n", &h, &avoid);
        assert_eq!(h[0].old, "x ");
        assert!(NoPlan::NotUnique { line: 1 }.to_string().contains("line 1"));
    }

    #[test]
    fn text_is_cut_only_between_characters() {
        let page = "café ☕ ok\n\ncafé ☕ ok\n\nnaïve\n";
        let target = "café ☕ ok\n\ncafé 🍵 ok\n\nnaive\n";
        let h = plan(page, target, &[], 100).unwrap();
        check(page, target, &h, &[]);
        assert_eq!(hunks_of("日本語の文章\n", "日本語の本\n").len(), 1);
    }

    #[test]
    fn too_many_hunks_are_refused() {
        let page = "a1\n\nb\n\na2\n\nb\n\na3\n";
        let target = "x1\n\nb\n\nx2\n\nb\n\nx3\n";
        assert_eq!(plan(page, target, &[], 3).map(|h| h.len()), Ok(3));
        assert_eq!(plan(page, target, &[], 2), Err(NoPlan::TooMany(3)));
    }

    #[test]
    fn apply_needs_each_old_exactly_once() {
        let h = |old: &str, new: &str| Hunk {
            old: old.into(),
            new: new.into(),
            range: 0..0,
        };
        assert_eq!(apply("a b", &[h("b", "c"), h("a c", "d")]), Ok("d".into()));
        assert_eq!(apply("a b", &[h("z", "c")]), Err(0));
        assert_eq!(apply("b a", &[h("b", "a"), h("a", "c")]), Err(1));
        assert_eq!(apply("aaa", &[h("aa", "b")]), Err(0), "overlapping matches");
        assert_eq!(apply("a", &[h("", "b")]), Err(0));
    }

    const LINES: [&str; 9] = [
        "alpha beta",
        "gamma",
        "- item",
        "alpha",
        "beta gamma alpha",
        "- item two",
        "## Head",
        "héllo wörld",
        "日本語の文 ☕🍵",
    ];

    fn join(lines: &[(usize, bool)]) -> String {
        let mut s = String::new();
        for (i, (line, blank)) in lines.iter().enumerate() {
            if i > 0 {
                s.push_str(if *blank { "\n\n" } else { "\n" });
            }
            s.push_str(LINES[*line]);
        }
        s.push('\n');
        s
    }

    /// An edit of a page of lines: (kind, position, line, blank separator).
    fn edit_lines(
        lines: &mut Vec<(usize, bool)>,
        (kind, pos, line, blank): (u8, usize, usize, bool),
    ) {
        let pos = pos % (lines.len() + 1);
        match kind {
            0 => lines.insert(pos, (line, blank)),
            1 if pos < lines.len() => {
                lines.remove(pos);
            }
            _ if pos < lines.len() => lines[pos].0 = line,
            _ => lines.push((line, blank)),
        }
    }

    fn word_edit(text: &str, (kind, pos): (u8, usize)) -> String {
        let mut words: Vec<&str> = text.split(' ').collect();
        let pos = pos % words.len();
        match kind {
            0 => words.insert(pos, "new"),
            1 if words.len() > 1 => {
                words.remove(pos);
            }
            _ => words[pos] = "changed",
        }
        words.join(" ")
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        #[test]
        fn plans_give_the_target_with_every_old_unique_in_turn(
            lines in prop::collection::vec((0..LINES.len(), any::<bool>()), 1..14),
            ops in prop::collection::vec((0u8..3, 0..20usize, 0..LINES.len(), any::<bool>()), 1..5),
            words in prop::collection::vec((0u8..3, 0..20usize, 0..20usize), 0..3),
            chars in prop::collection::vec(
                (0..400usize, prop::sample::select(vec!["x", "\n", " ", "é", "-", "☕", "\n\n"])),
                0..3,
            ),
        ) {
            let page = join(&lines);
            let mut edited = lines.clone();
            for op in ops {
                edit_lines(&mut edited, op);
            }
            let mut target = join(&edited);
            for (kind, at, line) in words {
                let mut ls: Vec<String> = target.split('\n').map(String::from).collect();
                let i = line % ls.len();
                if !ls[i].is_empty() {
                    ls[i] = word_edit(&ls[i], (kind, at));
                }
                target = ls.join("\n");
            }
            for (at, c) in chars {
                let mut at = at % (target.len() + 1);
                while !target.is_char_boundary(at) {
                    at -= 1;
                }
                target.insert_str(at, c);
            }
            let hunks = plan(&page, &target, &[], 100).unwrap();
            check(&page, &target, &hunks, &[]);
        }

        #[test]
        fn no_old_enters_an_avoided_range(
            lines in prop::collection::vec((0..LINES.len(), any::<bool>()), 1..12),
            ops in prop::collection::vec((0u8..3, 0..20usize, 0..LINES.len(), any::<bool>()), 1..4),
            avoid in prop::collection::vec((0..200usize, 1..12usize), 0..3),
        ) {
            let page = join(&lines);
            let mut edited = lines.clone();
            for op in ops {
                edit_lines(&mut edited, op);
            }
            let target = join(&edited);
            let avoid: Vec<Range<usize>> = avoid
                .into_iter()
                .map(|(s, n)| (s % page.len(), n))
                .filter(|&(s, n)| page.is_char_boundary(s) && page.is_char_boundary((s + n).min(page.len())))
                .map(|(s, n)| s..(s + n).min(page.len()))
                .collect();
            match plan(&page, &target, &avoid, 100) {
                Ok(hunks) => check(&page, &target, &hunks, &avoid),
                Err(NoPlan::Avoided { .. } | NoPlan::NotUnique { .. }) => prop_assert!(!avoid.is_empty()),
                Err(e) => prop_assert!(false, "{e:?}"),
            }
        }

        #[test]
        fn an_edit_in_one_paragraph_stays_in_it(
            paras in prop::collection::vec(prop::collection::vec(0..LINES.len(), 1..4), 2..8),
            which in 0..8usize,
            edit in (0u8..3, 0..20usize),
        ) {
            let texts: Vec<String> = paras
                .iter()
                .enumerate()
                .map(|(i, ws)| {
                    let mut t = format!("§{i}:");
                    for w in ws {
                        t.push(' ');
                        t.push_str(LINES[*w]);
                    }
                    t
                })
                .collect();
            let which = which % texts.len();
            let page = texts.join("\n\n") + "\n";
            let start = texts[..which].iter().map(|t| t.len() + 2).sum::<usize>();
            let span = start..start + texts[which].len();
            let (head, body) = texts[which].split_at(format!("§{which}:").len());
            let mut edited = texts.clone();
            edited[which] = format!("{head} {}", word_edit(body.trim_start(), edit));
            let target = edited.join("\n\n") + "\n";
            let hunks = plan(&page, &target, &[], 100).unwrap();
            check(&page, &target, &hunks, &[]);
            for h in &hunks {
                prop_assert!(
                    span.start <= h.range.start && h.range.end <= span.end,
                    "{h:?} leaves paragraph {span:?} of {page:?}"
                );
            }
        }
    }
}
