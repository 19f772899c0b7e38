//! Conversations for multi-turn `/v1/ask`: the turns so far, kept in memory
//! by id and readable only by the caller that started them. The oldest
//! conversation is dropped when the store is full; a restart forgets them
//! (a client that must survive one sends `history` itself).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use seogo_types::ChatMessage;

use crate::error::ApiError;

struct Conversation {
    owner: String,
    turns: Vec<ChatMessage>,
    used: Instant,
}

pub(crate) struct Conversations {
    max: usize,
    by_id: Mutex<HashMap<String, Conversation>>,
}

impl std::fmt::Debug for Conversations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conversations")
            .field("max", &self.max)
            .finish()
    }
}

/// Turns kept per conversation (the rewrite reads only the latest few).
const MAX_TURNS: usize = 40;

impl Conversations {
    pub(crate) fn new(max: usize) -> Self {
        Self {
            max, // at least 1: validated with the configuration
            by_id: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, HashMap<String, Conversation>>, ApiError> {
        self.by_id
            .lock()
            .map_err(|_| ApiError::internal("conversation lock poisoned"))
    }

    /// The turns of `id` if `owner` started it. Another caller's id is
    /// "not found", not "forbidden": ids must not be probeable.
    pub(crate) fn history(&self, id: &str, owner: &str) -> Result<Vec<ChatMessage>, ApiError> {
        self.lock()?
            .get(id)
            .filter(|c| c.owner == owner)
            .map(|c| c.turns.clone())
            .ok_or_else(|| ApiError::not_found(format!("no conversation `{id}`")))
    }

    /// Appends a question and its answer, creating the conversation when
    /// `id` is `None`; returns its id.
    pub(crate) fn append(
        &self,
        id: Option<&str>,
        owner: &str,
        turns: [ChatMessage; 2],
    ) -> Result<String, ApiError> {
        let mut by_id = self.lock()?;
        let id = match id {
            Some(id) => id.to_string(),
            None => crate::random_id("conv_", 16)?,
        };
        if !by_id.contains_key(&id) && by_id.len() >= self.max {
            if let Some(oldest) = by_id
                .iter()
                .min_by_key(|(_, c)| c.used)
                .map(|(k, _)| k.clone())
            {
                by_id.remove(&oldest);
            }
        }
        let conversation = by_id.entry(id.clone()).or_insert_with(|| Conversation {
            owner: owner.to_string(),
            turns: Vec::new(),
            used: Instant::now(),
        });
        if conversation.owner != owner {
            return Err(ApiError::not_found(format!("no conversation `{id}`")));
        }
        conversation.turns.extend(turns);
        let excess = conversation.turns.len().saturating_sub(MAX_TURNS);
        conversation.turns.drain(..excess);
        conversation.used = Instant::now();
        Ok(id)
    }
}
