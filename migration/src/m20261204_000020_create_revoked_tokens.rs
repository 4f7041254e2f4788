//! `revoked_tokens`: agent tokens signed out before they expire, by token id (`jti`). Checked on every use of a
//! token; a row is useless once its token has expired, and sign-outs sweep those away.

use crate::m20261124_000002_create_users::Users;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum RevokedTokens {
    Table,
    Jti,
    UserId,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RevokedTokens::Table)
                    .col(crate::cols::id(RevokedTokens::Jti))
                    .col(crate::cols::fk(RevokedTokens::UserId))
                    .col(date_time(RevokedTokens::ExpiresAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_revoked_tokens_user")
                            .from(RevokedTokens::Table, RevokedTokens::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_revoked_tokens_expires")
                    .table(RevokedTokens::Table)
                    .col(RevokedTokens::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(RevokedTokens::Table).to_owned()).await
    }
}
