//! The activity log: who did what, to which resource, from where. Written beside every change an admin makes and
//! every sign-in and sign-out.

use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};

use crate::error::AppError;
use crate::server::ctx::Ctx;
use crate::server::entities::activity_logs;

pub struct Activity<'a> {
    pub action: &'a str,
    pub resource_type: &'a str,
    pub resource_id: Option<&'a str>,
    pub metadata: Option<serde_json::Value>,
}

pub async fn record(ctx: &Ctx, db: &impl ConnectionTrait, activity: Activity<'_>) -> Result<(), AppError> {
    activity_logs::ActiveModel {
        id: Set(uuid::Uuid::new_v4().to_string()),
        user_id: Set(Some(ctx.user_id().to_string())),
        action: Set(activity.action.to_string()),
        resource_type: Set(activity.resource_type.to_string()),
        resource_id: Set(activity.resource_id.map(String::from)),
        metadata: Set(activity.metadata),
        ip_address: Set(ctx.ip().map(|ip| ip.to_string())),
        created_at: Set(chrono::Utc::now().naive_utc()),
    }
    .insert(db)
    .await?;
    Ok(())
}
