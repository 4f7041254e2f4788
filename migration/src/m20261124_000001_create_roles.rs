//! `roles`: the three roles and the permissions each grants, seeded here.

use crate::cols;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Roles {
    Table,
    Id,
    Name,
    Permissions,
    CreatedAt,
}

/// (id, name, permissions). Ids are fixed so every installation agrees on them.
const SEED: [(&str, &str, &[&str]); 3] = [
    ("00000000-0000-4000-8000-000000000001", "super_admin", &["*"]),
    (
        "00000000-0000-4000-8000-000000000002",
        "admin",
        &[
            "websites:create",
            "websites:manage_own",
            "members:manage_own",
            "users:manage_agents",
            "chats:read",
            "chats:write",
            "analytics:read",
            "activity:read_own",
        ],
    ),
    ("00000000-0000-4000-8000-000000000003", "agent", &["websites:read_member", "chats:read", "chats:write"]),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Roles::Table)
                    .col(cols::id(Roles::Id))
                    .col(string_len_uniq(Roles::Name, 32))
                    .col(json(Roles::Permissions))
                    .col(cols::now(Roles::CreatedAt))
                    .to_owned(),
            )
            .await?;

        let now = chrono::Utc::now().naive_utc();
        let mut insert = Query::insert();
        insert.into_table(Roles::Table).columns([Roles::Id, Roles::Name, Roles::Permissions, Roles::CreatedAt]);
        for (id, name, permissions) in SEED {
            let permissions = serde_json::Value::from(permissions.to_vec());
            insert
                .values([id.into(), name.into(), permissions.into(), now.into()])
                .map_err(|e| DbErr::Migration(e.to_string()))?;
        }
        manager.exec_stmt(insert).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Roles::Table).to_owned()).await
    }
}
