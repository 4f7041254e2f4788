//! Users: lookups, the view every client sees, and the first super admin created on an empty database.

use protocol::{Role, UserView};
use rand::distr::{Alphanumeric, SampleString};
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, PaginatorTrait, Set};

use crate::error::AppError;
use crate::server::entities::users;
use crate::server::services::auth::{hash_password, validate_new_password};

/// Emails are stored trimmed and lower-cased, so uniqueness means the same on SQLite (case-sensitive) and MySQL.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A deliberately small check: something@domain.tld, no spaces, within the column's size.
pub fn validate_email(email: &str) -> Result<(), AppError> {
    let ok = email.len() <= 255
        && !email.chars().any(char::is_whitespace)
        && match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')
            }
            None => false,
        };
    if ok {
        Ok(())
    } else {
        Err(AppError::validation("email", "Enter a valid email address."))
    }
}

pub fn to_view(user: &users::Model) -> Result<UserView, AppError> {
    let role = Role::parse(&user.role).ok_or_else(|| {
        tracing::error!(user = %user.id, role = %user.role, "user has an unknown role");
        AppError::Internal
    })?;
    Ok(UserView { id: user.id.clone(), email: user.email.clone(), name: user.name.clone(), role })
}

/// What start-up did about the first account.
#[derive(Debug)]
pub struct Bootstrap {
    pub email: String,
    /// Set when no password was configured: shown once, never stored in clear.
    pub generated_password: Option<String>,
}

/// On an empty `users` table, creates the first super admin from the configured credentials, or with a generated
/// password. Does nothing once any user exists (several nodes starting at once: the unique email keeps one).
pub async fn ensure_super_admin(
    db: &DatabaseConnection,
    email: Option<&str>,
    password: Option<&str>,
) -> Result<Option<Bootstrap>, AppError> {
    if users::Entity::find().count(db).await? > 0 {
        return Ok(None);
    }
    let email = normalize_email(email.unwrap_or("admin@example.com"));
    validate_email(&email)?;
    let (password, generated) = match password {
        Some(p) => (p.to_string(), false),
        None => (Alphanumeric.sample_string(&mut rand::rng(), 20), true),
    };
    validate_new_password(&password)?;
    let now = chrono::Utc::now().naive_utc();
    users::ActiveModel {
        id: Set(uuid::Uuid::new_v4().to_string()),
        email: Set(email.clone()),
        password_hash: Set(hash_password(&password).await?),
        name: Set("Administrator".into()),
        role: Set(Role::SuperAdmin.as_str().into()),
        is_active: Set(true),
        token_version: Set(0),
        last_login_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(Some(Bootstrap { email, generated_password: generated.then_some(password) }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalized_and_checked() {
        assert_eq!(normalize_email("  Ana@Example.COM "), "ana@example.com");
        assert!(validate_email("ana@example.com").is_ok());
        for bad in ["", "ana", "ana@", "@example.com", "ana@example", "an a@example.com", "ana@.com", "ana@com."] {
            assert!(validate_email(bad).is_err(), "{bad} should be refused");
        }
    }
}
