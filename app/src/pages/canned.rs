//! /admin/canned: canned responses — the website's shared ones (kept by whoever manages the website) and one's
//! own personal ones, each with a shortcut agents type after `/` in the composer.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use protocol::{CannedResponse, CannedResponseForCreate, CannedResponseForUpdate, Website, CANNED_VARIABLES};

use super::PageHeader;
use crate::components::form::{action_error, action_ok, FieldError, FormStatus, LoadError};
use crate::error::AppError;
use crate::shared::list_websites;

#[leptos::server(prefix = "/sfn", endpoint = "list_canned", input = Json)]
pub async fn list_canned(website_id: Option<String>) -> Result<Vec<CannedResponse>, AppError> {
    use crate::server::{request::with_ctx, services::canned};
    with_ctx(|state, ctx| async move { canned::list(&ctx, &state, website_id.as_deref()).await }).await
}

#[leptos::server(prefix = "/sfn", endpoint = "create_canned", input = Json)]
pub async fn create_canned(input: CannedResponseForCreate) -> Result<CannedResponse, AppError> {
    use crate::server::{request::with_ctx, services::canned};
    with_ctx(|state, ctx| async move { canned::create(&ctx, &state, input).await }).await
}

#[leptos::server(prefix = "/sfn", endpoint = "update_canned", input = Json)]
pub async fn update_canned(id: String, input: CannedResponseForUpdate) -> Result<CannedResponse, AppError> {
    use crate::server::{request::with_ctx, services::canned};
    with_ctx(|state, ctx| async move { canned::update(&ctx, &state, &id, input).await }).await
}

#[leptos::server(prefix = "/sfn", endpoint = "delete_canned", input = Json)]
pub async fn delete_canned(id: String) -> Result<(), AppError> {
    use crate::server::{request::with_ctx, services::canned};
    with_ctx(|state, ctx| async move { canned::delete(&ctx, &state, &id).await }).await
}

#[component]
pub fn CannedPage() -> impl IntoView {
    let create = ServerAction::<CreateCanned>::new();
    let update = ServerAction::<UpdateCanned>::new();
    let delete = ServerAction::<DeleteCanned>::new();
    let websites = Resource::new(|| (), |_| list_websites());
    let data = Resource::new(
        move || (create.version().get(), update.version().get(), delete.version().get()),
        |_| async move {
            let list = list_canned(None).await?;
            let websites = list_websites().await?;
            Ok::<_, AppError>((list, websites))
        },
    );
    view! {
        <PageHeader title="Canned responses"
            lead="Replies you insert by typing / and their shortcut in a conversation. Shared ones belong to a website; personal ones are yours alone."/>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || data.get().map(|res| match res {
                Ok((list, websites)) => view! { <CannedView list websites update delete/> }.into_any(),
                Err(e) => view! { <LoadError error=e/> }.into_any(),
            })}
        </Transition>
        // Outside the list, which is read again after each change: what is being typed here stays.
        <Transition fallback=|| ()>
            {move || websites.get().and_then(Result::ok).map(|all| {
                let managed: Vec<Website> = all.into_iter().filter(|w| w.can_manage).collect();
                view! { <CreateCannedForm managed create/> }
            })}
        </Transition>
    }
    .into_any()
}

