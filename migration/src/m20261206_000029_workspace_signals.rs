//! What the agent's workspace tells and is told: each user's notification settings (`agent_settings`: sound,
//! browser notifications, how often to repeat), whether a website lets agents see what its visitors are typing
//! (`websites.typing_preview`), and how far the visitor has seen each chat (`chats.visitor_read_seq`, for read
//! receipts; how far agents have read is in `chat_reads`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AgentSettings {
    Table,
    NotifySound,
    NotifyDesktop,
    NotifyRepeatSeconds,
}

#[derive(DeriveIden)]
enum Websites {
    Table,
    TypingPreview,
}

#[derive(DeriveIden)]
enum Chats {
    Table,
    VisitorReadSeq,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column a statement: SQLite adds one at a time.
        let columns: [(DynIden, ColumnDef); 5] = [
            (AgentSettings::Table.into_iden(), boolean(AgentSettings::NotifySound).default(true).to_owned()),
            (AgentSettings::Table.into_iden(), boolean(AgentSettings::NotifyDesktop).default(true).to_owned()),
            (AgentSettings::Table.into_iden(), integer(AgentSettings::NotifyRepeatSeconds).default(60).to_owned()),
            (Websites::Table.into_iden(), boolean(Websites::TypingPreview).default(true).to_owned()),
            (Chats::Table.into_iden(), big_integer(Chats::VisitorReadSeq).default(0).to_owned()),
        ];
        for (table, mut column) in columns {
            manager.alter_table(Table::alter().table(table).add_column(&mut column).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let columns: [(DynIden, DynIden); 5] = [
            (Chats::Table.into_iden(), Chats::VisitorReadSeq.into_iden()),
            (Websites::Table.into_iden(), Websites::TypingPreview.into_iden()),
            (AgentSettings::Table.into_iden(), AgentSettings::NotifyRepeatSeconds.into_iden()),
            (AgentSettings::Table.into_iden(), AgentSettings::NotifyDesktop.into_iden()),
            (AgentSettings::Table.into_iden(), AgentSettings::NotifySound.into_iden()),
        ];
        for (table, column) in columns {
            manager.alter_table(Table::alter().table(table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
