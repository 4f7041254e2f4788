//! The open chats beside a conversation on wide screens (the inbox and the conversation side by side): waiting
//! before ongoing, oldest first — the order `j` and `k` move through — with who, the last message and what is
//! unread.

use leptos::prelude::*;

use super::inbox::preview_text;
use super::visitor_label;
use crate::components::shortcuts::queue;
use crate::realtime::Realtime;

#[component]
pub fn QueueColumn(current: String) -> impl IntoView {
    let rt = expect_context::<Realtime>();
    let current = StoredValue::new(current);
    view! {
        <nav class="card queue-column" id="queue-column" aria-label="Open chats">
            <h2>"Open chats"</h2>
            {move || {
                let list = queue(&rt);
                if list.is_empty() {
                    return view! { <p class="muted small">"No open chats."</p> }.into_any();
                }
                view! {
                    <ul>
                        {list.into_iter().map(|chat| {
                            let here = current.with_value(|c| *c == chat.id);
                            let unread = rt.unread(&chat);
                            let typing = rt.typing.with(|t| t.contains_key(&chat.id));
                            view! {
                                <li class="queue-row" data-chat=chat.id.clone()>
                                    <a href=format!("/admin/chats/{}", chat.id) class:active=here aria-current=here.then_some("page")>
                                        <span class="who">{visitor_label(&chat)}</span>
                                        {(unread > 0).then(|| view! { <span class="unread" title="Unread messages">{unread}</span> })}
                                        <span class="last-message muted small">
                                            {if typing { "typing…".to_string() } else { preview_text(&chat) }}
                                        </span>
                                    </a>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </nav>
    }
    .into_any()
}
