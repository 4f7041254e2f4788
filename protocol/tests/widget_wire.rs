//! The widget speaks the protocol through its own constants (`widget-wasm/src/wire.rs`, kept free of dependencies
//! so its bundle stays small). This test includes that file and checks every constant against what this crate
//! serialises: renaming an event or a field here without the widget fails here.

#[path = "../../widget-wasm/src/wire.rs"]
mod wire;

use protocol::*;
use serde_json::{json, Value};

fn to_json<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).expect("serialise")
}

fn keys(value: &Value) -> Vec<String> {
    value.as_object().expect("an object").keys().cloned().collect()
}

#[test]
fn what_the_widget_sends_is_what_the_server_reads() {
    let sent = [
        (
            json!({ wire::TYPE: wire::CHAT_MESSAGE, wire::CHAT_ID: "c", wire::CLIENT_MSG_ID: "m", wire::CONTENT: "hi" }),
            ClientEvent::ChatMessage {
                chat_id: Some("c".into()),
                client_msg_id: Some("m".into()),
                content: "hi".into(),
                note: false,
            },
        ),
        (
            json!({ wire::TYPE: wire::TYPING_START, wire::CHAT_ID: "c", wire::TEXT: "Hel" }),
            ClientEvent::TypingStart { chat_id: Some("c".into()), text: Some("Hel".into()) },
        ),
        (
            json!({ wire::TYPE: wire::READ, wire::CHAT_ID: "c", wire::SEQ: 4 }),
            ClientEvent::Read { chat_id: "c".into(), seq: 4 },
        ),
        (
            json!({ wire::TYPE: wire::TYPING_STOP, wire::CHAT_ID: "c" }),
            ClientEvent::TypingStop { chat_id: Some("c".into()) },
        ),
        (
            json!({ wire::TYPE: wire::RESUME, wire::CHATS: { "c": 3 } }),
            ClientEvent::Resume { chats: [("c".to_string(), 3)].into_iter().collect() },
        ),
        (
            json!({ wire::TYPE: wire::PAGE_VIEW, wire::URL: "https://a.test/", wire::TITLE: "A" }),
            ClientEvent::PageView { url: "https://a.test/".into(), title: Some("A".into()) },
        ),
    ];
    for (frame, event) in sent {
        let read: ClientEvent = serde_json::from_value(frame.clone()).expect("the server reads the widget's frame");
        assert_eq!(read, event, "{frame}");
    }
    let offline = to_json(&OfflineMessage {
        visitor_token: Some("t".into()),
        identity_token: Some("jwt".into()),
        name: "Ana".into(),
        email: "ana@example.com".into(),
        message: "Hi".into(),
    });
    let mut expected = vec![wire::VISITOR_TOKEN, wire::IDENTITY_TOKEN, wire::NAME, wire::EMAIL, wire::MESSAGE];
    expected.sort();
    let mut got = keys(&offline);
    got.sort();
    assert_eq!(got, expected);
}

