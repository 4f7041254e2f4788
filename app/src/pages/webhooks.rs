//! Webhooks: the website page's card where those who manage a website subscribe URLs to its events (with the
//! signing secret, a test POST, pause, a new secret), and /admin/webhooks, the delivery log of the admin's websites
//! (what was POSTed, what the receiver answered, what failed and why) with "Send again".

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use protocol::{
    EmailStatus, Webhook, WebhookDeliveries, WebhookDelivery, WebhookEvent, WebhookForCreate, WebhookForUpdate,
};

use super::PageHeader;
use crate::components::form::{action_error, action_ok, FieldError, FormStatus, LoadError};
use crate::error::AppError;
use crate::shared::confirm;

#[leptos::server(prefix = "/sfn", endpoint = "list_webhooks", input = Json)]
pub async fn list_webhooks(website_id: String) -> Result<Vec<Webhook>, AppError> {
    use crate::server::{request::with_ctx, services::webhooks};
    with_ctx(|state, ctx| async move { webhooks::list(&ctx, &state, &website_id).await }).await
}

#[leptos::server(prefix = "/sfn", endpoint = "create_webhook", input = Json)]
pub async fn create_webhook(website_id: String, input: WebhookForCreate) -> Result<Webhook, AppError> {
    use crate::server::{request::with_ctx, services::webhooks};
    with_ctx(|state, ctx| async move { webhooks::create(&ctx, &state, &website_id, input).await }).await
}

#[leptos::server(prefix = "/sfn", endpoint = "update_webhook", input = Json)]
pub async fn update_webhook(id: String, input: WebhookForUpdate) -> Result<Webhook, AppError> {
    use crate::server::{request::with_ctx, services::webhooks};
    with_ctx(|state, ctx| async move { webhooks::update(&ctx, &state, &id, input).await }).await
}

#[leptos::server(prefix = "/sfn", endpoint = "delete_webhook", input = Json)]
pub async fn delete_webhook(id: String) -> Result<(), AppError> {
    use crate::server::{request::with_ctx, services::webhooks};
    with_ctx(|state, ctx| async move { webhooks::delete(&ctx, &state, &id).await }).await
}

#[leptos::server(prefix = "/sfn", endpoint = "rotate_webhook_secret", input = Json)]
pub async fn rotate_webhook_secret(id: String) -> Result<Webhook, AppError> {
    use crate::server::{request::with_ctx, services::webhooks};
    with_ctx(|state, ctx| async move { webhooks::rotate_secret(&ctx, &state, &id).await }).await
}

#[leptos::server(prefix = "/sfn", endpoint = "ping_webhook", input = Json)]
pub async fn ping_webhook(id: String) -> Result<WebhookDelivery, AppError> {
    use crate::server::{request::with_ctx, services::webhooks};
    with_ctx(|state, ctx| async move { webhooks::ping(&ctx, &state, &id).await }).await
}

#[leptos::server(prefix = "/sfn", endpoint = "list_webhook_deliveries", input = Json)]
pub async fn list_webhook_deliveries(failed_only: bool) -> Result<WebhookDeliveries, AppError> {
    use crate::server::{request::with_ctx, services::webhooks};
    with_ctx(|state, ctx| async move { webhooks::deliveries(&ctx, &state, None, failed_only).await }).await
}

#[leptos::server(prefix = "/sfn", endpoint = "retry_webhook_delivery", input = Json)]
pub async fn retry_webhook_delivery(id: String) -> Result<WebhookDelivery, AppError> {
    use crate::server::{request::with_ctx, services::webhooks};
    with_ctx(|state, ctx| async move { webhooks::retry(&ctx, &state, &id).await }).await
}

