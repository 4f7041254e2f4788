//! The protocol's names as the widget sends and reads them: plain constants with no dependency, so that the
//! `protocol` crate's test (`protocol/tests/widget_wire.rs`) includes this file and checks each against what
//! `protocol` serialises. The widget and the server cannot drift apart without that test failing.

// What the widget sends.
pub const CHAT_MESSAGE: &str = "chat-message";
pub const TYPING_START: &str = "typing-start";
pub const TYPING_STOP: &str = "typing-stop";
pub const RESUME: &str = "resume";
pub const PAGE_VIEW: &str = "page-view";
/// Both ways: the visitor has seen the chat up to `seq`; an agent has read it up to `seq`.
pub const READ: &str = "read";

// What the widget reads.
pub const HELLO: &str = "hello";
pub const ACK: &str = "ack";
pub const NEW_MESSAGE: &str = "new-message";
pub const USER_TYPING: &str = "user-typing";
pub const USER_STOPPED_TYPING: &str = "user-stopped-typing";
pub const CHAT_CREATED: &str = "chat-created";
pub const CHAT_UPDATED: &str = "chat-updated";
pub const ERROR: &str = "error";
pub const QUEUE: &str = "queue";

// Fields.
pub const TYPE: &str = "type";
pub const CHAT_ID: &str = "chatId";
pub const CLIENT_MSG_ID: &str = "clientMsgId";
pub const CONTENT: &str = "content";
pub const CHATS: &str = "chats";
pub const CHAT: &str = "chat";
pub const URL: &str = "url";
pub const TITLE: &str = "title";
pub const SEQ: &str = "seq";
pub const MESSAGE: &str = "message";
pub const SENDER_TYPE: &str = "senderType";
pub const ID: &str = "id";
pub const STATUS: &str = "status";
pub const RETRY_AFTER: &str = "retryAfter";
pub const POSITION: &str = "position";
pub const ATTACHMENT: &str = "attachment";
pub const NAME: &str = "name";
pub const THUMBNAIL: &str = "thumbnail";
pub const WIDTH: &str = "width";
pub const HEIGHT: &str = "height";
pub const TEXT: &str = "text";

// The widget's HTTP calls: the session and the offline form, and errors' form field. The forms module
// (`widget-wasm/forms.js`) writes `email` and reads `field` itself; they stay here so protocol's `widget_wire` test
// keeps checking them against the server.
pub const VISITOR_TOKEN: &str = "visitorToken";
pub const IDENTITY_TOKEN: &str = "identityToken";
#[allow(dead_code)]
pub const EMAIL: &str = "email";
#[allow(dead_code)]
pub const FIELD: &str = "field";

// Values.
pub const SENDER_ADMIN: &str = "admin";
pub const SENDER_VISITOR: &str = "visitor";
pub const SENDER_SYSTEM: &str = "system";
pub const STATUS_WAITING: &str = "waiting";
pub const STATUS_ONGOING: &str = "ongoing";
pub const STATUS_OFFLINE: &str = "offline";
pub const STATUS_CLOSED: &str = "closed";
pub const STATUS_RESOLVED: &str = "resolved";

/// The subprotocol the server picks, and the prefix of the visitor token offered beside it.
pub const SUBPROTOCOL: &str = "helpdesk.v1";
pub const VISITOR_TOKEN_PROTOCOL: &str = "helpdesk.visitor-token.";
/// The close code of a socket whose website's key or state changed.
pub const CLOSE_WEBSITE_GONE: u16 = 4003;
