//! The `.dl` tokens, lexed with `logos`.
//!
//! Whitespace is skipped; `/* */` comments become [`Tok::BlockComment`] (which the parser skips,
//! or reports when unterminated) and `//` comments become [`Tok::LineComment`], which the parser
//! attaches to the item below them. Strings are scanned by hand so that an unterminated string
//! is one token the parser can report precisely; escapes are decoded by the parser.

use logos::{Lexer, Logos};

/// One token kind. Spans come from the lexer.
#[derive(Logos, Clone, Copy, PartialEq, Eq, Debug)]
#[logos(skip r"[ \t\r\n\f]+")]
pub(crate) enum Tok {
    #[regex(r"//[^\n]*", allow_greedy = true)]
    LineComment,
    /// `/* ... */`; `false` when the comment is not closed.
    #[token("/*", block_comment)]
    BlockComment(bool),
    /// A string literal with its quotes; `false` when it is not closed on its line.
    #[token("\"", string_literal)]
    Str(bool),
    #[regex("[A-Za-z_][A-Za-z0-9_]*")]
    Ident,
    #[token("_", priority = 3)]
    Underscore,
    #[regex("[0-9]+")]
    Number,
    #[token(":-")]
    If,
    #[token("<:")]
    Subtype,
    #[token(":")]
    Colon,
    #[token(".")]
    Dot,
    #[token(",")]
    Comma,
    #[token(";")]
    Semi,
    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token("{")]
    LBrace,
    #[token("}")]
    RBrace,
    #[token("!")]
    Bang,
    #[token("=")]
    Eq,
    #[token("!=")]
    Ne,
    #[token("<")]
    Lt,
    #[token("<=")]
    Le,
    #[token(">")]
    Gt,
    #[token(">=")]
    Ge,
    #[token("+")]
    Plus,
    #[token("-")]
    Minus,
    #[token("*")]
    Star,
    #[token("/")]
    Slash,
    #[token("%")]
    Percent,
}

fn block_comment(lex: &mut Lexer<Tok>) -> bool {
    let rest = lex.remainder();
    match rest.find("*/") {
        Some(i) => {
            lex.bump(i + 2);
            true
        }
        None => {
            lex.bump(rest.len());
            false
        }
    }
}

fn string_literal(lex: &mut Lexer<Tok>) -> bool {
    let rest = lex.remainder();
    let mut escaped = false;
    for (i, c) in rest.char_indices() {
        match c {
            '\n' => {
                lex.bump(i);
                return false;
            }
            '\\' if !escaped => escaped = true,
            '"' if !escaped => {
                lex.bump(i + 1);
                return true;
            }
            _ => escaped = false,
        }
    }
    lex.bump(rest.len());
    false
}

/// A lexed token: its kind (`Err` for text that starts no token) and byte range.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Token {
    pub kind: Result<Tok, ()>,
    pub start: usize,
    pub end: usize,
}

/// Lexes all of `source`.
pub(crate) fn lex(source: &str) -> Vec<Token> {
    let mut lexer = Tok::lexer(source);
    let mut tokens = Vec::new();
    while let Some(kind) = lexer.next() {
        let span = lexer.span();
        tokens.push(Token {
            kind,
            start: span.start,
            end: span.end,
        });
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<Result<Tok, ()>> {
        lex(src).into_iter().map(|t| t.kind).collect()
    }

    #[test]
    fn lexes_punctuation_longest_first() {
        assert_eq!(
            kinds(":- : <: <= < != ! _ _x x1 12"),
            vec![
                Ok(Tok::If),
                Ok(Tok::Colon),
                Ok(Tok::Subtype),
                Ok(Tok::Le),
                Ok(Tok::Lt),
                Ok(Tok::Ne),
                Ok(Tok::Bang),
                Ok(Tok::Underscore),
                Ok(Tok::Ident),
                Ok(Tok::Ident),
                Ok(Tok::Number),
            ]
        );
    }

    #[test]
    fn strings_and_comments() {
        assert_eq!(
            kinds(r#""a\"b" "x"#),
            vec![Ok(Tok::Str(true)), Ok(Tok::Str(false))]
        );
        assert_eq!(kinds("\"a\nb"), vec![Ok(Tok::Str(false)), Ok(Tok::Ident)]);
        assert_eq!(
            kinds("/* a */ // b\n/* c"),
            vec![
                Ok(Tok::BlockComment(true)),
                Ok(Tok::LineComment),
                Ok(Tok::BlockComment(false))
            ]
        );
        assert_eq!(kinds("#"), vec![Err(())]);
    }
}
