//! /admin/admins: users and roles — create users, change roles, assign agents to websites, deactivate and
//! reactivate (which signs a user out everywhere), reset passwords.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use protocol::{ManagedUser, Role, UserForCreate, UserForUpdate, UserView, Website};

use super::PageHeader;
use crate::components::form::{action_error, action_ok, FieldError, FormStatus, LoadError};
use crate::error::AppError;
use crate::shared::{current_user, list_users, list_websites};

#[leptos::server(prefix = "/sfn", endpoint = "create_user", input = Json)]
pub async fn create_user(input: UserForCreate) -> Result<ManagedUser, AppError> {
    use crate::server::{request::with_ctx, services::users};
    with_ctx(|state, ctx| async move { users::create(&ctx, &state, input).await }).await
}

#[leptos::server(prefix = "/sfn", endpoint = "update_user", input = Json)]
pub async fn update_user(id: String, input: UserForUpdate) -> Result<ManagedUser, AppError> {
    use crate::server::{request::with_ctx, services::users};
    with_ctx(|state, ctx| async move { users::update(&ctx, &state, &id, input).await }).await
}

#[leptos::server(prefix = "/sfn", endpoint = "reset_user_password", input = Json)]
pub async fn reset_user_password(id: String, password: String) -> Result<(), AppError> {
    use crate::server::{request::with_ctx, services::users};
    with_ctx(|state, ctx| async move { users::reset_password(&ctx, &state, &id, &password).await }).await
}

/// Roles the signed-in user may give.
fn grantable(me: &UserView) -> Vec<Role> {
    match me.role {
        Role::SuperAdmin => Role::ALL.to_vec(),
        Role::Admin => vec![Role::Agent],
        Role::Agent => vec![],
    }
}

#[component]
pub fn AdminsPage() -> impl IntoView {
    let create = ServerAction::<CreateUser>::new();
    let update = ServerAction::<UpdateUser>::new();
    let data = Resource::new(
        move || (create.version().get(), update.version().get()),
        |_| async move {
            let me = current_user().await?;
            let users = list_users().await?;
            let websites = list_websites().await?;
            Ok::<_, AppError>((me, users, websites))
        },
    );
    view! {
        <PageHeader title="Users" lead="Who can sign in, with which role, on which websites."/>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || data.get().map(|res| match res {
                Ok((me, users, websites)) => view! { <UsersView me users websites create update/> }.into_any(),
                Err(e) => view! { <LoadError error=e/> }.into_any(),
            })}
        </Transition>
    }
    .into_any()
}

#[component]
fn UsersView(
    me: UserView,
    users: Vec<ManagedUser>,
    websites: Vec<Website>,
    create: ServerAction<CreateUser>,
    update: ServerAction<UpdateUser>,
) -> impl IntoView {
    let roles = grantable(&me);
    let manageable_sites: Vec<Website> = websites.into_iter().filter(|w| w.can_manage).collect();
    let sites = StoredValue::new(manageable_sites);
    view! {
        <section class="card">
            <table class="table" id="users-table">
                <thead><tr><th>"User"</th><th>"Role"</th><th>"Websites"</th><th>"Status"</th><th><span class="visually-hidden">"Actions"</span></th></tr></thead>
                <tbody>
                    {users.into_iter().map(|u| {
                        let is_me = u.id == me.id;
                        view! { <UserRow user=u is_me roles=roles.clone() sites update/> }
                    }).collect_view()}
                </tbody>
            </table>
            <FormStatus error=action_error(update) fields=&[] saved=action_ok(update)/>
        </section>
        {(!roles.is_empty()).then(|| view! { <CreateUserForm roles=roles.clone() sites create/> })}
    }
    .into_any()
}

