//! The `--where` language: tokens, syntax tree and parser, with errors that
//! point at the offending part of the expression.
//!
//! ```text
//! expr      := and ("or" and)*
//! and       := unary ("and" unary)*
//! unary     := "not" unary | "(" expr ")" | condition
//! condition := name op value
//!            | name ["not"] "in" "(" value ("," value)* ")"
//!            | name "is" ["not"] "empty"
//! op        := "=" | "!=" | "<" | "<=" | ">" | ">=" | "~" | "!~"
//! name      := "quoted" | 'quoted' | word+      (words up to the operator)
//! value     := "quoted" | 'quoted' | word+      (words up to and, or, ",", ")")
//! ```
//!
//! Keywords (`and`, `or`, `not`, `in`, `is`, `empty`) are case-insensitive.
//! A word is a run of characters other than blanks and `( ) , = < > ~`
//! (and `!` before `=` or `~`); quotes begin a quoted string only at the
//! start of a word, and `\` escapes inside one. Unquoted names and values of
//! several words keep single spaces between them (`Due date < today`,
//! `Status = In progress`); quote them when a word is a keyword or spacing
//! matters. What the names and values mean is [`super::compile`]'s business.
//!
//! Parentheses and `not` nest at most [`MAX_DEPTH`] levels (Notion itself
//! takes two levels of and/or): deeper is a usage error, never a stack
//! overflow of the recursive parser.

use std::fmt;
use std::ops::Range;

/// A byte range of the expression.
pub type Span = Range<usize>;

/// How deep parentheses and `not` may nest: far more than any filter Notion
/// accepts, far less than what would put the parser's stack at risk.
pub const MAX_DEPTH: usize = 64;

/// What kind of mistake a [`WhereError`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The expression does not parse.
    Syntax,
    /// No property has that name.
    UnknownProperty,
    /// The operator does not apply to the property's type.
    Operator,
    /// A value does not fit the property (an unknown option, not a number, ...).
    Value,
    /// The property's type cannot be filtered with `--where`.
    Unsupported,
    /// Notion's nesting limit cannot be met.
    TooComplex,
}

/// A mistake in a `--where` expression: what, where, and what to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WhereError {
    pub kind: ErrorKind,
    pub message: String,
    pub span: Span,
    pub hint: Option<String>,
}

impl WhereError {
    pub fn new(kind: ErrorKind, message: impl Into<String>, span: Span) -> WhereError {
        WhereError {
            kind,
            message: message.into(),
            span,
            hint: None,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> WhereError {
        self.hint = Some(hint.into());
        self
    }

    /// The error as ntn prints it: the message, then the expression with
    /// carets under the offending part (exit 2).
    pub fn to_error(&self, src: &str) -> crate::Error {
        let (line, carets) = underline(src, &self.span);
        let mut e = crate::Error::usage(format!(
            "--where: {}\n    {line}\n    {carets}",
            self.message
        ));
        if let Some(h) = &self.hint {
            e = e.hint(h.clone());
        }
        e.with_data(self.clone())
    }
}

impl fmt::Display for WhereError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for WhereError {}

/// The expression on one line (control characters as spaces) and carets
/// under `span` (display columns, so wide characters line up).
pub fn underline(src: &str, span: &Span) -> (String, String) {
    use unicode_width::UnicodeWidthChar;
    let mut line = String::new();
    let mut carets = String::new();
    let end = span.end.max(span.start + 1);
    for (i, c) in src.char_indices() {
        let c = if c.is_control() { ' ' } else { c };
        let w = c.width().unwrap_or(0);
        line.push(c);
        let mark = if (span.start..end).contains(&i) {
            '^'
        } else {
            ' '
        };
        carets.extend(std::iter::repeat_n(mark, w));
    }
    if span.start >= src.len() {
        carets.push('^');
    }
    (line, carets.trim_end().to_string())
}

/// Comparison operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Contains,
    NotContains,
    In,
    NotIn,
    IsEmpty,
    IsNotEmpty,
}

impl Op {
    /// The operator that matches exactly the rows this one does not
    /// (`not` is pushed down to the conditions).
    pub fn negated(self) -> Op {
        match self {
            Op::Eq => Op::Ne,
            Op::Ne => Op::Eq,
            Op::Lt => Op::Ge,
            Op::Ge => Op::Lt,
            Op::Le => Op::Gt,
            Op::Gt => Op::Le,
            Op::Contains => Op::NotContains,
            Op::NotContains => Op::Contains,
            Op::In => Op::NotIn,
            Op::NotIn => Op::In,
            Op::IsEmpty => Op::IsNotEmpty,
            Op::IsNotEmpty => Op::IsEmpty,
        }
    }

