//! Services: the only code that touches the database. Each call takes the acting `Ctx` (or, for sign-in and
//! bootstrap, the credentials that will produce one) and scopes its queries to it.

pub mod activity;
pub mod attachments;
pub mod auth;
pub mod chats;
pub mod messages;
pub mod users;
pub mod visitors;
pub mod websites;
pub mod widget_settings;
