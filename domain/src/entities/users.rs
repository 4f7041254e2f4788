use protocol::Role;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    #[sea_orm(unique)]
    pub email: String,
    pub password_hash: String,
    pub name: String,
    pub role: Role,
    pub is_active: bool,
    pub token_version: i32,
    pub last_login_at: Option<DateTime>,
    pub created_by: Option<String>,
    pub created_at: DateTime,
    pub updated_at: DateTime,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::websites::Entity")]
    Websites,
}

impl Related<super::websites::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Websites.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