    /// How it is written.
    pub fn text(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Contains => "~",
            Op::NotContains => "!~",
            Op::In => "in",
            Op::NotIn => "not in",
            Op::IsEmpty => "is empty",
            Op::IsNotEmpty => "is not empty",
        }
    }
}

/// A name or value and where it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spanned {
    pub text: String,
    pub span: Span,
    /// Written in quotes (a quoted `"me"` is still `me`; only keywords care).
    pub quoted: bool,
}

/// One condition: `name op value(s)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cond {
    pub name: Spanned,
    pub op: Op,
    pub op_span: Span,
    /// One value, several for `in`, none for `is empty`.
    pub values: Vec<Spanned>,
}

/// The syntax tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Cond(Cond),
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Op(Op),
    LParen,
    RParen,
    Comma,
}

#[derive(Clone, Debug)]
struct Token {
    tok: Tok,
    span: Span,
}

fn syntax(message: impl Into<String>, span: Span) -> WhereError {
    WhereError::new(ErrorKind::Syntax, message, span)
}

const EXAMPLE: &str = "conditions look like `Status = Done`, `\"Due date\" < today`, \
`Tags in (bug, docs)`, `Notes is empty`, joined by and/or";

fn lex(src: &str) -> Result<Vec<Token>, WhereError> {
    let mut out = Vec::new();
    let chars: Vec<(usize, char)> = src.char_indices().collect();
    let at = |i: usize| chars.get(i).map(|(_, c)| *c);
    let pos = |i: usize| chars.get(i).map(|(p, _)| *p).unwrap_or(src.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i].1;
        let start = pos(i);
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let two = |t: Tok, out: &mut Vec<Token>| {
            out.push(Token {
                tok: t,
                span: start..pos(i + 2),
            })
        };
        match (c, at(i + 1)) {
            ('(', _) | (')', _) | (',', _) => {
                let tok = match c {
                    '(' => Tok::LParen,
                    ')' => Tok::RParen,
                    _ => Tok::Comma,
                };
                out.push(Token {
                    tok,
                    span: start..pos(i + 1),
                });
                i += 1;
            }
            ('!', Some('=')) => {
                two(Tok::Op(Op::Ne), &mut out);
                i += 2;
            }
            ('!', Some('~')) => {
                two(Tok::Op(Op::NotContains), &mut out);
                i += 2;
            }
            ('<', Some('=')) => {
                two(Tok::Op(Op::Le), &mut out);
                i += 2;
            }
            ('>', Some('=')) => {
                two(Tok::Op(Op::Ge), &mut out);
                i += 2;
            }
            ('=', Some('=')) => {
                two(Tok::Op(Op::Eq), &mut out);
                i += 2;
            }
            ('<', Some('>')) => {
                two(Tok::Op(Op::Ne), &mut out);
                i += 2;
            }
            ('=' | '<' | '>' | '~', _) => {
                let op = match c {
                    '=' => Op::Eq,
                    '<' => Op::Lt,
                    '>' => Op::Gt,
                    _ => Op::Contains,
                };
                out.push(Token {
                    tok: Tok::Op(op),
                    span: start..pos(i + 1),
                });
                i += 1;
            }
            ('"' | '\'', _) => {
                let quote = c;
                let mut text = String::new();
                let mut j = i + 1;
                loop {
                    match at(j) {
                        None => {
                            return Err(syntax(
                                format!("this {quote}…{quote} string is not closed"),
                                start..src.len(),
                            )
                            .hint(format!("end it with {quote}")));
                        }
                        Some('\\') if at(j + 1).is_some() => {
                            text.push(at(j + 1).unwrap_or_default());
                            j += 2;
                        }
                        Some(q) if q == quote => break,
                        Some(other) => {
                            text.push(other);
                            j += 1;
                        }
                    }
                }
                out.push(Token {
                    tok: Tok::Str(text),
                    span: start..pos(j + 1),
                });
                i = j + 1;
            }
            _ => {
                let mut j = i;
                while let Some(w) = at(j) {
                    let ends = w.is_whitespace()
                        || matches!(w, '(' | ')' | ',' | '=' | '<' | '>' | '~')
                        || (w == '!' && matches!(at(j + 1), Some('=' | '~')));
                    if ends {
                        break;
                    }
                    j += 1;
                }
                let text: String = chars[i..j].iter().map(|(_, c)| *c).collect();
                out.push(Token {
                    tok: Tok::Word(text),
                    span: start..pos(j),
                });
                i = j;
            }
        }
    }
    Ok(out)
}