#[test]
fn what_the_server_sends_is_what_the_widget_reads() {
    let message = ChatMessage {
        id: "m".into(),
        chat_id: "c".into(),
        seq: 2,
        sender_type: SenderType::Admin,
        sender_id: None,
        content: "hello".into(),
        kind: MessageKind::Image,
        client_msg_id: Some("x".into()),
        created_at: "2026-01-01T00:00:00.000Z".into(),
        attachment: Some(Attachment {
            id: "a".into(),
            name: "cat.png".into(),
            mime: "image/png".into(),
            size: 3,
            width: Some(4),
            height: Some(5),
            thumbnail: true,
        }),
    };
    let chat =
        VisitorChat { id: "c".into(), status: ChatStatus::Closed, last_seq: 2, started_at: "s".into(), ended_at: None };
    let events: Vec<(&str, ServerEvent)> = vec![
        (
            wire::HELLO,
            ServerEvent::Hello {
                v: 1,
                role: "visitor".into(),
                user_id: None,
                visitor_id: Some("v".into()),
                chats: vec![chat.clone()],
            },
        ),
        (
            wire::ACK,
            ServerEvent::Ack { client_msg_id: Some("x".into()), chat_id: "c".into(), seq: 2, message_id: "m".into() },
        ),
        (wire::NEW_MESSAGE, ServerEvent::NewMessage { chat_id: "c".into(), message: message.clone() }),
        (
            wire::USER_TYPING,
            ServerEvent::UserTyping { chat_id: "c".into(), sender_type: SenderType::Admin, preview: None },
        ),
        (wire::READ, ServerEvent::Read { chat_id: "c".into(), seq: 1, sender_type: SenderType::Admin }),
        (
            wire::USER_STOPPED_TYPING,
            ServerEvent::UserStoppedTyping { chat_id: "c".into(), sender_type: SenderType::Admin },
        ),
        (wire::CHAT_CREATED, ServerEvent::ChatCreated { chat: ChatView::Visitor(chat.clone()) }),
        (wire::CHAT_UPDATED, ServerEvent::ChatUpdated { chat: ChatView::Visitor(chat.clone()) }),
        (wire::QUEUE, ServerEvent::Queue { chat_id: "c".into(), position: 3 }),
        (
            wire::ERROR,
            ServerEvent::Error {
                code: "rate_limited".into(),
                message: "slow".into(),
                retry_after: Some(2),
                client_msg_id: Some("x".into()),
            },
        ),
    ];
    for (name, event) in events {
        let v = to_json(&event);
        assert_eq!(v[wire::TYPE], name, "{v}");
        match event {
            ServerEvent::Hello { .. } => {
                assert_eq!(v[wire::CHATS][0][wire::ID], "c");
                assert_eq!(v[wire::CHATS][0][wire::STATUS], wire::STATUS_CLOSED);
            }
            ServerEvent::Ack { .. } => {
                assert_eq!(
                    (&v[wire::CLIENT_MSG_ID], &v[wire::CHAT_ID], &v[wire::SEQ]),
                    (&json!("x"), &json!("c"), &json!(2))
                );
            }
            ServerEvent::NewMessage { .. } => {
                let m = &v[wire::MESSAGE];
                assert_eq!(
                    (&m[wire::CHAT_ID], &m[wire::SEQ], &m[wire::SENDER_TYPE]),
                    (&json!("c"), &json!(2), &json!(wire::SENDER_ADMIN))
                );
                assert_eq!((&m[wire::CLIENT_MSG_ID], &m[wire::CONTENT]), (&json!("x"), &json!("hello")));
                let a = &m[wire::ATTACHMENT];
                assert_eq!(
                    (&a[wire::ID], &a[wire::NAME], &a[wire::THUMBNAIL]),
                    (&json!("a"), &json!("cat.png"), &json!(true))
                );
                assert_eq!((&a[wire::WIDTH], &a[wire::HEIGHT]), (&json!(4), &json!(5)));
            }
            ServerEvent::UserTyping { .. } | ServerEvent::UserStoppedTyping { .. } => {
                assert_eq!(v[wire::SENDER_TYPE], wire::SENDER_ADMIN);
            }
            ServerEvent::ChatCreated { .. } | ServerEvent::ChatUpdated { .. } => {
                assert_eq!(
                    (&v[wire::CHAT][wire::ID], &v[wire::CHAT][wire::STATUS]),
                    (&json!("c"), &json!(wire::STATUS_CLOSED))
                );
            }
            ServerEvent::Error { .. } => {
                assert_eq!((&v[wire::MESSAGE], &v[wire::RETRY_AFTER]), (&json!("slow"), &json!(2)));
            }
            ServerEvent::Queue { .. } => {
                assert_eq!((&v[wire::CHAT_ID], &v[wire::POSITION]), (&json!("c"), &json!(3)));
            }
            ServerEvent::Read { .. } => {
                assert_eq!(
                    (&v[wire::CHAT_ID], &v[wire::SEQ], &v[wire::SENDER_TYPE]),
                    (&json!("c"), &json!(1), &json!(wire::SENDER_ADMIN))
                );
            }
            _ => unreachable!(),
        }
    }
    let statuses = [
        (ChatStatus::Waiting, wire::STATUS_WAITING),
        (ChatStatus::Ongoing, wire::STATUS_ONGOING),
        (ChatStatus::Offline, wire::STATUS_OFFLINE),
        (ChatStatus::Closed, wire::STATUS_CLOSED),
        (ChatStatus::Resolved, wire::STATUS_RESOLVED),
    ];
    for (status, name) in statuses {
        assert_eq!(status.as_str(), name);
    }
    assert_eq!((SenderType::Visitor.as_str(), SenderType::Admin.as_str()), (wire::SENDER_VISITOR, wire::SENDER_ADMIN));
    assert_eq!(SenderType::System.as_str(), wire::SENDER_SYSTEM);
    let body = to_json(&AppError::validation("email", "bad").body());
    assert_eq!(body[wire::FIELD], "email");
    assert_eq!((SUBPROTOCOL, VISITOR_TOKEN_PROTOCOL), (wire::SUBPROTOCOL, wire::VISITOR_TOKEN_PROTOCOL));
    assert_eq!(CLOSE_WEBSITE_GONE, wire::CLOSE_WEBSITE_GONE);
}
