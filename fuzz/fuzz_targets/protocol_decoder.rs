//! Any bytes a socket may send: decoding never panics, and whatever decodes as an event serialises back to an event
//! that decodes to the same thing (what the server reads is what a client meant).
#![no_main]

use libfuzzer_sys::fuzz_target;
use protocol::{ClientEvent, ServerEvent};

fuzz_target!(|data: &[u8]| {
    if let Ok(event) = serde_json::from_slice::<ClientEvent>(data) {
        let text = serde_json::to_string(&event).expect("a decoded event serialises");
        let again: ClientEvent = serde_json::from_str(&text).expect("and decodes again");
        assert_eq!(event, again);
    }
    // The dashboard decodes what the server sends with the same crate.
    if let Ok(event) = serde_json::from_slice::<ServerEvent>(data) {
        let text = serde_json::to_string(&event).expect("a decoded event serialises");
        let again: ServerEvent = serde_json::from_str(&text).expect("and decodes again");
        assert_eq!(event, again);
    }
});
