//! `Scoped<T>`: a row found through the acting principal's scope. Only the scoped finders make one
//! ([`Scoped::vouch`] is called by them and nowhere else), so a helper that takes `&Scoped<chats::Model>` (the visitor
//! panel, the assignees, a read position, a send) cannot be handed a row of another tenant: tenancy holds by
//! construction, not by remembering to check.

use std::ops::Deref;

#[derive(Clone, Debug)]
pub struct Scoped<T>(T);

impl<T> Scoped<T> {
    /// For scoped finders only: `row` was read through the acting principal's scope (or belongs to them, like the
    /// chat a visitor's own send just opened).
    pub(crate) fn vouch(row: T) -> Self {
        Scoped(row)
    }

    /// The row itself, for the domain's own writes.
    pub(crate) fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Scoped<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}
