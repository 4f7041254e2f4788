use sea_orm::entity::prelude::*;

/// A website's UTC day (days since 1970), and its digest while `digest_version` equals `version` (see
/// `services::analytics::digest`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "analytics_days")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub website_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: i64,
    pub version: i64,
    pub digest_version: Option<i64>,
    pub digest: Option<Vec<u8>>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
