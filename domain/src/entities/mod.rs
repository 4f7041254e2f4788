//! SeaORM entities, one module per table, kept plain (as generated); model logic lives in `services`.

pub mod activity_logs;
pub mod agent_settings;
pub mod analytics_days;
pub mod attachments;
pub mod canned_responses;
pub mod chat_labels;
pub mod chat_ratings;
pub mod chat_reads;
pub mod chats;
pub mod emails;
pub mod labels;
pub mod message_counts;
pub mod messages;
pub mod revoked_tokens;
pub mod roles;
pub mod users;
pub mod visitor_activity;
pub mod visitor_pages;
pub mod visitors;
pub mod webhook_deliveries;
pub mod webhooks;
pub mod website_members;
pub mod websites;
pub mod widget_settings;
