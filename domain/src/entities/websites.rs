use protocol::Routing;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "websites")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub domain: String,
    pub description: Option<String>,
    #[sea_orm(unique)]
    pub api_key: String,
    pub is_active: bool,
    pub routing: Routing,
    pub agent_capacity: i32,
    pub typing_preview: bool,
    pub missed_chat_minutes: i32,
    pub transcript_on_resolve: bool,
    pub retention_days: i32,
    /// Signs the website's verified-identity tokens (its backend holds it too); none until an admin creates one.
    pub identity_secret: Option<String>,
    /// Visitors without a valid identity token get no widget session.
    pub identity_required: bool,
    pub created_at: DateTime,
    pub updated_at: DateTime,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id",
        on_delete = "Cascade"
    )]
    Owner,
    #[sea_orm(has_many = "super::website_members::Entity")]
    Members,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Owner.def()
    }
}

impl Related<super::website_members::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Members.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
