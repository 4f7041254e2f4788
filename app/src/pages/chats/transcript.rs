//! The conversation's "Email the transcript" card: an agent sends the chat (notes left out) to the visitor's address
//! or one they type; the outbox (/admin/email) shows what became of it. Beside it, the chat as a CSV download.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use protocol::TranscriptQueued;

use crate::components::form::{action_error, FieldError, FormStatus};
use crate::error::AppError;

#[leptos::server(prefix = "/sfn", endpoint = "email_transcript", input = Json)]
pub async fn email_transcript(chat_id: String, email: Option<String>) -> Result<TranscriptQueued, AppError> {
    use crate::server::{request::with_ctx, services::emails};
    with_ctx(|state, ctx| async move {
        let queued = emails::send_transcript(&ctx, &state, &chat_id, email.as_deref()).await?;
        Ok(TranscriptQueued { queued })
    })
    .await
}

/// `visitor_email`: the address on the visitor (the one used when the field is left empty).
#[component]
pub fn TranscriptCard(chat_id: String, #[prop(into)] visitor_email: Signal<Option<String>>) -> impl IntoView {
    let send = ServerAction::<EmailTranscript>::new();
    let csv_href = format!("/api/chats/{}/transcript.csv", crate::url::encode_query_value(&chat_id));
    let to = RwSignal::new(String::new());
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let email = Some(to.get_untracked().trim().to_string()).filter(|e| !e.is_empty());
        send.dispatch(EmailTranscript { chat_id: chat_id.clone(), email });
    };
    let sent = Signal::derive(move || send.value().get().is_some_and(|r| r.is_ok()));
    view! {
        <section class="card" id="transcript-card">
            <h2>"Email the transcript"</h2>
            <form class="form" id="transcript-form" on:submit=on_submit>
                <label for="transcript-to">"To"</label>
                <input id="transcript-to" type="email" maxlength="255" bind:value=to
                    placeholder=move || visitor_email.get().unwrap_or_else(|| "name@example.com".into())/>
                <p class="muted small">{move || match visitor_email.get() {
                    Some(_) => "Leave it empty to send it to the visitor.",
                    None => "The visitor left no address.",
                }}</p>
                <FieldError error=action_error(send) field="email"/>
                <button type="submit" class="button secondary small" id="send-transcript"
                    disabled=move || send.pending().get()>"Send transcript"</button>
                <FormStatus error=action_error(send) fields=&["email"] saved=sent ok="Queued: see Email for its delivery."/>
            </form>
            <p class="small"><a id="transcript-csv" download="" href=csv_href>"Download as CSV"</a>" (internal notes included)"</p>
        </section>
    }
}