#[component]
fn UserRow(
    user: ManagedUser,
    is_me: bool,
    roles: Vec<Role>,
    sites: StoredValue<Vec<Website>>,
    update: ServerAction<UpdateUser>,
) -> impl IntoView {
    let id = StoredValue::new(user.id.clone());
    let assigned = RwSignal::new(user.website_ids.clone());
    let role = RwSignal::new(user.role);
    let reset = ServerAction::<ResetUserPassword>::new();
    let new_password = RwSignal::new(String::new());
    // Of an agent another admin manages who works on our websites, only those memberships are ours to change.
    let manages = user.can_manage;
    let can_change_role = manages && roles.contains(&user.role);
    let active = user.is_active;
    let row_id = format!("user-{}", user.email.replace(['@', '.'], "-"));

    let save = move |_| {
        update.dispatch(UpdateUser {
            id: id.get_value(),
            input: UserForUpdate {
                name: None,
                role: Some(role.get_untracked()),
                is_active: None,
                website_ids: Some(assigned.get_untracked()),
            },
        });
    };
    let toggle_active = move |_| {
        update.dispatch(UpdateUser {
            id: id.get_value(),
            input: UserForUpdate { is_active: Some(!active), ..Default::default() },
        });
    };
    let on_reset = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        reset.dispatch(ResetUserPassword { id: id.get_value(), password: new_password.get_untracked() });
    };
    let reset_error = action_error(reset);

    view! {
        <tr id=row_id class:inactive=!active>
            <td>
                <div class="user-name">{user.name.clone()}{is_me.then_some(" (you)")}</div>
                <div class="muted">{user.email.clone()}</div>
            </td>
            <td>
                {if can_change_role {
                    view! {
                        <select class="role-select" aria-label="Role" on:change:target=move |ev| {
                            if let Some(r) = Role::parse(&ev.target().value()) { role.set(r) }
                        }>
                            {roles.iter().map(|r| {
                                let r = *r;
                                view! { <option value=r.as_str() selected=move || role.get() == r>{r.label()}</option> }
                            }).collect_view()}
                        </select>
                    }.into_any()
                } else {
                    view! { <span class="badge">{user.role.label()}</span> }.into_any()
                }}
            </td>
            <td>
                {move || sites.with_value(|sites| sites.iter().map(|w| {
                    let wid = w.id.clone();
                    let wid_check = wid.clone();
                    view! {
                        <label class="check small">
                            <input type="checkbox" disabled=is_me
                                prop:checked=move || assigned.get().contains(&wid_check)
                                on:change:target=move |ev| {
                                    let checked = ev.target().checked();
                                    assigned.update(|a| {
                                        a.retain(|x| x != &wid);
                                        if checked { a.push(wid.clone()) }
                                    });
                                }/>
                            " " {w.name.clone()}
                        </label>
                    }
                }).collect_view())}
            </td>
            <td>{if active { view! { <span class="badge ok">"Active"</span> } } else { view! { <span class="badge off">"Deactivated"</span> } }}</td>
            <td class="actions">
                {(!is_me).then(|| view! {
                    <button type="button" class="button secondary small save-user" on:click=save>"Save"</button>
                })}
                {manages.then(|| view! {
                    <button type="button" class="button secondary small toggle-active" on:click=toggle_active>
                        {if active { "Deactivate" } else { "Reactivate" }}
                    </button>
                })}
                {(manages || is_me).then(|| view! {
                    <form class="inline-form" on:submit=on_reset>
                        <input type="password" aria-label="New password" placeholder="New password" bind:value=new_password minlength="8" autocomplete="new-password"/>
                        <button type="submit" class="button secondary small">"Set password"</button>
                    </form>
                })}
                {(!manages && !is_me).then(|| view! {
                    <span class="muted managed-elsewhere">"Managed by the admin who added them"</span>
                })}
                <FieldError error=reset_error field="password"/>
                {move || matches!(reset.value().get(), Some(Ok(()))).then(|| view! { <span class="form-ok">"Password changed; their sessions were signed out."</span> })}
            </td>
        </tr>
    }.into_any()
}

#[component]
fn CreateUserForm(
    roles: Vec<Role>,
    sites: StoredValue<Vec<Website>>,
    create: ServerAction<CreateUser>,
) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Agent);
    let assigned = RwSignal::new(Vec::<String>::new());
    let error = action_error(create);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        create.dispatch(CreateUser {
            input: UserForCreate {
                email: email.get_untracked(),
                name: name.get_untracked(),
                role: role.get_untracked(),
                password: password.get_untracked(),
                website_ids: assigned.get_untracked(),
            },
        });
    };
    view! {
        <section class="card">
            <h2>"Add a user"</h2>
            <form class="form grid-form" id="create-user-form" on:submit=on_submit>
                <label for="new-user-email">"Email"</label>
                <input id="new-user-email" type="email" bind:value=email required maxlength="255" autocomplete="off"/>
                <FieldError error field="email"/>
                <label for="new-user-name">"Name"</label>
                <input id="new-user-name" bind:value=name required maxlength="100"/>
                <FieldError error field="name"/>
                <label for="new-user-role">"Role"</label>
                <select id="new-user-role" on:change:target=move |ev| { if let Some(r) = Role::parse(&ev.target().value()) { role.set(r) } }>
                    {roles.iter().map(|r| {
                        let r = *r;
                        view! { <option value=r.as_str() selected=move || role.get() == r>{r.label()}</option> }
                    }).collect_view()}
                </select>
                <label for="new-user-password">"Initial password"</label>
                <input id="new-user-password" type="password" bind:value=password required minlength="8" autocomplete="new-password"/>
                <FieldError error field="password"/>
                <fieldset class="websites-pick">
                    <legend>"Websites"</legend>
                    {move || sites.with_value(|sites| sites.iter().map(|w| {
                        let wid = w.id.clone();
                        view! {
                            <label class="check small">
                                <input type="checkbox" on:change:target=move |ev| {
                                    let checked = ev.target().checked();
                                    assigned.update(|a| { a.retain(|x| x != &wid); if checked { a.push(wid.clone()) } });
                                }/>
                                " " {w.name.clone()}
                            </label>
                        }
                    }).collect_view())}
                </fieldset>
                <FieldError error field="websiteIds"/>
                <FormStatus error fields=&["email", "name", "password", "websiteIds"] saved=action_ok(create) ok="User created."/>
                <div><button type="submit" class="button primary" id="create-user" disabled=move || create.pending().get()>"Create user"</button></div>
            </form>
        </section>
    }.into_any()
}
