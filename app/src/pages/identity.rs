//! The website page's "Verified identity" card, for those who manage the website: the secret the website's backend
//! signs its customers' identity tokens with (shown on demand, created and replaced here), how to sign one, and the
//! switch that keeps the chat to signed-in customers.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use protocol::{IdentitySecret, Website, WebsiteForUpdate};

use super::websites::UpdateWebsite;
use crate::components::form::{action_error, action_ok, FieldError, FormStatus};
use crate::error::AppError;
use crate::shared::confirm;

#[leptos::server(prefix = "/sfn", endpoint = "get_identity_secret", input = Json)]
pub async fn get_identity_secret(website_id: String) -> Result<IdentitySecret, AppError> {
    use crate::server::{request::with_ctx, services::identity};
    with_ctx(|state, ctx| async move { identity::secret(&ctx, &state, &website_id).await }).await
}

#[leptos::server(prefix = "/sfn", endpoint = "rotate_identity_secret", input = Json)]
pub async fn rotate_identity_secret(website_id: String) -> Result<IdentitySecret, AppError> {
    use crate::server::{request::with_ctx, services::identity};
    with_ctx(|state, ctx| async move { identity::rotate_secret(&ctx, &state, &website_id).await }).await
}

/// How a website's backend signs a token (Node.js), for the card's example.
fn example(website_id: &str) -> String {
    format!(
        "// On your server, for the signed-in customer (npm: jsonwebtoken):\n\
         const token = jwt.sign(\n  {{ sub: customer.id, name: customer.name, email: customer.email }},\n  \
         process.env.HELPDESK_IDENTITY_SECRET,\n  {{ algorithm: 'HS256', audience: '{website_id}', expiresIn: '1h' }}\n);\n\
         // In the page: <script src=\"…/widget.js\" data-key=\"…\" data-identity-token=\"TOKEN\" async></script>\n\
         // or, once signed in: window.Helpdesk.identify(token)"
    )
}

#[component]
pub fn IdentityCard(website: Website) -> impl IntoView {
    let rotate = ServerAction::<RotateIdentitySecret>::new();
    let save = ServerAction::<UpdateWebsite>::new();
    let id = StoredValue::new(website.id.clone());
    let shown = RwSignal::new(false);
    let has_secret = RwSignal::new(website.has_identity_secret);
    let required = RwSignal::new(website.identity_required);
    // Read only when asked for, so the page itself never carries the secret.
    let secret = Resource::new(
        move || (shown.get(), rotate.version().get()),
        move |(shown, _)| async move {
            match shown {
                true => get_identity_secret(id.get_value()).await.map(|s| s.secret),
                false => Ok(None),
            }
        },
    );
    Effect::new(move |_| {
        if let Some(Ok(_)) = rotate.value().get() {
            has_secret.set(true);
            shown.set(true);
        }
    });
    let on_rotate = move |_| {
        let ask = "Make a new identity secret? Tokens signed with the current one are refused from now on: update your website's backend.";
        if !has_secret.get_untracked() || confirm(ask) {
            rotate.dispatch(RotateIdentitySecret { website_id: id.get_value() });
        }
    };
    let save_error = action_error(save);
    let on_required = move |ev: leptos::ev::Event| {
        let on = event_target_checked(&ev);
        required.set(on);
        save.dispatch(UpdateWebsite {
            id: id.get_value(),
            input: WebsiteForUpdate { identity_required: Some(on), ..Default::default() },
        });
    };
    // A refused switch goes back to what is stored.
    Effect::new(move |_| {
        if let Some(Err(_)) = save.value().get() {
            required.set(!required.get_untracked());
        }
    });
    view! {
        <section class="card" id="identity-card">
            <h2>"Verified identity"</h2>
            <p class="hint">
                "Your website's backend signs a short-lived token for each signed-in customer (HS256, with this secret; "
                <code>"aud"</code>" this website's id, "<code>"sub"</code>" your customer id, optional "
                <code>"name"</code>" and "<code>"email"</code>", "<code>"exp"</code>" at most 24 hours away) and the page hands it to the widget. "
                "Their chats then follow them to every device, and agents see them as verified. Claims the page makes any other way are never trusted."
            </p>
            <p class="row small">"Website id ("<code>"aud"</code>"): "<code id="identity-audience">{website.id.clone()}</code></p>
            <div class="row small">
                "Secret: "
                <Transition fallback=|| view! { <code>"…"</code> }>
                    {move || secret.get().map(|res| match res {
                        Ok(Some(s)) if shown.get() => view! { <code class="identity-secret" id="identity-secret">{s}</code> }.into_any(),
                        Err(e) => view! { <span class="form-error">{e.to_string()}</span> }.into_any(),
                        _ if has_secret.get() => view! { <code class="identity-secret">"hdid_••••••••"</code> }.into_any(),
                        _ => view! { <span class="muted" id="identity-no-secret">"none yet"</span> }.into_any(),
                    })}
                </Transition>
                {move || has_secret.get().then(|| view! {
                    <button type="button" class="button secondary small" id="show-identity-secret" aria-pressed=move || shown.get().to_string()
                        on:click=move |_| shown.update(|s| *s = !*s)>{move || if shown.get() { "Hide" } else { "Show" }}</button>
                })}
                <button type="button" class="button secondary small" id="rotate-identity-secret" on:click=on_rotate
                    disabled=move || rotate.pending().get()>
                    {move || if has_secret.get() { "New secret" } else { "Create secret" }}
                </button>
            </div>
            <FormStatus error=action_error(rotate) fields=&[] saved=action_ok(rotate) ok="This secret signs from now on."/>
            <label class="check">
                <input type="checkbox" id="identity-required" prop:checked=move || required.get()
                    disabled=move || !has_secret.get() on:change=on_required/>
                " Only signed-in customers can chat (the widget stays hidden without a valid token)"
            </label>
            <FieldError error=save_error field="identityRequired"/>
            <FormStatus error=save_error fields=&["identityRequired"] saved=action_ok(save)/>
            <details>
                <summary>"How to sign a token"</summary>
                <pre class="code" id="identity-example">{example(&website.id)}</pre>
            </details>
        </section>
    }
}
