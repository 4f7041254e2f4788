//! The batch statements through SeaORM, for MySQL/MariaDB: each send's chat row locked, in a READ COMMITTED
//! transaction of its own.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use protocol::ChatStatus;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};

use super::batch::{write_batch, BatchStore, Stored};
use super::writer::Job;
use crate::entities::{attachments, chats, messages};
use crate::services::chats::open_statuses;

/// The batch statements through SeaORM, in a transaction on MySQL/MariaDB.
struct SeaStore<'t>(&'t sea_orm::DatabaseTransaction);

impl BatchStore for SeaStore<'_> {
    async fn open_chats(&mut self, visitors: &[&str]) -> Result<Vec<chats::Model>, DbErr> {
        chats::Entity::find()
            .filter(chats::Column::VisitorId.is_in(visitors.iter().copied()))
            .filter(chats::Column::Status.is_in(open_statuses()))
            .order_by_desc(chats::Column::CreatedAt)
            .all(self.0)
            .await
    }

    async fn insert_chats(&mut self, new: &[chats::Model]) -> Result<(), DbErr> {
        let rows = new.iter().cloned().map(chats::ActiveModel::from);
        chats::Entity::insert_many(rows).exec_without_returning(self.0).await.map(drop)
    }

    async fn last_seqs(&mut self, chat_ids: &[&str]) -> Result<HashMap<String, i64>, DbErr> {
        // The chats' row locks order their senders across lanes and nodes; the seqs read after them, in a READ
        // COMMITTED snapshot of their own, see the previous holders' committed messages. One statement locks them
        // all, in primary-key order, so two batches sharing chats lock them in the same order and cannot deadlock.
        let locked: Vec<String> = chats::Entity::find()
            .select_only()
            .column(chats::Column::Id)
            .filter(chats::Column::Id.is_in(chat_ids.iter().copied()))
            .order_by_asc(chats::Column::Id)
            .lock_exclusive()
            .into_tuple()
            .all(self.0)
            .await?;
        if let Some(missing) = chat_ids.iter().find(|id| !locked.iter().any(|l| l == *id)) {
            return Err(DbErr::RecordNotFound(format!("chat {missing}")));
        }
        let seqs: Vec<(String, Option<i64>)> = messages::Entity::find()
            .select_only()
            .column(messages::Column::ChatId)
            .column_as(messages::Column::Seq.max(), "last_seq")
            .filter(messages::Column::ChatId.is_in(chat_ids.iter().copied()))
            .group_by(messages::Column::ChatId)
            .into_tuple()
            .all(self.0)
            .await?;
        let mut last: HashMap<String, i64> = chat_ids.iter().map(|id| (id.to_string(), 0)).collect();
        for (chat_id, seq) in seqs {
            last.insert(chat_id, seq.unwrap_or(0));
        }
        Ok(last)
    }

    async fn take(&mut self, chat_id: &str, assignee: Option<&str>, now: NaiveDateTime) -> Result<(), DbErr> {
        let mut take = chats::Entity::update_many()
            .col_expr(chats::Column::Status, Expr::value(ChatStatus::Ongoing.as_str()))
            .col_expr(chats::Column::UpdatedAt, Expr::value(now));
        if let Some(agent) = assignee {
            take = take.col_expr(chats::Column::AssignedTo, Expr::value(agent));
        }
        take.filter(chats::Column::Id.eq(chat_id)).exec(self.0).await.map(drop)
    }

    async fn first_visitor(&mut self, chat_id: &str, at: NaiveDateTime) -> Result<(), DbErr> {
        chats::Entity::update_many()
            .col_expr(chats::Column::FirstVisitorAt, Expr::value(at))
            .filter(chats::Column::Id.eq(chat_id))
            .filter(chats::Column::FirstVisitorAt.is_null())
            .exec(self.0)
            .await
            .map(drop)
    }

    async fn first_response(&mut self, chat_id: &str, at: NaiveDateTime, by: &str) -> Result<bool, DbErr> {
        let done = chats::Entity::update_many()
            .col_expr(chats::Column::FirstResponseAt, Expr::value(at))
            .col_expr(chats::Column::FirstResponseBy, Expr::value(by))
            .filter(chats::Column::Id.eq(chat_id))
            .filter(chats::Column::FirstResponseAt.is_null())
            .filter(chats::Column::FirstVisitorAt.is_not_null())
            .exec(self.0)
            .await?;
        Ok(done.rows_affected > 0)
    }

    async fn stored(&mut self, pairs: &[(&str, &str)]) -> Result<Vec<messages::Model>, DbErr> {
        let any = pairs.iter().fold(Condition::any(), |any, (chat_id, cid)| {
            any.add(messages::Column::ChatId.eq(*chat_id).and(messages::Column::ClientMsgId.eq(*cid)))
        });
        messages::Entity::find().filter(any).all(self.0).await
    }

    async fn insert_attachments(&mut self, new: &[attachments::Model]) -> Result<(), DbErr> {
        let rows = new.iter().cloned().map(attachments::ActiveModel::from);
        attachments::Entity::insert_many(rows).exec_without_returning(self.0).await.map(drop)
    }

    async fn insert_messages(&mut self, new: &[messages::Model]) -> Result<(), DbErr> {
        let rows = new.iter().cloned().map(messages::ActiveModel::from);
        messages::Entity::insert_many(rows).exec_without_returning(self.0).await.map(drop)
    }
}

/// Writes `batch` in one transaction through SeaORM (MySQL/MariaDB).
///
/// READ COMMITTED, not InnoDB's default REPEATABLE READ: there every statement after the first read sees the
/// transaction's first snapshot, so the seq read would need a locking read, and a locking read of an empty chat's
/// messages takes a gap lock on the (chat_id, seq) index. Two new chats often fall in the same gap; each holder then
/// waits for the other's gap to insert its first message, a deadlock. READ COMMITTED reads a fresh snapshot per
/// statement and locks no gaps; the chat's row lock alone orders its senders.
pub(super) async fn write_batch_sea(db: &DatabaseConnection, batch: &[Job]) -> Result<Vec<Stored>, DbErr> {
    let txn = db.begin_with_config(Some(sea_orm::IsolationLevel::ReadCommitted), None).await?;
    let stored = write_batch(&mut SeaStore(&txn), batch).await?;
    txn.commit().await?;
    Ok(stored)
}
