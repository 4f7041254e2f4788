use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "website_members")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub website_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: String,
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
