use protocol::{WidgetPosition, WidgetSize};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "widget_settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    #[sea_orm(unique)]
    pub website_id: String,
    pub primary_color: String,
    pub position: WidgetPosition,
    pub welcome_message: String,
    pub business_hours: Option<Json>,
    pub offline_message: String,
    pub custom_css: Option<String>,
    pub widget_size: WidgetSize,
    /// `protocol::PrechatForm` as JSON; none: no pre-chat form.
    pub prechat: Option<Json>,
    /// `protocol::WidgetLanguage`.
    pub language: String,
    /// `Vec<protocol::WidgetTranslation>` as JSON.
    pub translations: Option<Json>,
    pub created_at: DateTime,
    pub updated_at: DateTime,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
