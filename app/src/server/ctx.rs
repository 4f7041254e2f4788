//! `Ctx`: who is acting, built once per request (or socket) from a verified token. Every service call takes one,
//! so a query cannot forget whose data it may touch.

use std::net::IpAddr;

use protocol::{Role, UserView};

#[derive(Clone, Debug)]
pub struct Ctx {
    user: UserView,
    ip: Option<IpAddr>,
}

impl Ctx {
    pub fn for_user(user: UserView, ip: Option<IpAddr>) -> Self {
        Ctx { user, ip }
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
}
