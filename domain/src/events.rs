//! Realtime events: the one way the domain tells sockets something. Every publication names its audience and
//! carries a `ServerEvent`, serialised once (`hub::frame`). A change of a chat goes to the website's agents whole
//! and to the chat's visitor in their view of it ([`chat_changed`]).

use protocol::{ChatSummary, ChatView, ServerEvent};

use crate::hub::{frame, Hub, Topic};

/// Who hears an event.
#[derive(Clone, Copy, Debug)]
pub enum Audience<'a> {
    /// The agents following a website.
    Agents { website_id: &'a str },
    /// One visitor's sockets.
    Visitor { visitor_id: &'a str },
    /// Both sides of a chat, alike (a message, typing).
    Chat { website_id: &'a str, visitor_id: &'a str },
}

/// Sends `event` to `to`, except the socket `skip` (the sender of a typing event).
pub fn publish(hub: &Hub, to: Audience<'_>, event: &ServerEvent, skip: Option<u64>) {
    let frame = frame(event);
    match to {
        Audience::Agents { website_id } => {
            hub.publish(&Topic::Website(website_id.to_string()), frame, skip);
        }
        Audience::Visitor { visitor_id } => {
            hub.publish(&Topic::Visitor(visitor_id.to_string()), frame, skip);
        }
        Audience::Chat { website_id, visitor_id } => {
            hub.publish(&Topic::Website(website_id.to_string()), frame.clone(), skip);
            hub.publish(&Topic::Visitor(visitor_id.to_string()), frame, skip);
        }
    }
}

/// A chat was created (`created`) or changed: its website's agents get the whole summary, its visitor only their
/// view ([`ChatSummary::for_visitor`]: no assignee, no resolution note).
/// A change only agents keep (labels): the visitor is not told anything happened.
pub fn chat_changed_for_agents(hub: &Hub, summary: &ChatSummary) {
    let event = ServerEvent::ChatUpdated { chat: ChatView::Agent(Box::new(summary.clone())) };
    publish(hub, Audience::Agents { website_id: &summary.website_id }, &event, None);
}

pub fn chat_changed(hub: &Hub, summary: &ChatSummary, created: bool) {
    let (agents, visitor) = (ChatView::Agent(Box::new(summary.clone())), ChatView::Visitor(summary.for_visitor()));
    let (agents, visitor) = if created {
        (ServerEvent::ChatCreated { chat: agents }, ServerEvent::ChatCreated { chat: visitor })
    } else {
        (ServerEvent::ChatUpdated { chat: agents }, ServerEvent::ChatUpdated { chat: visitor })
    };
    publish(hub, Audience::Agents { website_id: &summary.website_id }, &agents, None);
    publish(hub, Audience::Visitor { visitor_id: &summary.visitor_id }, &visitor, None);
}
