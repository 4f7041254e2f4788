//! /admin/email: whether this server sends email, and the outbox of the admin's websites (what went out, what is
//! waiting for a retry and why, what failed), with "Send again" on a failed email.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use protocol::{Email, EmailOverview, EmailStatus};

use super::PageHeader;
use crate::components::form::LoadError;
use crate::error::AppError;

#[leptos::server(prefix = "/sfn", endpoint = "list_emails", input = Json)]
pub async fn list_emails(failed_only: bool) -> Result<EmailOverview, AppError> {
    use crate::server::{request::with_ctx, services::emails};
    with_ctx(|state, ctx| async move { emails::overview(&ctx, &state, failed_only).await }).await
}

#[leptos::server(prefix = "/sfn", endpoint = "retry_email", input = Json)]
pub async fn retry_email(id: String) -> Result<Email, AppError> {
    use crate::server::{request::with_ctx, services::emails};
    with_ctx(|state, ctx| async move { emails::retry(&ctx, &state, &id).await }).await
}

fn status_class(status: EmailStatus) -> &'static str {
    match status {
        EmailStatus::Sent => "badge ok",
        EmailStatus::Failed => "badge danger",
        EmailStatus::Pending | EmailStatus::Sending => "badge off",
    }
}

#[component]
pub fn EmailPage() -> impl IntoView {
    let failed_only = RwSignal::new(false);
    let retry = ServerAction::<RetryEmail>::new();
    let overview = Resource::new(move || (failed_only.get(), retry.version().get()), |(f, _)| list_emails(f));
    view! {
        <PageHeader title="Email" lead="Offline messages, missed-chat alerts and transcripts this server sends, and what became of them."/>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || overview.get().map(|res| match res {
                Ok(o) => view! { <Outbox overview=o failed_only retry/> }.into_any(),
                Err(e) => view! { <LoadError error=e/> }.into_any(),
            })}
        </Transition>
    }
    .into_any()
}

#[component]
fn Outbox(overview: EmailOverview, failed_only: RwSignal<bool>, retry: ServerAction<RetryEmail>) -> impl IntoView {
    let setup = if overview.configured {
        view! {
            <p id="email-setup">"Sent from " <strong>{overview.sender.unwrap_or_default()}</strong>
                " through " <code>{overview.server.unwrap_or_default()}</code> "."</p>
        }
        .into_any()
    } else {
        view! {
            <p id="email-setup" class="notice">"Email is off: set " <code>"HELPDESK_SMTP_URL"</code> " and "
                <code>"HELPDESK_MAIL_FROM"</code> " and restart the server. Until then nothing is queued, and agents "
                "cannot email transcripts."</p>
        }
        .into_any()
    };
    let failed = overview.failed;
    let rows = overview.emails;
    let empty = rows.is_empty();
    view! {
        <section class="card">
            {setup}
            <p class="muted" id="email-failed-count">{match failed {
                0 => "No email has failed.".to_string(),
                1 => "1 email failed for good.".to_string(),
                n => format!("{n} emails failed for good."),
            }}</p>
            <label class="check">
                <input type="checkbox" id="email-failed-only" prop:checked=move || failed_only.get()
                    on:change:target=move |ev| failed_only.set(ev.target().checked())/>
                " Only failed emails"
            </label>
            {move || retry.value().get().and_then(Result::err).map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> })}
        </section>
        <section class="card">
            {if empty {
                view! { <p class="muted" id="email-empty">"No email yet."</p> }.into_any()
            } else {
                view! {
                    <table class="table" id="email-table">
                        <thead><tr><th>"Queued (UTC)"</th><th>"What"</th><th>"To"</th><th>"Subject"</th><th>"Status"</th><th>"Tries"</th><th></th></tr></thead>
                        <tbody>
                            {rows.into_iter().map(|e| view! { <EmailRow email=e retry/> }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
    .into_any()
}

#[component]
fn EmailRow(email: Email, retry: ServerAction<RetryEmail>) -> impl IntoView {
    let Email {
        id,
        kind,
        chat_id,
        recipient,
        subject,
        status,
        attempts,
        last_error,
        created_at,
        sent_at,
        next_attempt_at,
        ..
    } = email;
    let when = created_at.replace('T', " ").trim_end_matches('Z').to_string();
    let detail = match status {
        EmailStatus::Sent => sent_at.map(|t| format!("at {}", t.replace('T', " ").trim_end_matches('Z'))),
        EmailStatus::Pending => next_attempt_at
            .filter(|_| attempts > 0)
            .map(|t| format!("next try {}", t.replace('T', " ").trim_end_matches('Z'))),
        _ => None,
    };
    let can_retry = status == EmailStatus::Failed;
    view! {
        <tr data-email=id.clone()>
            <td class="nowrap">{when}</td>
            <td>{kind.label()}{chat_id.map(|c| view! { " " <a href=format!("/admin/chats/{c}")>"chat"</a> })}</td>
            <td>{recipient}</td>
            <td>{subject}</td>
            <td>
                <span class=status_class(status)>{status.label()}</span>
                {detail.map(|d| view! { " " <span class="muted">{d}</span> })}
                {last_error.map(|e| view! { <div class="muted small email-error">{e}</div> })}
            </td>
            <td>{attempts}</td>
            <td>{can_retry.then(|| {
                let id = id.clone();
                view! {
                    <button type="button" class="button secondary small retry-email"
                        disabled=move || retry.pending().get()
                        on:click=move |_| { retry.dispatch(RetryEmail { id: id.clone() }); }>"Send again"</button>
                }
            })}</td>
        </tr>
    }
}
