//! The visitor panel's "Visitor's data" part, for admins: download everything stored about the visitor (JSON), or
//! erase it after a confirmation. The server decides who may (the website's owner or a super admin).

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use leptos_router::hooks::use_navigate;
use protocol::VisitorErased;

use crate::components::form::{action_error, FormStatus};
use crate::error::AppError;
use crate::shared::confirm;

#[leptos::server(prefix = "/sfn", endpoint = "erase_visitor", input = Json)]
pub async fn erase_visitor(visitor_id: String) -> Result<VisitorErased, AppError> {
    use crate::server::{request::with_ctx, services::privacy};
    with_ctx(|state, ctx| async move { privacy::erase_visitor(&ctx, &state, &visitor_id).await }).await
}

#[component]
pub fn VisitorData(visitor_id: String) -> impl IntoView {
    let erase = ServerAction::<EraseVisitor>::new();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(_)) = erase.value().get() {
            navigate("/admin/chats", Default::default());
        }
    });
    let export_href = format!("/api/visitors/{}/export", crate::url::encode_query_value(&visitor_id));
    let id = StoredValue::new(visitor_id);
    let on_erase = move |_| {
        if confirm(
            "Erase this visitor? Their chats, messages, notes, files and page views are deleted for good, on every \
             device they used.",
        ) {
            erase.dispatch(EraseVisitor { visitor_id: id.get_value() });
        }
    };
    view! {
        <div id="visitor-data">
            <h3>"Visitor's data"</h3>
            <p class="small">
                <a id="export-visitor" download="" href=export_href>"Download everything stored (JSON)"</a>
            </p>
            <button type="button" class="button danger small" id="erase-visitor" on:click=on_erase
                disabled=move || erase.pending().get()>"Erase visitor…"</button>
            <FormStatus error=action_error(erase) fields=&[] saved=Signal::derive(|| false)/>
        </div>
    }
}
