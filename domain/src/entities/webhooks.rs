use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhooks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub website_id: String,
    pub url: String,
    /// Comma-separated event names (`chat.created,message.created`).
    pub events: String,
    pub secret: String,
    pub is_active: bool,
    pub created_at: DateTime,
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