/// Parses an expression.
pub fn parse(src: &str) -> Result<Expr, WhereError> {
    let tokens = lex(src)?;
    if tokens.is_empty() {
        return Err(syntax("the expression is empty", 0..src.len()).hint(EXAMPLE));
    }
    let mut p = Parser {
        tokens,
        pos: 0,
        end: src.len(),
        depth: 0,
    };
    let e = p.or()?;
    if let Some(t) = p.peek() {
        let span = t.span.clone();
        let msg = match &t.tok {
            Tok::RParen => "this `)` closes nothing".to_string(),
            _ => format!(
                "expected `and`, `or` or the end, found {}",
                describe(&t.tok)
            ),
        };
        return Err(syntax(msg, span));
    }
    Ok(e)
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Word(w) => format!("`{w}`"),
        Tok::Str(s) => format!("the string {s:?}"),
        Tok::Op(o) => format!("`{}`", o.text()),
        Tok::LParen => "`(`".into(),
        Tok::RParen => "`)`".into(),
        Tok::Comma => "`,`".into(),
    }
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    end: usize,
    /// Parentheses and `not`s open around the current position.
    depth: usize,
}

fn is_kw(t: &Tok, kw: &str) -> bool {
    matches!(t, Tok::Word(w) if w.eq_ignore_ascii_case(kw))
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn peek_kw(&self, kw: &str) -> bool {
        self.peek().is_some_and(|t| is_kw(&t.tok, kw))
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    /// Where the expression ends (for "expected ... at the end").
    fn end_span(&self) -> Span {
        self.end..self.end
    }

    fn or(&mut self) -> Result<Expr, WhereError> {
        let mut parts = vec![self.and()?];
        while self.peek_kw("or") {
            self.pos += 1;
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::Or(parts)
        })
    }

    fn and(&mut self) -> Result<Expr, WhereError> {
        let mut parts = vec![self.unary()?];
        while self.peek_kw("and") {
            self.pos += 1;
            parts.push(self.unary()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::And(parts)
        })
    }

    /// One more level of nesting at `span`, refused past [`MAX_DEPTH`].
    fn nest(&mut self, span: &Span) -> Result<(), WhereError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(WhereError::new(
                ErrorKind::TooComplex,
                format!("the expression nests more than {MAX_DEPTH} levels deep here"),
                span.clone(),
            )
            .hint("remove redundant parentheses and `not`s: Notion takes two levels of and/or"));
        }
        Ok(())
    }

    fn unary(&mut self) -> Result<Expr, WhereError> {
        match self.peek().map(|t| (t.tok.clone(), t.span.clone())) {
            None => Err(syntax("expected a condition at the end", self.end_span()).hint(EXAMPLE)),
            Some((t, span)) if is_kw(&t, "not") => {
                self.nest(&span)?;
                self.pos += 1;
                let e = Expr::Not(Box::new(self.unary()?));
                self.depth -= 1;
                Ok(e)
            }
            Some((Tok::LParen, open)) => {
                self.nest(&open)?;
                self.pos += 1;
                let e = self.or()?;
                self.depth -= 1;
                match self.next() {
                    Some(Token {
                        tok: Tok::RParen, ..
                    }) => Ok(e),
                    Some(t) => Err(syntax(
                        format!("expected `)`, found {}", describe(&t.tok)),
                        t.span,
                    )),
                    None => Err(syntax("this `(` is not closed", open).hint("add a `)`")),
                }
            }
            Some(_) => self.condition(),
        }
    }

    /// Words (or one quoted string) up to a token that `stop` accepts.
    fn words(&mut self, what: &str, stop: &dyn Fn(&Tok) -> bool) -> Result<Spanned, WhereError> {
        match self.peek().cloned() {
            None => {
                return Err(syntax(
                    format!("expected {what} at the end"),
                    self.end_span(),
                ));
            }
            Some(Token {
                tok: Tok::Str(s),
                span,
            }) => {
                self.pos += 1;
                return Ok(Spanned {
                    text: s,
                    span,
                    quoted: true,
                });
            }
            Some(Token {
                tok: Tok::Word(_), ..
            }) => {}
            Some(t) => {
                return Err(syntax(
                    format!("expected {what}, found {}", describe(&t.tok)),
                    t.span,
                ));
            }
        }
        let mut text = String::new();
        let mut span: Option<Span> = None;
        while let Some(Token {
            tok: Tok::Word(w),
            span: s,
        }) = self.peek().cloned()
        {
            if stop(&Tok::Word(w.clone())) {
                break;
            }
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(&w);
            span = Some(match span {
                None => s,
                Some(first) => first.start..s.end,
            });
            self.pos += 1;
        }
        match span {
            Some(span) => Ok(Spanned {
                text,
                span,
                quoted: false,
            }),
            None => {
                let t = self.peek().cloned();
                let span = t.as_ref().map_or(self.end_span(), |t| t.span.clone());
                let found = t.map_or("the end".to_string(), |t| describe(&t.tok));
                Err(syntax(format!("expected {what}, found {found}"), span)
                    .hint("quote names and values that are keywords: \"in\", \"is\", \"and\", ..."))
            }
        }
    }

    fn condition(&mut self) -> Result<Expr, WhereError> {
        let name = self.words("a property name", &|t| {
            ["and", "or", "not", "in", "is"].iter().any(|k| is_kw(t, k))
        })?;
        let Some(t) = self.next() else {
            return Err(syntax(
                format!("expected an operator after {:?}", name.text),
                self.end_span(),
            )
            .hint("operators: = != < <= > >= ~ (contains) !~ in (...) is empty, is not empty"));
        };
        let value_stop = |t: &Tok| is_kw(t, "and") || is_kw(t, "or");
        let (op, op_span, values) = match t.tok {
            Tok::Op(op) => {
                let v = self.words("a value", &value_stop)?;
                (op, t.span, vec![v])
            }
            Tok::Word(w) if w.eq_ignore_ascii_case("in") => {
                let values = self.list()?;
                (Op::In, t.span, values)
            }
            Tok::Word(w) if w.eq_ignore_ascii_case("not") => match self.next() {
                Some(Token {
                    tok: Tok::Word(w2),
                    span,
                }) if w2.eq_ignore_ascii_case("in") => {
                    let values = self.list()?;
                    (Op::NotIn, t.span.start..span.end, values)
                }
                other => {
                    let span = other.map_or(self.end_span(), |o| o.span);
                    return Err(syntax("expected `in` after `not`", span)
                        .hint("`not` before a name negates a condition: not Done = true"));
                }
            },
            Tok::Word(w) if w.eq_ignore_ascii_case("is") => {
                let mut negated = false;
                let mut last = t.span.clone();
                if self.peek_kw("not") {
                    negated = true;
                    last = self.next().map(|t| t.span).unwrap_or(last);
                }
                match self.next() {
                    Some(Token {
                        tok: Tok::Word(e),
                        span,
                    }) if e.eq_ignore_ascii_case("empty") => {
                        let op = if negated { Op::IsNotEmpty } else { Op::IsEmpty };
                        (op, t.span.start..span.end, vec![])
                    }
                    other => {
                        let span = other.map_or(last.end..last.end, |o| o.span);
                        return Err(syntax("expected `empty`", span)
                            .hint("write `is empty` or `is not empty`"));
                    }
                }
            }
            other => {
                return Err(syntax(
                    format!(
                        "expected an operator after {:?}, found {}",
                        name.text,
                        describe(&other)
                    ),
                    t.span,
                )
                .hint("operators: = != < <= > >= ~ (contains) !~ in (...) is empty, is not empty; quote names with keywords or symbols"));
            }
        };
        Ok(Expr::Cond(Cond {
            name,
            op,
            op_span,
            values,
        }))
    }

    /// `( value, value, ... )`
    fn list(&mut self) -> Result<Vec<Spanned>, WhereError> {
        let open = match self.next() {
            Some(Token {
                tok: Tok::LParen,
                span,
            }) => span,
            other => {
                let span = other.map_or(self.end_span(), |o| o.span);
                return Err(syntax("expected `(` after `in`", span)
                    .hint("list the values in parentheses: Tags in (bug, docs)"));
            }
        };
        let mut values = vec![];
        loop {
            if let Some(Token {
                tok: Tok::RParen,
                span,
            }) = self.peek().cloned()
                && values.is_empty()
            {
                return Err(syntax("the list is empty", open.start..span.end)
                    .hint("list at least one value: Tags in (bug, docs)"));
            }
            values.push(self.words("a value", &|_| false)?);
            match self.next() {
                Some(Token {
                    tok: Tok::Comma, ..
                }) => continue,
                Some(Token {
                    tok: Tok::RParen, ..
                }) => return Ok(values),
                Some(t) => {
                    return Err(syntax(
                        format!("expected `,` or `)`, found {}", describe(&t.tok)),
                        t.span,
                    ));
                }
                None => {
                    return Err(syntax("this `(` is not closed", open).hint("add a `)`"));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(e: &Expr) -> &Cond {
        match e {
            Expr::Cond(c) => c,
            other => panic!("not a condition: {other:?}"),
        }
    }

    #[test]
    fn conditions_and_precedence() {
        let e = parse("Status = Done and not Tags ~ bug or \"Due date\" < -7d").unwrap();
        let Expr::Or(or) = &e else { panic!("{e:?}") };
        let Expr::And(and) = &or[0] else {
            panic!("{e:?}")
        };
        assert_eq!(cond(&and[0]).name.text, "Status");
        assert_eq!(cond(&and[0]).values[0].text, "Done");
        let Expr::Not(inner) = &and[1] else {
            panic!("{e:?}")
        };
        assert_eq!(cond(inner).op, Op::Contains);
        let due = cond(&or[1]);
        assert_eq!(
            (due.name.text.as_str(), due.name.quoted),
            ("Due date", true)
        );
        assert_eq!(due.name.span, 36..46);
        assert_eq!(due.op, Op::Lt);
        assert_eq!(due.values[0].text, "-7d");
    }

    #[test]
    fn multi_word_names_and_values_keywords_lists_and_empties() {
        let e = parse("Due date >= 2025-01-01 AND Status = In progress").unwrap();
        let Expr::And(v) = &e else { panic!("{e:?}") };
        assert_eq!(cond(&v[0]).name.text, "Due date");
        assert_eq!(cond(&v[1]).values[0].text, "In progress");
        assert_eq!(cond(&v[1]).values[0].span, 36..47);
        let c = parse("Tags not in (bug, 'good first issue', a\\b)").unwrap();
        let c = cond(&c);
        assert_eq!(c.op, Op::NotIn);
        let texts: Vec<&str> = c.values.iter().map(|v| v.text.as_str()).collect();
        assert_eq!(texts, ["bug", "good first issue", "a\\b"]);
        assert_eq!(cond(&parse("Notes is empty").unwrap()).op, Op::IsEmpty);
        assert_eq!(
            cond(&parse("Notes IS NOT EMPTY").unwrap()).op,
            Op::IsNotEmpty
        );
        let c = parse(r#"Name = "say \"hi\"" "#).unwrap();
        assert_eq!(cond(&c).values[0].text, "say \"hi\"");
        for (src, op) in [
            ("a!=b", Op::Ne),
            ("a<>b", Op::Ne),
            ("a==b", Op::Eq),
            ("a!~b", Op::NotContains),
            ("a<=1", Op::Le),
            ("a>1", Op::Gt),
        ] {
            assert_eq!(cond(&parse(src).unwrap()).op, op, "{src}");
        }
        // `!` inside a word, quotes inside a word.
        let c = parse("Name = Hello! and Owner = O'Brien").unwrap();
        let Expr::And(v) = &c else { panic!() };
        assert_eq!(cond(&v[0]).values[0].text, "Hello!");
        assert_eq!(cond(&v[1]).values[0].text, "O'Brien");
        // Parentheses group.
        let g = parse("(a = 1 or b = 2) and c = 3").unwrap();
        assert!(matches!(&g, Expr::And(v) if matches!(v[0], Expr::Or(_))));
    }

    #[test]
    fn syntax_errors_point_at_the_offending_part() {
        let cases: &[(&str, &str, Span)] = &[
            ("", "empty", 0..0),
            ("   ", "empty", 0..3),
            ("Status", "expected an operator after \"Status\"", 6..6),
            (
                "Status Done",
                "expected an operator after \"Status Done\"",
                11..11,
            ),
            ("Status =", "expected a value at the end", 8..8),
            (
                "Status = Done and",
                "expected a condition at the end",
                17..17,
            ),
            (
                "Status = Done or or",
                "expected a property name, found `or`",
                17..19,
            ),
            ("(Status = Done", "this `(` is not closed", 0..1),
            ("Status = Done)", "this `)` closes nothing", 13..14),
            ("Name = \"open", "not closed", 7..12),
            ("Tags in bug", "expected `(` after `in`", 8..11),
            ("Tags in ()", "the list is empty", 8..10),
            ("Tags in (a b", "this `(` is not closed", 8..9),
            ("Tags in (a = b)", "expected `,` or `)`, found `=`", 11..12),
            ("Notes is emty", "expected `empty`", 9..13),
            ("Tags not bug", "expected `in` after `not`", 9..12),
            ("Status = (Done)", "expected a value, found `(`", 9..10),
            ("= Done", "expected a property name, found `=`", 0..1),
        ];
        for (src, text, span) in cases {
            let e = parse(src).unwrap_err();
            assert_eq!(e.kind, ErrorKind::Syntax, "{src}");
            assert!(e.message.contains(text), "{src}: {}", e.message);
            assert_eq!(&e.span, span, "{src}: {}", e.message);
        }
    }

    #[test]
    fn nesting_is_bounded_with_a_usage_error_not_a_stack_overflow() {
        let ok = format!("{}a = 1{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert!(parse(&ok).is_ok());
        let nots = format!("{}a = 1", "not ".repeat(MAX_DEPTH));
        assert!(parse(&nots).is_ok());
        for deep in [
            format!("{}a = 1{}", "(".repeat(7000), ")".repeat(7000)),
            format!("{}a = 1", "not ".repeat(100_000)),
            format!("{}a = 1", "(not ".repeat(5000)),
            "(".repeat(MAX_DEPTH + 1),
        ] {
            let e = parse(&deep).unwrap_err();
            assert_eq!(e.kind, ErrorKind::TooComplex, "{}", e.message);
            assert!(e.message.contains("64 levels"), "{}", e.message);
            let err = e.to_error(&deep);
            assert_eq!(err.exit_code().code(), 2);
            assert!(err.hint_text().is_some());
        }
        // The span points at the first bracket past the limit.
        let e = parse(&"(".repeat(70)).unwrap_err();
        assert_eq!(e.span, MAX_DEPTH..MAX_DEPTH + 1);
    }

    #[test]
    fn carets_under_the_span_in_display_columns() {
        assert_eq!(
            underline("Stauts = Done", &(0..6)),
            ("Stauts = Done".into(), "^^^^^^".into())
        );
        assert_eq!(underline("a = 日本 b", &(11..12)).1, "         ^");
        assert_eq!(underline("a =", &(3..3)).1, "   ^");
        assert_eq!(underline("a\tb", &(2..3)), ("a b".into(), "  ^".into()));
        let e = WhereError::new(ErrorKind::Value, "bad", 4..8)
            .hint("try this")
            .to_error("Done = yes");
        assert_eq!(e.message(), "--where: bad\n    Done = yes\n        ^^^^");
        assert_eq!(e.hint_text(), Some("try this"));
        assert_eq!(e.exit_code().code(), 2);
        assert_eq!(e.data::<WhereError>().unwrap().span, 4..8);
    }
}
