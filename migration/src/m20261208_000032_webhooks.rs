//! Webhooks: each website's subscriptions (`webhooks`: a URL, the events it wants as a comma-separated list, and the
//! secret its POSTs are signed with) and the persistent queue and log of what was POSTed (`webhook_deliveries`: the
//! body as first built, so a retry sends the same event; kept after delivery so admins see what went out and what
//! failed). A delivery names its chat so erasing a visitor or a chat takes their deliveries with them.

use crate::cols;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Webhooks {
    Table,
    Id,
    WebsiteId,
    Url,
    Events,
    Secret,
    IsActive,
    CreatedAt,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    WebhookId,
    WebsiteId,
    ChatId,
    Event,
    Payload,
    Status,
    Attempts,
    NextAttemptAt,
    ResponseStatus,
    LastError,
    CreatedAt,
    DeliveredAt,
}

#[derive(DeriveIden)]
enum Websites {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Webhooks::Table)
                    .col(cols::id(Webhooks::Id))
                    .col(cols::fk(Webhooks::WebsiteId))
                    .col(string_len(Webhooks::Url, 2000))
                    .col(string_len(Webhooks::Events, 200))
                    .col(string_len(Webhooks::Secret, 64))
                    .col(boolean(Webhooks::IsActive).default(true))
                    .col(date_time(Webhooks::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_webhooks_website")
                            .from(Webhooks::Table, Webhooks::WebsiteId)
                            .to(Websites::Table, Websites::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("idx_webhooks_website").table(Webhooks::Table).col(Webhooks::WebsiteId).to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookDeliveries::Table)
                    .col(cols::id(WebhookDeliveries::Id))
                    .col(cols::fk(WebhookDeliveries::WebhookId))
                    .col(cols::fk(WebhookDeliveries::WebsiteId))
                    .col(cols::fk_null(WebhookDeliveries::ChatId))
                    .col(string_len(WebhookDeliveries::Event, 20))
                    .col(text(WebhookDeliveries::Payload))
                    .col(string_len(WebhookDeliveries::Status, 8).default("pending"))
                    .col(integer(WebhookDeliveries::Attempts).default(0))
                    .col(date_time(WebhookDeliveries::NextAttemptAt))
                    .col(integer_null(WebhookDeliveries::ResponseStatus))
                    .col(string_len_null(WebhookDeliveries::LastError, 500))
                    .col(date_time(WebhookDeliveries::CreatedAt))
                    .col(date_time_null(WebhookDeliveries::DeliveredAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_webhook_deliveries_webhook")
                            .from(WebhookDeliveries::Table, WebhookDeliveries::WebhookId)
                            .to(Webhooks::Table, Webhooks::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_webhook_deliveries_website")
                            .from(WebhookDeliveries::Table, WebhookDeliveries::WebsiteId)
                            .to(Websites::Table, Websites::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The sender's question: what is due now.
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_deliveries_due")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::Status)
                    .col(WebhookDeliveries::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        // The delivery log: a website's deliveries, newest first.
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_deliveries_website")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::WebsiteId)
                    .col(WebhookDeliveries::CreatedAt)
                    .to_owned(),
            )
            .await?;
        // Erasing a chat or a visitor finds its deliveries.
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_deliveries_chat")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::ChatId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(WebhookDeliveries::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Webhooks::Table).to_owned()).await
    }
}
