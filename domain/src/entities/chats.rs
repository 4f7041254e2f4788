use protocol::ChatStatus;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "chats")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub website_id: String,
    pub visitor_id: String,
    pub assigned_to: Option<String>,
    pub status: ChatStatus,
    pub resolution: Option<String>,
    pub started_at: DateTime,
    pub ended_at: Option<DateTime>,
    pub created_at: DateTime,
    pub updated_at: DateTime,
    /// The visitor's first message (by seq), and the first agent message after it, with its sender.
    pub first_visitor_at: Option<DateTime>,
    pub first_response_at: Option<DateTime>,
    pub first_response_by: Option<String>,
    /// How far the visitor has seen the chat (their read receipt for agents' replies).
    pub visitor_read_seq: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
