use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "visitors")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub website_id: String,
    #[sea_orm(unique)]
    pub session_id: String,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub country: Option<String>,
    /// Left in the offline form.
    pub name: Option<String>,
    pub email: Option<String>,
    /// The website's own id for its signed-in customer, from a verified identity token; unique per website.
    pub external_id: Option<String>,
    /// The pre-chat form's consent text the visitor ticked, and when.
    pub consent_text: Option<String>,
    pub consented_at: Option<DateTime>,
    pub last_seen: DateTime,
    pub created_at: DateTime,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
