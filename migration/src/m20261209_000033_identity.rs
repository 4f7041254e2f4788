//! Verified identity: a website's own backend signs a short-lived token for its signed-in customer with
//! `websites.identity_secret` (none until an admin creates one), and `identity_required` makes the widget refuse
//! visitors without one. A verified visitor carries the customer's id from the token (`visitors.external_id`), unique
//! per website, so the same customer on another device continues the same visitor and sees the same chats.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{DbBackend, Statement, TransactionTrait};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Websites {
    Table,
    IdentitySecret,
    IdentityRequired,
}

#[derive(DeriveIden)]
enum Visitors {
    Table,
    WebsiteId,
    ExternalId,
}

const INDEX: &str = "idx_visitors_website_external";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Websites::Table)
                    .add_column(string_len_null(Websites::IdentitySecret, 100))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Websites::Table)
                    .add_column(boolean(Websites::IdentityRequired).default(false))
                    .to_owned(),
            )
            .await?;
        let add_column =
            Table::alter().table(Visitors::Table).add_column(string_len_null(Visitors::ExternalId, 255)).to_owned();
        // Both engines let any number of rows hold NULL in a unique index: anonymous visitors are not constrained.
        let index = Index::create()
            .name(INDEX)
            .table(Visitors::Table)
            .col(Visitors::WebsiteId)
            .col(Visitors::ExternalId)
            .unique()
            .to_owned();
        let backend = manager.get_database_backend();
        visitors_ddl(manager, vec![backend.build(&add_column), backend.build(&index)]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let drop_index = Index::drop().name(INDEX).table(Visitors::Table).to_owned();
        let drop_column = Table::alter().table(Visitors::Table).drop_column(Visitors::ExternalId).to_owned();
        visitors_ddl(manager, vec![backend.build(&drop_index), backend.build(&drop_column)]).await?;
        manager
            .alter_table(Table::alter().table(Websites::Table).drop_column(Websites::IdentityRequired).to_owned())
            .await?;
        manager
            .alter_table(Table::alter().table(Websites::Table).drop_column(Websites::IdentitySecret).to_owned())
            .await
    }
}

/// Runs DDL on `visitors`. On MySQL/MariaDB a column change rebuilds the table with its FULLTEXT index (migration
/// 26), and a rebuilt index takes the session's stopword setting: the statements run on one connection with
/// stopwords off, as that index was made, or "com" and "about" would stop being found.
pub(crate) async fn visitors_ddl(manager: &SchemaManager<'_>, statements: Vec<Statement>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    if manager.get_database_backend() != DbBackend::MySql {
        for statement in statements {
            db.execute_raw(statement).await?;
        }
        return Ok(());
    }
    // DDL commits implicitly; the transaction only pins the connection for the session setting.
    let txn = db.begin().await?;
    txn.execute_unprepared("SET SESSION innodb_ft_enable_stopword = OFF").await?;
    for statement in statements {
        txn.execute_raw(statement).await?;
    }
    txn.execute_unprepared("SET SESSION innodb_ft_enable_stopword = ON").await?;
    txn.commit().await
}
