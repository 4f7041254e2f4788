//! `widget_settings`: one row per website; the seed's defaults.

use crate::cols;
use crate::m20261124_000003_create_websites::Websites;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum WidgetSettings {
    Table,
    Id,
    WebsiteId,
    PrimaryColor,
    Position,
    WelcomeMessage,
    BusinessHours,
    OfflineMessage,
    CustomCss,
    WidgetSize,
    CreatedAt,
    UpdatedAt,
}

pub const DEFAULT_WELCOME: &str = "Hello! How can we help you today?";
pub const DEFAULT_OFFLINE: &str = "We are currently offline. Leave a message and we will get back to you.";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WidgetSettings::Table)
                    .col(cols::id(WidgetSettings::Id))
                    .col(cols::fk(WidgetSettings::WebsiteId).unique_key())
                    .col(string_len(WidgetSettings::PrimaryColor, 7).default("#2563eb"))
                    // bottom-right | bottom-left
                    .col(string_len(WidgetSettings::Position, 16).default("bottom-right"))
                    .col(string_len(WidgetSettings::WelcomeMessage, 500).default(DEFAULT_WELCOME))
                    .col(json_null(WidgetSettings::BusinessHours))
                    .col(string_len(WidgetSettings::OfflineMessage, 500).default(DEFAULT_OFFLINE))
                    .col(text_null(WidgetSettings::CustomCss))
                    // compact | normal
                    .col(string_len(WidgetSettings::WidgetSize, 16).default("normal"))
                    .col(cols::now(WidgetSettings::CreatedAt))
                    .col(cols::now(WidgetSettings::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_widget_settings_website")
                            .from(WidgetSettings::Table, WidgetSettings::WebsiteId)
                            .to(Websites::Table, Websites::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(WidgetSettings::Table).to_owned()).await
    }
}
