//! The websites one may see, and a form for a new one.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use protocol::{Role, WebsiteForCreate};

use super::CreateWebsite;
use crate::components::form::{action_error, FieldError, FormStatus, LoadError};
use crate::pages::PageHeader;
use crate::shared::{current_user, list_websites};

/// Domains as typed (one per line or comma separated); the server validates them.
pub(super) fn split_domains(text: &str) -> Vec<String> {
    text.split([',', '\n']).map(str::trim).filter(|d| !d.is_empty()).map(String::from).collect()
}

#[component]
pub fn WebsitesPage() -> impl IntoView {
    let create = ServerAction::<CreateWebsite>::new();
    let websites = Resource::new(move || create.version().get(), |_| list_websites());
    let me = Resource::new(|| (), |_| current_user());
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(created)) = create.value().get() {
            navigate(&format!("/admin/websites/{}", created.id), Default::default());
        }
    });
    let (name, domains, description) =
        (RwSignal::new(String::new()), RwSignal::new(String::new()), RwSignal::new(String::new()));
    let error = action_error(create);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        create.dispatch(CreateWebsite {
            input: WebsiteForCreate {
                name: name.get_untracked(),
                domains: split_domains(&domains.get_untracked()),
                domain: None,
                description: Some(description.get_untracked()),
            },
        });
    };

    view! {
        <PageHeader title="Websites" lead="The sites where visitors reach you through the chat widget."/>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || websites.get().map(|res| match res {
                Ok(list) if list.is_empty() => view! {
                    <section class="card empty"><p>"No websites yet."</p></section>
                }.into_any(),
                Ok(list) => view! {
                    <section class="card">
                        <table class="table" id="websites-table">
                            <thead><tr><th>"Name"</th><th>"Domains"</th><th>"Status"</th><th>"Created"</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|w| view! {
                                    <tr>
                                        <td><a href=format!("/admin/websites/{}", w.id)>{w.name.clone()}</a></td>
                                        <td class="muted">{w.domains.join(", ")}</td>
                                        <td>{if w.is_active { view! { <span class="badge ok">"Active"</span> } } else { view! { <span class="badge off">"Inactive"</span> } }}</td>
                                        <td class="muted">{w.created_at.clone()}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </section>
                }.into_any(),
                Err(e) => view! { <LoadError error=e/> }.into_any(),
            })}
        </Transition>
        <Transition fallback=|| ()>
            {move || me.get().and_then(Result::ok).filter(|u| u.role != Role::Agent).map(|_| view! {
                <section class="card">
                    <h2>"Add a website"</h2>
                    <form class="form grid-form" id="create-website-form" on:submit=on_submit>
                        <label for="website-name">"Name"</label>
                        <input id="website-name" bind:value=name maxlength="255" required placeholder="My shop"/>
                        <FieldError error field="name"/>
                        <label for="website-domains">"Allowed domains"</label>
                        <textarea id="website-domains" bind:value=domains rows="3" placeholder="shop.example.com\n*.example.com"></textarea>
                        <p class="hint">"One per line. A bare domain allows http and https; list https://… to allow only that; *.example.com allows its subdomains."</p>
                        <FieldError error field="domains"/>
                        <label for="website-description">"Description"</label>
                        <textarea id="website-description" bind:value=description rows="2" maxlength="2000"></textarea>
                        <FieldError error field="description"/>
                        <FormStatus error fields=&["name", "domains", "description"] saved=Signal::derive(|| false)/>
                        <div><button type="submit" class="button primary" id="create-website" disabled=move || create.pending().get()>"Create website"</button></div>
                    </form>
                </section>
            })}
        </Transition>
    }.into_any()
}
