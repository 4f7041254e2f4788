//! Shared UI pieces: the authenticated layout and small building blocks.

pub mod form;
pub mod layout;
