//! Labels: the website page's card where those who manage a website define its labels, the chips that show them,
//! and the server functions the inbox and the conversation use to read them and put them on chats.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use protocol::{ChatLabelsUpdate, ChatSummary, Label, LabelForCreate, LabelForUpdate};

use crate::components::form::{action_error, action_ok, FieldError, FormStatus};
use crate::error::AppError;

#[leptos::server(prefix = "/sfn", endpoint = "list_labels", input = Json)]
pub async fn list_labels(website_id: Option<String>) -> Result<Vec<Label>, AppError> {
    use crate::server::{request::with_ctx, services::labels};
    with_ctx(|state, ctx| async move { labels::list(&ctx, &state, website_id.as_deref()).await }).await
}

#[leptos::server(prefix = "/sfn", endpoint = "create_label", input = Json)]
pub async fn create_label(input: LabelForCreate) -> Result<Label, AppError> {
    use crate::server::{request::with_ctx, services::labels};
    with_ctx(|state, ctx| async move { labels::create(&ctx, &state, input).await }).await
}

#[leptos::server(prefix = "/sfn", endpoint = "update_label", input = Json)]
pub async fn update_label(id: String, input: LabelForUpdate) -> Result<Label, AppError> {
    use crate::server::{request::with_ctx, services::labels};
    with_ctx(|state, ctx| async move { labels::update(&ctx, &state, &id, input).await }).await
}

#[leptos::server(prefix = "/sfn", endpoint = "delete_label", input = Json)]
pub async fn delete_label(id: String) -> Result<(), AppError> {
    use crate::server::{request::with_ctx, services::labels};
    with_ctx(|state, ctx| async move { labels::delete(&ctx, &state, &id).await }).await
}

#[leptos::server(prefix = "/sfn", endpoint = "set_chat_labels", input = Json)]
pub async fn set_chat_labels(chat_id: String, change: ChatLabelsUpdate) -> Result<ChatSummary, AppError> {
    use crate::server::{request::with_ctx, services::labels};
    with_ctx(|state, ctx| async move { labels::set_on_chat(&ctx, &state, &chat_id, change).await }).await
}

/// A label as a coloured chip.
#[component]
pub fn LabelChip(label: Label) -> impl IntoView {
    view! {
        <span class="label-chip" data-label=label.id.clone()>
            <span class="label-dot" style=format!("background:{}", label.color) aria-hidden="true"></span>
            {label.name.clone()}
        </span>
    }
}

/// The website page's labels card: the list, and for those who manage the website, add, rename, recolour, delete.
#[component]
pub fn LabelsCard(website_id: String, can_manage: bool) -> impl IntoView {
    let create = ServerAction::<CreateLabel>::new();
    let update = ServerAction::<UpdateLabel>::new();
    let delete = ServerAction::<DeleteLabel>::new();
    let website = StoredValue::new(website_id);
    let labels = Resource::new(
        move || (create.version().get(), update.version().get(), delete.version().get()),
        move |_| list_labels(Some(website.get_value())),
    );
    let name = RwSignal::new(String::new());
    let color = RwSignal::new("#2563eb".to_string());
    let error = action_error(create);
    let on_create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        create.dispatch(CreateLabel {
            input: LabelForCreate {
                website_id: website.get_value(),
                name: name.get_untracked(),
                color: color.get_untracked(),
            },
        });
    };
    Effect::new(move |_| {
        if let Some(Ok(_)) = create.value().get() {
            name.set(String::new());
        }
    });
    view! {
        <section class="card" id="labels-card">
            <h2>"Labels"</h2>
            <p class="hint">"Agents put labels on chats and filter the inbox by them."</p>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || labels.get().map(|res| match res {
                    Ok(list) if list.is_empty() => view! { <p class="muted">"No labels yet."</p> }.into_any(),
                    Ok(list) => view! {
                        <ul class="label-list" id="label-list">
                            {list.into_iter().map(|l| view! { <LabelRow label=l can_manage update delete/> }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(e) => view! { <p class="form-error">{e.to_string()}</p> }.into_any(),
                })}
            </Transition>
            <FormStatus error=action_error(update) fields=&[] saved=action_ok(update)/>
            <FormStatus error=action_error(delete) fields=&[] saved=action_ok(delete) ok="Deleted."/>
            {can_manage.then(|| view! {
                <form class="row" id="create-label" on:submit=on_create>
                    <input id="label-name" aria-label="Label name" placeholder="VIP" bind:value=name maxlength="50" required/>
                    <input type="color" id="label-color" aria-label="Label colour" prop:value=move || color.get()
                        on:input:target=move |ev| color.set(ev.target().value())/>
                    <button type="submit" class="button secondary" id="add-label">"Add label"</button>
                </form>
                <FieldError error field="name"/>
                <FieldError error field="color"/>
            })}
        </section>
    }
}

#[component]
fn LabelRow(
    label: Label,
    can_manage: bool,
    update: ServerAction<UpdateLabel>,
    delete: ServerAction<DeleteLabel>,
) -> impl IntoView {
    let id = StoredValue::new(label.id.clone());
    let name = RwSignal::new(label.name.clone());
    let color = RwSignal::new(label.color.clone());
    let save = move |_| {
        update.dispatch(UpdateLabel {
            id: id.get_value(),
            input: LabelForUpdate { name: Some(name.get_untracked()), color: Some(color.get_untracked()) },
        });
    };
    let label_for_chip = label.clone();
    view! {
        <li class="row" data-label=label.id.clone()>
            {if can_manage {
                view! {
                    <input type="color" aria-label="Colour" prop:value=move || color.get()
                        on:input:target=move |ev| color.set(ev.target().value())/>
                    <input class="label-rename" aria-label="Name" bind:value=name maxlength="50"/>
                    <button type="button" class="button secondary small save-label" on:click=save>"Save"</button>
                    <button type="button" class="button danger small delete-label"
                        on:click=move |_| { delete.dispatch(DeleteLabel { id: id.get_value() }); }>"Delete"</button>
                }.into_any()
            } else {
                view! { <LabelChip label=label_for_chip/> }.into_any()
            }}
        </li>
    }
}