/// The website page's webhooks card (shown to those who manage the website).
#[component]
pub fn WebhooksCard(website_id: String) -> impl IntoView {
    let create = ServerAction::<CreateWebhook>::new();
    let update = ServerAction::<UpdateWebhook>::new();
    let delete = ServerAction::<DeleteWebhook>::new();
    let rotate = ServerAction::<RotateWebhookSecret>::new();
    let ping = ServerAction::<PingWebhook>::new();
    let website = StoredValue::new(website_id);
    let hooks = Resource::new(
        move || (create.version().get(), update.version().get(), delete.version().get(), rotate.version().get()),
        move |_| list_webhooks(website.get_value()),
    );
    let url = RwSignal::new(String::new());
    let chosen = RwSignal::new(vec![WebhookEvent::ChatCreated, WebhookEvent::MessageCreated]);
    let error = action_error(create);
    let on_create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        create.dispatch(CreateWebhook {
            website_id: website.get_value(),
            input: WebhookForCreate { url: url.get_untracked(), events: chosen.get_untracked() },
        });
    };
    Effect::new(move |_| {
        if let Some(Ok(_)) = create.value().get() {
            url.set(String::new());
        }
    });
    let actions = RowActions { update, delete, rotate, ping };
    view! {
        <section class="card" id="webhooks-card">
            <h2>"Webhooks"</h2>
            <p class="hint">
                "Helpdesk POSTs each chosen event as JSON to your URL, signed: "
                <code>"X-Helpdesk-Signature: t=…,v1=…"</code>
                " is the HMAC-SHA256 of the timestamp, a dot and the body, keyed with the webhook's secret. "
                "Failed POSTs are retried for about an hour; "
                <a href="/admin/webhooks">"the delivery log"</a>" shows each one."
            </p>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || hooks.get().map(|res| match res {
                    Ok(list) if list.is_empty() => view! { <p class="muted" id="webhooks-empty">"No webhooks yet."</p> }.into_any(),
                    Ok(list) => view! {
                        <ul class="webhook-list" id="webhook-list">
                            {list.into_iter().map(|h| view! { <WebhookRow hook=h actions/> }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(e) => view! { <p class="form-error">{e.to_string()}</p> }.into_any(),
                })}
            </Transition>
            <FormStatus error=action_error(update) fields=&["url"] saved=action_ok(update)/>
            <FormStatus error=action_error(delete) fields=&[] saved=action_ok(delete) ok="Deleted."/>
            <FormStatus error=action_error(rotate) fields=&[] saved=action_ok(rotate) ok="A new secret signs from now on."/>
            <FormStatus error=action_error(ping) fields=&[] saved=action_ok(ping) ok="Test queued: see the delivery log."/>
            <form class="form grid-form" id="webhook-form" on:submit=on_create>
                <label for="webhook-url">"URL"</label>
                <input id="webhook-url" type="url" bind:value=url maxlength=protocol::MAX_WEBHOOK_URL_LEN.to_string()
                    placeholder="https://example.com/helpdesk-events" required/>
                <FieldError error field="url"/>
                <fieldset class="checks" id="webhook-events">
                    <legend>"Events"</legend>
                    {WebhookEvent::SUBSCRIBABLE.iter().map(|&event| view! {
                        <label class="check">
                            <input type="checkbox" name="webhook-event" value=event.as_str()
                                prop:checked=move || chosen.get().contains(&event)
                                on:change:target=move |ev| {
                                    let on = ev.target().checked();
                                    chosen.update(|c| {
                                        c.retain(|e| *e != event);
                                        if on { c.push(event); }
                                    });
                                }/>
                            " " {event.label()} " " <code class="muted">{event.as_str()}</code>
                        </label>
                    }).collect_view()}
                </fieldset>
                <FieldError error field="events"/>
                <FormStatus error fields=&["url", "events"] saved=action_ok(create) ok="Added: give its secret to your receiver."/>
                <div><button type="submit" class="button primary" id="add-webhook"
                    disabled=move || create.pending().get()>"Add webhook"</button></div>
            </form>
        </section>
    }
}

/// What a webhook's row can do.
#[derive(Clone, Copy)]
struct RowActions {
    update: ServerAction<UpdateWebhook>,
    delete: ServerAction<DeleteWebhook>,
    rotate: ServerAction<RotateWebhookSecret>,
    ping: ServerAction<PingWebhook>,
}

#[component]
fn WebhookRow(hook: Webhook, actions: RowActions) -> impl IntoView {
    let RowActions { update, delete, rotate, ping } = actions;
    let id = StoredValue::new(hook.id.clone());
    let shown = RwSignal::new(false);
    let active = hook.is_active;
    let secret = StoredValue::new(hook.secret.clone());
    let events = hook.events.iter().map(|e| e.as_str()).collect::<Vec<_>>().join(", ");
    let on_rotate = move |_| {
        if confirm("Make a new secret? The current one stops signing at once: update your receiver.") {
            rotate.dispatch(RotateWebhookSecret { id: id.get_value() });
        }
    };
    let on_delete = move |_| {
        if confirm("Delete this webhook and its delivery log?") {
            delete.dispatch(DeleteWebhook { id: id.get_value() });
        }
    };
    view! {
        <li class="webhook" data-webhook=hook.id.clone()>
            <div class="row">
                <code class="webhook-url">{hook.url.clone()}</code>
                {if active {
                    view! { <span class="badge ok">"Active"</span> }.into_any()
                } else {
                    view! { <span class="badge off">"Paused"</span> }.into_any()
                }}
            </div>
            <div class="muted small webhook-events">{events}</div>
            <div class="row small">
                "Secret: "
                <code class="webhook-secret">{move || if shown.get() { secret.get_value() } else { "whsec_••••••••".into() }}</code>
                <button type="button" class="button secondary small show-secret" aria-pressed=move || shown.get().to_string()
                    on:click=move |_| shown.update(|s| *s = !*s)>{move || if shown.get() { "Hide" } else { "Show" }}</button>
            </div>
            <div class="row">
                <button type="button" class="button secondary small ping-webhook"
                    on:click=move |_| { ping.dispatch(PingWebhook { id: id.get_value() }); }>"Send a test"</button>
                <button type="button" class="button secondary small toggle-webhook"
                    on:click=move |_| {
                        update.dispatch(UpdateWebhook {
                            id: id.get_value(),
                            input: WebhookForUpdate { is_active: Some(!active), ..Default::default() },
                        });
                    }>{if active { "Pause" } else { "Resume" }}</button>
                <button type="button" class="button secondary small rotate-webhook" on:click=on_rotate>"New secret"</button>
                <button type="button" class="button danger small delete-webhook" on:click=on_delete>"Delete"</button>
            </div>
        </li>
    }
}

fn status_class(status: EmailStatus) -> &'static str {
    match status {
        EmailStatus::Sent => "badge ok",
        EmailStatus::Failed => "badge danger",
        EmailStatus::Pending | EmailStatus::Sending => "badge off",
    }
}

