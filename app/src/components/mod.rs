//! Shared UI pieces: the authenticated layout and small building blocks.

pub mod alerts;
pub mod availability;
pub mod charts;
pub mod form;
pub mod layout;
pub mod shortcuts;
pub mod time;
