use protocol::{EmailStatus, WebhookEvent};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_deliveries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub webhook_id: String,
    pub website_id: String,
    pub chat_id: Option<String>,
    pub event: WebhookEvent,
    /// The JSON body, as built when the event happened.
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    pub status: EmailStatus,
    pub attempts: i32,
    pub next_attempt_at: DateTime,
    pub response_status: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTime,
    pub delivered_at: Option<DateTime>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::webhooks::Entity",
        from = "Column::WebhookId",
        to = "super::webhooks::Column::Id",
        on_delete = "Cascade"
    )]
    Webhook,
}

impl Related<super::webhooks::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Webhook.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
