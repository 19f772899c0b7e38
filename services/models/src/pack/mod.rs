//! The model pack: where weights come from and how they are checked.

pub mod e5s1;
pub mod install;
