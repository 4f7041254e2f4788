//! Search in the inbox (`/admin/chats?q=…`): the form above the lists and, when the URL has a `q`, its hits in
//! place of the lists — the visitors whose name or email matched, then messages and notes newest first, each with
//! its chat and the words marked — older hits a page at a time.

use std::collections::BTreeMap;

use leptos::prelude::*;
use protocol::{SearchField, SearchHit, SearchQuery, SearchResults, SenderType};

use super::{status_label, visitor_label, when};
use crate::components::form::LoadError;

#[leptos::server(prefix = "/sfn", endpoint = "search_chats", input = leptos::server_fn::codec::Json)]
pub async fn search_chats(query: SearchQuery) -> Result<SearchResults, crate::error::AppError> {
    use crate::server::{request::with_ctx, services::search};
    with_ctx(|state, ctx| async move { search::search(&ctx, &state, query).await }).await
}

/// The search form: a plain GET form, so it works before the script runs; it keeps the website being viewed.
#[component]
pub fn SearchForm(q: Option<String>, website: Option<String>, #[prop(optional)] focus: bool) -> impl IntoView {
    // Asked for from the keyboard (`/` on another page): the cursor goes to the search box.
    #[cfg(feature = "hydrate")]
    if focus {
        request_animation_frame(|| {
            use wasm_bindgen::JsCast;
            if let Some(Ok(input)) =
                document().get_element_by_id("search-input").map(|i| i.dyn_into::<web_sys::HtmlElement>())
            {
                let _ = input.focus();
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = focus;
    view! {
        <form class="inbox-search" role="search" method="get" action="/admin/chats">
            <input type="search" name="q" id="search-input" value=q.unwrap_or_default() maxlength=protocol::SEARCH_MAX_LEN
                placeholder="Search messages, notes, names and emails" aria-label="Search conversations" autocomplete="off"/>
            {website.map(|w| view! { <input type="hidden" name="website" value=w/> })}
            <button type="submit" class="button secondary small">"Search"</button>
        </form>
    }
}

/// The hits of a search, with a link back to the inbox.
#[component]
pub fn SearchHits(q: String, website: Option<String>, names: BTreeMap<String, String>) -> impl IntoView {
    let query = SearchQuery { q: q.clone(), website_id: website.clone(), page: Some(1) };
    let first = Resource::new(move || query.clone(), search_chats);
    let extra = RwSignal::new(Vec::<SearchHit>::new());
    let more = RwSignal::new(false);
    let next_page = RwSignal::new(2u64);
    let loading = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(results)) = first.get() {
            more.set(results.more);
            next_page.set(2);
            extra.set(Vec::new());
        }
    });
    let (q_more, website_more) = (q.clone(), website.clone());
    let load_more = move |_| {
        if loading.get_untracked() {
            return;
        }
        loading.set(true);
        let page = next_page.get_untracked();
        let query = SearchQuery { q: q_more.clone(), website_id: website_more.clone(), page: Some(page) };
        leptos::task::spawn_local(async move {
            if let Ok(results) = search_chats(query).await {
                more.set(results.more);
                next_page.set(page + 1);
                extra.update(|e| e.extend(results.hits));
            }
            loading.set(false);
        });
    };
    let back = match &website {
        Some(w) => format!("/admin/chats?website={}", crate::url::encode_query_value(w)),
        None => "/admin/chats".to_string(),
    };
    view! {
        <section class="card search-results" id="search-results" aria-live="polite">
            <div class="row spread">
                <h2>"Results for “"{q}"”"</h2>
                <a href=back id="clear-search">"Back to the inbox"</a>
            </div>
            <Transition fallback=|| view! { <p class="muted">"Searching…"</p> }>
                {move || first.get().map(|res| match res {
                    Ok(results) if results.hits.is_empty() => {
                        view! { <p class="muted" id="no-hits">"Nothing found."</p> }.into_any()
                    }
                    Ok(results) => {
                        let names = names.clone();
                        let names_more = names.clone();
                        view! {
                            <ul class="inbox hits">
                                {results.hits.into_iter().map(|h| view! { <Hit hit=h names=names.clone()/> }).collect_view()}
                                {move || extra.get().into_iter().map(|h| view! { <Hit hit=h names=names_more.clone()/> }).collect_view()}
                            </ul>
                        }
                        .into_any()
                    }
                    Err(e @ crate::error::AppError::Validation { .. }) => {
                        view! { <p class="field-error" id="search-error" role="alert">{e.to_string()}</p> }.into_any()
                    }
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                })}
            </Transition>
            {move || more.get().then(|| view! {
                <div class="row">
                    <button type="button" class="button secondary" id="more-hits" disabled=move || loading.get() on:click=load_more.clone()>
                        {move || if loading.get() { "Loading…" } else { "Show older results" }}
                    </button>
                </div>
            })}
        </section>
    }
    .into_any()
}

#[component]
fn Hit(hit: SearchHit, names: BTreeMap<String, String>) -> impl IntoView {
    let website = names.get(&hit.chat.website_id).cloned().unwrap_or_default();
    let what = match (hit.field, hit.note, hit.sender_type) {
        (SearchField::Visitor, ..) => "Visitor",
        (_, true, _) => "Note",
        (_, _, Some(SenderType::Admin)) => "Agent",
        _ => "Visitor",
    };
    let href = match hit.seq {
        Some(seq) => format!("/admin/chats/{}?seq={seq}", hit.chat.id),
        None => format!("/admin/chats/{}", hit.chat.id),
    };
    view! {
        <li class="inbox-row hit" data-chat=hit.chat.id.clone() data-field=match hit.field { SearchField::Visitor => "visitor", SearchField::Message => "message" }>
            <a href=href>
                <span class="who">
                    <span class="visitor-name">{visitor_label(&hit.chat)}</span>
                    <span class="muted small">{website}</span>
                </span>
                <span class="preview">
                    <span class="snippet" class:note=hit.note>
                        <span class="muted small what">{what}": "</span>
                        {hit.snippet.into_iter().map(|p| if p.hit {
                            view! { <mark>{p.text}</mark> }.into_any()
                        } else {
                            p.text.into_any()
                        }).collect_view()}
                    </span>
                </span>
                <span class="muted small age">{when(&hit.at)}</span>
                <span class="badge">{status_label(hit.chat.status)}</span>
            </a>
        </li>
    }
}
