use protocol::{EmailKind, EmailStatus};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "emails")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub kind: EmailKind,
    pub website_id: Option<String>,
    pub chat_id: Option<String>,
    pub recipient: String,
    pub reply_to: Option<String>,
    pub subject: String,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    #[sea_orm(unique)]
    pub dedupe_key: String,
    pub status: EmailStatus,
    pub attempts: i32,
    pub next_attempt_at: DateTime,
    pub last_error: Option<String>,
    pub created_at: DateTime,
    pub sent_at: Option<DateTime>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::websites::Entity",
        from = "Column::WebsiteId",
        to = "super::websites::Column::Id",
        on_delete = "Cascade"
    )]
    Website,
}

impl Related<super::websites::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Website.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
