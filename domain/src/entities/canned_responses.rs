use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "canned_responses")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Shared on this website; or
    pub website_id: Option<String>,
    /// personal to this user.
    pub user_id: Option<String>,
    /// The website's id, or `user:` and the user's id: a shortcut is unique within it.
    pub owner_key: String,
    pub shortcut: String,
    #[sea_orm(column_type = "Text")]
    pub content: String,
    pub created_by: Option<String>,
    pub created_at: DateTime,
    pub updated_at: DateTime,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
