//! `Ctx`: who is acting, built once per request (or socket) from a verified token, with the permissions of their
//! role (from the `roles` table). Every service call takes one, so a query cannot forget whose data it may touch.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use protocol::{Role, UserView};
use sea_orm::{DatabaseConnection, DbErr, EntityTrait};

use crate::entities::roles;

/// Permission names stored in `roles.permissions`.
pub mod perm {
    /// Everything (super admin).
    pub const ALL: &str = "*";
    pub const WEBSITES_CREATE: &str = "websites:create";
    /// Manage the websites one owns, and see those one is a member of.
    pub const WEBSITES_MANAGE_OWN: &str = "websites:manage_own";
    /// See (not change) the websites one is a member of.
    pub const WEBSITES_READ_MEMBER: &str = "websites:read_member";
    /// Assign agents to one's own websites.
    pub const MEMBERS_MANAGE_OWN: &str = "members:manage_own";
    /// Create and manage agents (not admins).
    pub const USERS_MANAGE_AGENTS: &str = "users:manage_agents";
    pub const ACTIVITY_READ_OWN: &str = "activity:read_own";
}

/// Each role's permissions, read once from `roles` at start-up (roles are seeded by migrations, not edited live).
pub type RolePermissions = Arc<HashMap<Role, Arc<[String]>>>;

pub async fn load_role_permissions(db: &DatabaseConnection) -> Result<RolePermissions, DbErr> {
    let mut map = HashMap::new();
    for row in roles::Entity::find().all(db).await? {
        let permissions: Vec<String> = serde_json::from_value(row.permissions).map_err(|e| {
            DbErr::Custom(format!("the permissions of role {} are not a list of names: {e}", row.name.as_str()))
        })?;
        map.insert(row.name, permissions.into());
    }
    Ok(Arc::new(map))
}

#[derive(Clone, Debug)]
pub struct Ctx {
    user: UserView,
    permissions: Arc<[String]>,
    ip: Option<IpAddr>,
    token: Option<TokenId>,
}

/// The token a request was authenticated with: its id (`jti`) and expiry, so signing out can revoke exactly it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenId {
    pub id: String,
    pub expires_at: chrono::NaiveDateTime,
}

impl Ctx {
    pub fn for_user(user: UserView, permissions: Arc<[String]>, ip: Option<IpAddr>) -> Self {
        Ctx { user, permissions, ip, token: None }
    }

    /// The same principal, authenticated by `token`.
    pub fn with_token(mut self, token: TokenId) -> Self {
        self.token = Some(token);
        self
    }

    pub fn token(&self) -> Option<&TokenId> {
        self.token.as_ref()
    }

    pub fn user(&self) -> &UserView {
        &self.user
    }

    pub fn user_id(&self) -> &str {
        &self.user.id
    }

    pub fn role(&self) -> Role {
        self.user.role
    }

    pub fn ip(&self) -> Option<IpAddr> {
        self.ip
    }

    pub fn can(&self, permission: &str) -> bool {
        self.permissions.iter().any(|p| p == perm::ALL || p == permission)
    }

    pub fn is_super_admin(&self) -> bool {
        self.permissions.iter().any(|p| p == perm::ALL)
    }
}

/// A visitor of one website, from a verified visitor token. Sees and writes only their own chats.
#[derive(Clone, Debug)]
pub struct VisitorCtx {
    pub visitor_id: String,
    pub website_id: String,
    pub ip: Option<IpAddr>,
}

/// Whoever acts on a chat: an agent (with their website scope) or a visitor (with theirs).
#[derive(Clone, Copy, Debug)]
pub enum Principal<'a> {
    Agent(&'a Ctx),
    Visitor(&'a VisitorCtx),
}
