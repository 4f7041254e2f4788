use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "visitor_activity")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub website_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub bucket: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub visitor_id: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
