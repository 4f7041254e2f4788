//! Wire types shared by the server, the dashboard and the widget. Serde only: this crate is compiled into the
//! WASM bundles, so it must never pull a runtime, a database driver or serde_json.

use serde::{Deserialize, Serialize};

/// What a user may do. Stored as the `users.role` string and as `roles.name`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    SuperAdmin,
    Admin,
    Agent,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::SuperAdmin, Role::Admin, Role::Agent];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::SuperAdmin => "super_admin",
            Role::Admin => "admin",
            Role::Agent => "agent",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Human label for the dashboard.
    pub fn label(self) -> &'static str {
        match self {
            Role::SuperAdmin => "Super admin",
            Role::Admin => "Admin",
            Role::Agent => "Agent",
        }
    }

    /// Higher ranks may manage lower ones; nobody raises themselves.
    pub fn rank(self) -> u8 {
        match self {
            Role::SuperAdmin => 3,
            Role::Admin => 2,
            Role::Agent => 1,
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The signed-in user as every client sees it. Never carries the password hash or token version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
}

/// `POST /api/auth/login` body.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// `POST /api/auth/login` answer, exactly the seed's shape.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginResponse {
    pub token: String,
    pub user: UserView,
    /// Seconds until the token expires.
    pub expires_in: u64,
}

/// Every error a client receives: `{ "error": "snake_case_code", "message": "..." }`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
    pub message: String,
    /// The input field the error is about, for forms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_round_trips_through_its_string() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            let json = serde_json::to_string(&role).expect("serialize");
            assert_eq!(json, format!("\"{}\"", role.as_str()));
        }
        assert_eq!(Role::parse("root"), None);
        assert_eq!(Role::parse("Admin"), None);
    }

    #[test]
    fn login_response_uses_the_seed_field_names() {
        let body = LoginResponse {
            token: "t".into(),
            user: UserView { id: "1".into(), email: "a@b.c".into(), name: "A".into(), role: Role::Agent },
            expires_in: 60,
        };
        let v: serde_json::Value = serde_json::to_value(&body).expect("serialize");
        assert_eq!(v["expiresIn"], 60);
        assert_eq!(v["user"]["role"], "agent");
        assert!(v.get("expires_in").is_none());
    }
}
