//! Form helpers: errors shown beside the field they are about, and a status line for the rest.

use leptos::prelude::*;

use crate::error::AppError;

/// The error of `field`, if the last attempt failed on it.
#[component]
pub fn FieldError(#[prop(into)] error: Signal<Option<AppError>>, field: &'static str) -> impl IntoView {
    view! {
        <p class="field-error" data-field=field role="alert">
            {move || error.get().filter(|e| e.field() == Some(field)).map(|e| e.to_string())}
        </p>
    }
}

/// Errors not about one of `fields`, or `ok` after a success.
#[component]
pub fn FormStatus(
    #[prop(into)] error: Signal<Option<AppError>>,
    fields: &'static [&'static str],
    #[prop(into)] saved: Signal<bool>,
    #[prop(default = "Saved.")] ok: &'static str,
) -> impl IntoView {
    view! {
        <p class="form-status" role="status" aria-live="polite">
            {move || match error.get() {
                Some(e) if !e.field().is_some_and(|f| fields.contains(&f)) => {
                    view! { <span class="form-error">{e.to_string()}</span> }.into_any()
                }
                Some(_) => view! { <span class="form-error">"Please correct the highlighted field."</span> }.into_any(),
                None if saved.get() => view! { <span class="form-ok">{ok}</span> }.into_any(),
                None => ().into_any(),
            }}
        </p>
    }
}

/// The error of a server action's last run.
pub fn action_error<I, O>(action: ServerAction<I>) -> Signal<Option<AppError>>
where
    I: leptos::server_fn::ServerFn<Output = O, Error = AppError> + Clone + Send + Sync + 'static,
    O: Clone + Send + Sync + 'static,
{
    Signal::derive(move || action.value().get().and_then(|r| r.err()))
}

/// Whether a server action's last run succeeded.
pub fn action_ok<I, O>(action: ServerAction<I>) -> Signal<bool>
where
    I: leptos::server_fn::ServerFn<Output = O, Error = AppError> + Clone + Send + Sync + 'static,
    O: Clone + Send + Sync + 'static,
{
    Signal::derive(move || matches!(action.value().get(), Some(Ok(_))))
}

/// A panel for a page whose data could not be loaded.
#[component]
pub fn LoadError(error: AppError) -> impl IntoView {
    view! {
        <section class="card error-panel" role="alert">
            <h2>{match error { AppError::NotFound(_) => "Not found", AppError::Forbidden => "Not allowed", _ => "Could not load" }}</h2>
            <p>{error.to_string()}</p>
        </section>
    }
}

/// For a blocking resource's fetcher: when server rendering a page whose data was refused, the response carries
/// the error's status (404 for a website or chat that does not exist). Blocking resources resolve before the
/// headers are sent, so this is deterministic; in the browser it does nothing.
pub fn page_status<T>(result: &Result<T, AppError>) {
    #[cfg(feature = "ssr")]
    if let (Err(error), Some(res)) = (result, use_context::<leptos_axum::ResponseOptions>()) {
        if let Ok(status) = http::StatusCode::from_u16(error.status()) {
            res.set_status(status);
        }
    }
    #[cfg(not(feature = "ssr"))]
    let _ = result;
}
