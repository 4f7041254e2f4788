//! The pre-chat form: what a website's widget asks before a visitor's first message (`widget_settings.prechat`, JSON:
//! each field off, optional or required, and the consent checkbox's text), and what a visitor agreed to
//! (`visitors.consent_text`, `visitors.consented_at`: the website's words at the time they ticked the box). And the
//! widget's language: `widget_settings.language` (`auto`: the visitor's browser's) and the admin's own welcome and
//! offline texts per language (`widget_settings.translations`, JSON).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::m20261209_000033_identity::visitors_ddl;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WidgetSettings {
    Table,
    Prechat,
    Language,
    Translations,
}

#[derive(DeriveIden)]
enum Visitors {
    Table,
    ConsentText,
    ConsentedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter().table(WidgetSettings::Table).add_column(json_null(WidgetSettings::Prechat)).to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(WidgetSettings::Table)
                    .add_column(string_len(WidgetSettings::Language, 8).default("auto"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(WidgetSettings::Table)
                    .add_column(json_null(WidgetSettings::Translations))
                    .to_owned(),
            )
            .await?;
        let backend = manager.get_database_backend();
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        let text =
            Table::alter().table(Visitors::Table).add_column(string_len_null(Visitors::ConsentText, 500)).to_owned();
        let at = Table::alter().table(Visitors::Table).add_column(date_time_null(Visitors::ConsentedAt)).to_owned();
        visitors_ddl(manager, vec![backend.build(&text), backend.build(&at)]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let at = Table::alter().table(Visitors::Table).drop_column(Visitors::ConsentedAt).to_owned();
        let text = Table::alter().table(Visitors::Table).drop_column(Visitors::ConsentText).to_owned();
        visitors_ddl(manager, vec![backend.build(&at), backend.build(&text)]).await?;
        for column in [WidgetSettings::Translations, WidgetSettings::Language, WidgetSettings::Prechat] {
            manager.alter_table(Table::alter().table(WidgetSettings::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