fn shown_time(t: &str) -> String {
    t.replace('T', " ").trim_end_matches('Z').to_string()
}

/// /admin/webhooks: the delivery log.
#[component]
pub fn WebhooksPage() -> impl IntoView {
    let failed_only = RwSignal::new(false);
    let retry = ServerAction::<RetryWebhookDelivery>::new();
    let log = Resource::new(move || (failed_only.get(), retry.version().get()), |(f, _)| list_webhook_deliveries(f));
    view! {
        <PageHeader title="Webhooks" lead="What your websites' webhooks were sent, what the receivers answered, and what failed. Add webhooks on each website's page."/>
        <section class="card">
            <label class="check">
                <input type="checkbox" id="deliveries-failed-only" prop:checked=move || failed_only.get()
                    on:change:target=move |ev| failed_only.set(ev.target().checked())/>
                " Only failed deliveries"
            </label>
            {move || retry.value().get().and_then(Result::err).map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> })}
        </section>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || log.get().map(|res| match res {
                Ok(log) => view! { <DeliveryLog log retry/> }.into_any(),
                Err(e) => view! { <LoadError error=e/> }.into_any(),
            })}
        </Transition>
    }
    .into_any()
}

#[component]
fn DeliveryLog(log: WebhookDeliveries, retry: ServerAction<RetryWebhookDelivery>) -> impl IntoView {
    let failed = match log.failed {
        0 => "No delivery has failed.".to_string(),
        1 => "1 delivery failed for good.".to_string(),
        n => format!("{n} deliveries failed for good."),
    };
    let empty = log.deliveries.is_empty();
    view! {
        <section class="card">
            <p class="muted" id="deliveries-failed-count">{failed}</p>
            {if empty {
                view! { <p class="muted" id="deliveries-empty">"Nothing sent yet."</p> }.into_any()
            } else {
                view! {
                    <table class="table" id="deliveries-table">
                        <thead><tr><th>"Queued (UTC)"</th><th>"Event"</th><th>"To"</th><th>"Status"</th><th>"Tries"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                        <tbody>
                            {log.deliveries.into_iter().map(|d| view! { <DeliveryRow delivery=d retry/> }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn DeliveryRow(delivery: WebhookDelivery, retry: ServerAction<RetryWebhookDelivery>) -> impl IntoView {
    let WebhookDelivery {
        id,
        url,
        event,
        status,
        attempts,
        response_status,
        last_error,
        created_at,
        delivered_at,
        next_attempt_at,
        ..
    } = delivery;
    let detail = match status {
        EmailStatus::Sent => {
            let code = response_status.map(|c| format!("{c} ")).unwrap_or_default();
            delivered_at.map(|t| format!("{code}at {}", shown_time(&t)))
        }
        EmailStatus::Pending => {
            next_attempt_at.filter(|_| attempts > 0).map(|t| format!("next try {}", shown_time(&t)))
        }
        _ => None,
    };
    let can_retry = matches!(status, EmailStatus::Failed | EmailStatus::Sent);
    view! {
        <tr data-delivery=id.clone()>
            <td class="nowrap">{shown_time(&created_at)}</td>
            <td><code>{event.as_str()}</code></td>
            <td class="break">{url}</td>
            <td>
                <span class=status_class(status)>{status.label()}</span>
                {detail.map(|d| view! { " " <span class="muted">{d}</span> })}
                {last_error.map(|e| view! { <div class="muted small delivery-error">{e}</div> })}
            </td>
            <td>{attempts}</td>
            <td class="nowrap">{can_retry.then(|| {
                let id = id.clone();
                view! {
                    <button type="button" class="button secondary small retry-delivery"
                        disabled=move || retry.pending().get()
                        on:click=move |_| { retry.dispatch(RetryWebhookDelivery { id: id.clone() }); }>"Send again"</button>
                }
            })}</td>
        </tr>
    }
}