#[component]
fn CannedView(
    list: Vec<CannedResponse>,
    websites: Vec<Website>,
    update: ServerAction<UpdateCanned>,
    delete: ServerAction<DeleteCanned>,
) -> impl IntoView {
    let names = StoredValue::new(websites.iter().map(|w| (w.id.clone(), w.name.clone())).collect::<Vec<_>>());
    let owner = move |c: &CannedResponse| match &c.website_id {
        None => "Personal".to_string(),
        Some(id) => {
            names.with_value(|n| n.iter().find(|(w, _)| w == id).map(|(_, name)| name.clone())).unwrap_or_default()
        }
    };
    let empty = list.is_empty();
    view! {
        <section class="card">
            {if empty {
                view! { <p class="muted" id="canned-empty">"No canned responses yet."</p> }.into_any()
            } else {
                view! {
                    <table class="table" id="canned-table">
                        <thead><tr><th>"Shortcut"</th><th>"Response"</th><th>"Where"</th><th>"Actions"</th></tr></thead>
                        <tbody>
                            {list.into_iter().map(|c| {
                                let owner = owner(&c);
                                view! { <CannedRow canned=c owner update delete/> }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
            <FormStatus error=action_error(update) fields=&[] saved=action_ok(update)/>
            <FormStatus error=action_error(delete) fields=&[] saved=action_ok(delete) ok="Deleted."/>
        </section>
    }
    .into_any()
}

#[component]
fn CannedRow(
    canned: CannedResponse,
    owner: String,
    update: ServerAction<UpdateCanned>,
    delete: ServerAction<DeleteCanned>,
) -> impl IntoView {
    let id = StoredValue::new(canned.id.clone());
    let editing = RwSignal::new(false);
    let shortcut = RwSignal::new(canned.shortcut.clone());
    let content = RwSignal::new(canned.content.clone());
    let row_id = format!("canned-{}", canned.shortcut);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        update.dispatch(UpdateCanned {
            id: id.get_value(),
            input: CannedResponseForUpdate {
                shortcut: Some(shortcut.get_untracked()),
                content: Some(content.get_untracked()),
            },
        });
        editing.set(false);
    };
    let remove = move |_| {
        delete.dispatch(DeleteCanned { id: id.get_value() });
    };
    let can_edit = canned.can_edit;
    let label = format!("/{}", canned.shortcut);
    view! {
        <tr id=row_id>
            <td><code>{label}</code></td>
            <td class="canned-content">
                {move || if editing.get() {
                    view! {
                        <form class="form" on:submit=save>
                            <label>"Shortcut"<input class="canned-shortcut" bind:value=shortcut maxlength="32" required/></label>
                            <label>"Response"<textarea class="canned-text" rows="3" bind:value=content maxlength="5000" required></textarea></label>
                            <div class="row">
                                <button type="submit" class="button primary small">"Save"</button>
                                <button type="button" class="button secondary small" on:click=move |_| editing.set(false)>"Cancel"</button>
                            </div>
                        </form>
                    }.into_any()
                } else {
                    view! { <span class="pre">{content.get()}</span> }.into_any()
                }}
            </td>
            <td>{owner}</td>
            <td>
                {can_edit.then(|| view! {
                    <div class="row">
                        <button type="button" class="button secondary small edit-canned" on:click=move |_| editing.set(true)>"Edit"</button>
                        <button type="button" class="button danger small delete-canned" on:click=remove>"Delete"</button>
                    </div>
                })}
            </td>
        </tr>
    }
}

#[component]
fn CreateCannedForm(managed: Vec<Website>, create: ServerAction<CreateCanned>) -> impl IntoView {
    let owner = RwSignal::new(String::new());
    let shortcut = RwSignal::new(String::new());
    let content = RwSignal::new(String::new());
    let error = action_error(create);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        create.dispatch(CreateCanned {
            input: CannedResponseForCreate {
                website_id: Some(owner.get_untracked()).filter(|o| !o.is_empty()),
                shortcut: shortcut.get_untracked(),
                content: content.get_untracked(),
            },
        });
    };
    // A new one saved: the form is ready for the next.
    Effect::new(move |_| {
        if let Some(Ok(_)) = create.value().get() {
            shortcut.set(String::new());
            content.set(String::new());
        }
    });
    let variables = CANNED_VARIABLES.join(", ");
    view! {
        <section class="card">
            <h2>"New canned response"</h2>
            <form class="form grid-form" id="create-canned" on:submit=on_submit>
                <label for="canned-owner">"Shared on"</label>
                <select id="canned-owner" on:change:target=move |ev| owner.set(ev.target().value())>
                    <option value="" selected=true>"Nobody else: personal"</option>
                    {managed.into_iter().map(|w| view! { <option value=w.id.clone()>{w.name.clone()}</option> }).collect_view()}
                </select>
                <label for="canned-shortcut">"Shortcut"</label>
                <input id="canned-shortcut" bind:value=shortcut maxlength="32" placeholder="refund" required/>
                <FieldError error field="shortcut"/>
                <label for="canned-content">"Response"</label>
                <textarea id="canned-content" rows="4" bind:value=content maxlength="5000" required
                    placeholder="Hi {{visitor.name}}, refunds take 5 working days."></textarea>
                <p class="muted small">"Variables: " {variables}</p>
                <FieldError error field="content"/>
                <button type="submit" class="button primary" id="save-canned">"Add response"</button>
                <FormStatus error fields=&["shortcut", "content"] saved=action_ok(create) ok="Added."/>
            </form>
        </section>
    }
}
