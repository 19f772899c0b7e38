//! The token stream every analyzer here hands tantivy: tokens are computed
//! up front (analysis needs the whole text anyway: a lattice, a regex scan).

use tantivy_tokenizer_api::{Token, TokenStream};

/// Tokens computed in advance, pulled one by one.
#[derive(Debug)]
pub struct VecTokenStream {
    tokens: Vec<Token>,
    /// One past the current token; 0 before the first `advance`.
    next: usize,
}

impl VecTokenStream {
    pub fn new(tokens: Vec<Token>) -> Self {
        Self { tokens, next: 0 }
    }
}

impl TokenStream for VecTokenStream {
    fn advance(&mut self) -> bool {
        if self.next < self.tokens.len() {
            self.next += 1;
            true
        } else {
            false
        }
    }

    /// tantivy only calls this after `advance` returned true.
    fn token(&self) -> &Token {
        &self.tokens[self.next.saturating_sub(1)]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next.saturating_sub(1)]
    }
}
