//! The model pack: where weights come from and how they are checked.

pub mod convert_embedder;
pub mod install;
