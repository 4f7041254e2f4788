//! One conversation, live: its messages (the latest first, earlier ones on scrolling up), the reply box with
//! attachments, assignment and status, and the visitor panel.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use protocol::{
    fill_canned, CannedResponse, CannedVars, ChatForUpdate, ChatStatus, ClientEvent, MessageKind, SenderType,
};

use super::{chat_detail, earlier_messages, short, status_label, when, UpdateChat};
use crate::components::form::{action_error, page_status, FieldError, FormStatus, LoadError};
use crate::pages::PageHeader;
use crate::realtime::Realtime;
use crate::shared::current_user;

#[component]
pub fn ChatPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let detail = Resource::new_blocking(id, |id| async move {
        let result = chat_detail(id).await;
        page_status(&result);
        result
    });
    view! {
        <div class="chat-workspace">
            {move || view! { <super::queue::QueueColumn current=id()/> }}
            <div class="chat-main">
                <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || detail.get().map(|res| match res {
                        Ok(d) => view! { <Conversation detail=d/> }.into_any(),
                        Err(e) => view! { <PageHeader title="Chat"/><LoadError error=e/> }.into_any(),
                    })}
                </Transition>
            </div>
        </div>
    }
    .into_any()
}

#[component]
fn Conversation(detail: protocol::ChatDetail) -> impl IntoView {
    let rt = expect_context::<Realtime>();
    let me = Resource::new(|| (), |_| current_user());
    let chat_id = detail.chat.id.clone();
    let visitor_id = detail.visitor.id.clone();
    let visitor_id_for_data = StoredValue::new(visitor_id.clone());
    rt.merge_messages(&chat_id, detail.messages.clone());
    rt.merge_chats(vec![detail.chat.clone()]);
    {
        let chat_id = chat_id.clone();
        let last_seq = detail.chat.last_seq;
        Effect::new(move |_| {
            rt.open_chat.set(Some(chat_id.clone()));
            // Opening the conversation read it (the server recorded that while loading it).
            rt.read_up_to(&chat_id, last_seq, false);
        });
    }
    on_cleanup(move || rt.open_chat.set(None));

    let id = StoredValue::new(chat_id.clone());
    let chat = {
        let fallback = detail.chat.clone();
        Signal::derive(move || rt.chats.with(|c| c.get(&id.get_value()).cloned()).unwrap_or_else(|| fallback.clone()))
    };
    let messages = {
        let fallback = detail.messages.clone();
        Signal::derive(move || {
            rt.messages.with(|m| m.get(&id.get_value()).cloned()).unwrap_or_else(|| fallback.clone())
        })
    };
    // Earlier messages, a page at a time: from the button, or on scrolling to the top of the conversation.
    let has_earlier = RwSignal::new(detail.has_earlier);
    let loading_earlier = RwSignal::new(false);
    // The page before the first message held; false when nothing came (an error, or nothing earlier).
    let fetch_earlier = move |first: i64| async move {
        match earlier_messages(id.get_value(), first).await {
            Ok(page) if !page.is_empty() => {
                has_earlier.set(page.first().is_some_and(|m| m.seq > 1));
                rt.merge_messages(&id.get_value(), page);
                true
            }
            _ => false,
        }
    };
    let load_earlier = move || {
        if loading_earlier.get_untracked() || !has_earlier.get_untracked() {
            return;
        }
        let Some(first) = messages.with_untracked(|m| m.first().map(|m| m.seq)) else { return };
        loading_earlier.set(true);
        leptos::task::spawn_local(async move {
            fetch_earlier(first).await;
            loading_earlier.set(false);
        });
    };
    // A link to one message (`?seq=N`): earlier pages are loaded until it is here, then it is shown and marked.
    let found = RwSignal::new(None::<i64>);
    let target = use_query_map().with_untracked(|q| q.get("seq").and_then(|s| s.parse::<i64>().ok()));
    Effect::new(move |_| {
        let Some(target) = target else { return };
        leptos::task::spawn_local(async move {
            loop {
                let first = messages.with_untracked(|m| m.first().map(|m| m.seq));
                let Some(first) = first.filter(|f| *f > target && has_earlier.get_untracked()) else { break };
                if !fetch_earlier(first).await {
                    break;
                }
            }
            found.set(Some(target));
            #[cfg(feature = "hydrate")]
            request_animation_frame(move || {
                let selector = format!("#messages [data-seq=\"{target}\"]");
                if let Some(el) = document().query_selector(&selector).ok().flatten() {
                    el.scroll_into_view_with_bool(false);
                }
            });
        });
    });
    let on_scroll = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            if ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()).is_some_and(|el| el.scroll_top() < 40) {
                load_earlier();
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    let draft = RwSignal::new(String::new());
    let notice = RwSignal::new(None::<&'static str>);
    let last_typing = StoredValue::new(0f64);
    // Writing an internal note instead of a reply: only agents see it, and the visitor is not told of typing.
    let note_mode = RwSignal::new(false);

    // Canned responses of this website and the agent's own, offered while the draft is `/` and a shortcut.
    let website_id = detail.chat.website_id.clone();
    let canned = Resource::new(move || website_id.clone(), |w| crate::pages::canned::list_canned(Some(w)));
    let picked = RwSignal::new(0usize);
    let matches = Memo::new(move |_| {
        let text = draft.get();
        let Some(query) = text.strip_prefix('/').filter(|q| !q.contains(char::is_whitespace)) else {
            return Vec::new();
        };
        let query = query.to_lowercase();
        let list: Vec<CannedResponse> = canned.get().and_then(Result::ok).unwrap_or_default();
        let mut found: Vec<CannedResponse> = list.iter().filter(|c| c.shortcut.starts_with(&query)).cloned().collect();
        found.extend(
            list.into_iter().filter(|c| !c.shortcut.starts_with(&query) && c.content.to_lowercase().contains(&query)),
        );
        found.truncate(8);
        found
    });
    let vars =
        StoredValue::new((detail.visitor.name.clone(), detail.visitor.email.clone(), detail.website_name.clone()));
    let insert_canned = move |c: &CannedResponse| {
        let agent = me.get_untracked().and_then(Result::ok).map(|u| u.name).unwrap_or_default();
        let text = vars.with_value(|(visitor_name, visitor_email, website_name)| {
            let vars = CannedVars {
                visitor_name: visitor_name.as_deref(),
                visitor_email: visitor_email.as_deref(),
                agent_name: &agent,
                website_name,
            };
            fill_canned(&c.content, &vars)
        });
        draft.set(text);
        picked.set(0);
    };

    let send = move || {
        let content = draft.get_untracked();
        if content.trim().is_empty() {
            return;
        }
        let note = note_mode.get_untracked();
        // Kept in the outbox (shown below as "Sending…") until the server has stored it.
        let sent = rt.send_reply(&id.get_value(), content, note);
        draft.set(String::new());
        if sent {
            notice.set(None);
            if !note {
                rt.send(&ClientEvent::TypingStop { chat_id: Some(id.get_value()) });
            }
        } else {
            notice.set(Some("Not connected right now: your reply is kept and goes out when the connection is back."));
        }
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        send();
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        let offered = matches.with_untracked(|m| m.len());
        if offered > 0 {
            match ev.key().as_str() {
                "ArrowDown" => {
                    ev.prevent_default();
                    picked.update(|p| *p = (*p + 1) % offered);
                    return;
                }
                "ArrowUp" => {
                    ev.prevent_default();
                    picked.update(|p| *p = (*p + offered - 1) % offered);
                    return;
                }
                "Enter" | "Tab" => {
                    ev.prevent_default();
                    let choice = matches.with_untracked(|m| m.get(picked.get_untracked().min(offered - 1)).cloned());
                    if let Some(c) = choice {
                        insert_canned(&c);
                    }
                    return;
                }
                "Escape" => {
                    ev.prevent_default();
                    draft.set(String::new());
                    return;
                }
                _ => {}
            }
        }
        if ev.key() == "Enter" && !ev.shift_key() {
            ev.prevent_default();
            send();
        }
    };
    let on_input = move |_| {
        picked.set(0);
        if note_mode.get_untracked() {
            return;
        }
        let now = js_sys::Date::now();
        if now - last_typing.get_value() > 3000.0 {
            last_typing.set_value(now);
            rt.send(&ClientEvent::TypingStart { chat_id: Some(id.get_value()), text: None });
        }
    };

    let uploading = RwSignal::new(0u32);
    let upload_error = RwSignal::new(None::<String>);
    let on_file = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else {
                return;
            };
            if let Some(files) = input.files() {
                for i in 0..files.length() {
                    if let Some(file) = files.get(i) {
                        leptos::task::spawn_local(upload_file(id.get_value(), file, uploading, upload_error));
                    }
                }
            }
            input.set_value("");
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, uploading, upload_error);
    };

    let update = ServerAction::<UpdateChat>::new();
    Effect::new(move |_| {
        if let Some(Ok(summary)) = update.value().get() {
            rt.merge_chats(vec![summary]);
        }
    });
    let resolution = RwSignal::new(detail.chat.resolution.clone().unwrap_or_default());
    let assign = move |user: String| {
        update.dispatch(UpdateChat {
            id: id.get_value(),
            input: ChatForUpdate { assigned_to: Some(user), ..Default::default() },
        });
    };
    // A transfer: to another agent, with a note for them (stored as an internal note after the change).
    let transfer_to = RwSignal::new(String::new());
    let transfer_note = RwSignal::new(String::new());
    let transfer = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let to = transfer_to.get_untracked();
        if to.is_empty() {
            return;
        }
        update.dispatch(UpdateChat {
            id: id.get_value(),
            input: ChatForUpdate {
                assigned_to: Some(to),
                note: Some(transfer_note.get_untracked()),
                ..Default::default()
            },
        });
        transfer_note.set(String::new());
    };
    let set_status = move |status: ChatStatus| {
        let note = Some(resolution.get_untracked()).filter(|_| status == ChatStatus::Resolved);
        update.dispatch(UpdateChat {
            id: id.get_value(),
            input: ChatForUpdate { status: Some(status), resolution: note, ..Default::default() },
        });
    };
    // Labels of the chat's website, put on and taken off here.
    let website_labels = {
        let website = detail.chat.website_id.clone();
        Resource::new(move || website.clone(), |w| crate::pages::labels::list_labels(Some(w)))
    };
    let set_labels = ServerAction::<crate::pages::labels::SetChatLabels>::new();
    Effect::new(move |_| {
        if let Some(Ok(summary)) = set_labels.value().get() {
            rt.merge_chats(vec![summary]);
        }
    });
    let change_labels = move |add: Vec<String>, remove: Vec<String>| {
        set_labels.dispatch(crate::pages::labels::SetChatLabels {
            chat_id: id.get_value(),
            change: protocol::ChatLabelsUpdate { add, remove },
        });
    };
    let assignees = StoredValue::new(detail.assignees.clone());
    // An agent's name from the website's team (who may have left it since: then just "Agent").
    let agent_name = move |id: Option<&str>| {
        assignees
            .with_value(|a| a.iter().find(|u| Some(u.id.as_str()) == id).map(|u| u.name.clone()))
            .unwrap_or_else(|| "Agent".to_string())
    };
    // Keyboard shortcuts aimed at the open chat (only those given after it opened).
    if let Some(shortcuts) = use_context::<crate::components::shortcuts::Shortcuts>() {
        use crate::components::shortcuts::Command;
        let before = shortcuts.command.get_untracked().map(|(_, n)| n);
        Effect::new(move |_| {
            let Some((command, n)) = shortcuts.command.get() else { return };
            if Some(n) == before {
                return;
            }
            match command {
                Command::Reply => {
                    note_mode.set(false);
                    #[cfg(feature = "hydrate")]
                    if let Some(reply) = document().get_element_by_id("reply") {
                        use wasm_bindgen::JsCast;
                        if let Ok(reply) = reply.dyn_into::<web_sys::HtmlElement>() {
                            let _ = reply.focus();
                        }
                    }
                }
                Command::Resolve => set_status(ChatStatus::Resolved),
                Command::AssignToMe => {
                    if let Some(me) = me.get_untracked().and_then(Result::ok) {
                        assign(me.id);
                    }
                }
            }
        });
    }
    let visitor = detail.visitor.clone();
    let rating = detail.rating.clone();
    let visitor_online = {
        let vid = visitor_id.clone();
        let initially = visitor.online;
        move || initially || rt.visitors_online.get().contains(&vid)
    };
    let visitor_pages = StoredValue::new(visitor.pages.clone());
    // The visitor's name and email, which agents may correct here.
    let contact = RwSignal::new(protocol::VisitorContact { name: visitor.name.clone(), email: visitor.email.clone() });
    let editing_contact = RwSignal::new(false);
    let name_draft = RwSignal::new(String::new());
    let email_draft = RwSignal::new(String::new());
    let save_visitor = ServerAction::<super::UpdateVisitor>::new();
    Effect::new(move |_| {
        if let Some(Ok(saved)) = save_visitor.value().get() {
            contact.set(saved);
            editing_contact.set(false);
        }
    });
    let save_contact = {
        let visitor_id = StoredValue::new(visitor.id.clone());
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            save_visitor.dispatch(super::UpdateVisitor {
                visitor_id: visitor_id.get_value(),
                contact: protocol::VisitorContact {
                    name: Some(name_draft.get_untracked()),
                    email: Some(email_draft.get_untracked()),
                },
            });
        }
    };
    let current_page = {
        let vid = StoredValue::new(visitor_id.clone());
        move || {
            rt.visitor_pages
                .with(|p| p.get(&vid.get_value()).cloned())
                .or_else(|| visitor_pages.with_value(|p| p.first().map(|p| p.url.clone())))
        }
    };
    let typing_id = chat_id.clone();
    let preview_id = chat_id.clone();

    view! {
        <PageHeader title="Chat"/>
        <p class="lead">
            <strong id="chat-visitor">{move || contact.get().name.filter(|n| !n.trim().is_empty()).unwrap_or_else(|| format!("Visitor #{}", short(&visitor_id)))}</strong>
            " on " <strong>{detail.website_name.clone()}</strong>
            " · " <span class="badge" id="chat-status">{move || status_label(chat.get().status)}</span>
        </p>
        <div class="conversation-layout">
            <section class="card conversation">
                <ol class="messages" id="messages" aria-live="polite" on:scroll=on_scroll>
                    {move || has_earlier.get().then(|| view! {
                        <li class="earlier">
                            <button type="button" class="button secondary small" id="load-earlier"
                                disabled=move || loading_earlier.get() on:click=move |_| load_earlier()>
                                {move || if loading_earlier.get() { "Loading…" } else { "Load earlier messages" }}
                            </button>
                        </li>
                    })}
                    {move || {
                    let list = messages.get();
                    // The last reply says whether the visitor has seen it.
                    let last_reply = list.iter().rev()
                        .find(|m| m.sender_type == SenderType::Admin && m.kind != MessageKind::Note)
                        .map(|m| m.seq);
                    let seen_up_to = chat.get().visitor_read_seq;
                    list.into_iter().map(move |m| {
                        if m.sender_type == SenderType::System {
                            return view! {
                                <li class="message system" class:found=found.get() == Some(m.seq) data-seq=m.seq>
                                    <span>{m.content}</span>" · "<span class="muted">{when(&m.created_at)}</span>
                                </li>
                            }.into_any();
                        }
                        let mine = m.sender_type == SenderType::Admin;
                        let note = m.kind == MessageKind::Note;
                        let who = if mine { agent_name(m.sender_id.as_deref()) } else { "Visitor".to_string() };
                        let who = if note { format!("Internal note · {who}") } else { who };
                        view! {
                            <li class="message" class:mine=mine class:visitor=!mine class:note=note class:found=found.get() == Some(m.seq) data-seq=m.seq>
                                <div class="bubble">{match m.attachment {
                                    Some(a) => view! { <AttachmentLink attachment=a/> }.into_any(),
                                    None => m.content.into_any(),
                                }}</div>
                                <div class="meta muted">
                                    {who}" · "{when(&m.created_at)}
                                    {(last_reply == Some(m.seq)).then(|| {
                                        let seen = m.seq <= seen_up_to;
                                        view! { " · "<span class="receipt" class:seen=seen id="reply-receipt">{if seen { "Seen" } else { "Sent" }}</span> }
                                    })}
                                </div>
                            </li>
                        }.into_any()
                    }).collect_view()
                    }}
                    {move || {
                        let chat = id.get_value();
                        rt.outbox.get().into_iter().filter(|m| m.chat_id == chat).map(|m| view! {
                            <li class="message mine pending" class:note=m.note data-client-msg-id=m.client_msg_id>
                                <div class="bubble">{m.content}</div>
                                <div class="meta muted">{if m.note { "Internal note · Sending…" } else { "Sending…" }}</div>
                            </li>
                        }).collect_view()
                    }}
                </ol>
                <p class="typing-line" id="visitor-typing">
                    {move || rt.typing.with(|t| t.contains_key(&typing_id)).then_some("The visitor is typing…")}
                </p>
                // What they have typed so far (when the website shows it): not sent yet, never stored.
                {move || rt.typing.with(|t| t.get(&preview_id).filter(|p| !p.is_empty()).cloned()).map(|p| view! {
                    <p class="typing-preview" id="typing-preview" title="Not sent yet">{p}</p>
                })}
                <div class="composer-modes" role="radiogroup" aria-label="Write">
                    <label class:active=move || !note_mode.get()>
                        <input type="radio" name="composer-mode" id="mode-reply" checked=move || !note_mode.get()
                            on:change=move |_| note_mode.set(false)/>
                        "Reply"
                    </label>
                    <label class:active=move || note_mode.get()>
                        <input type="radio" name="composer-mode" id="mode-note" checked=move || note_mode.get()
                            on:change=move |_| note_mode.set(true)/>
                        "Internal note"
                    </label>
                </div>
                {move || {
                    let found = matches.get();
                    (!found.is_empty()).then(|| view! {
                        <ul class="canned-menu" id="canned-menu" role="listbox" aria-label="Canned responses">
                            {found.into_iter().enumerate().map(|(i, c)| {
                                let chosen = c.clone();
                                view! {
                                    <li role="option" class:picked=move || picked.get() == i aria-selected=move || (picked.get() == i).to_string()
                                        on:mousedown=move |ev| { ev.prevent_default(); insert_canned(&chosen); }>
                                        <code>"/"{c.shortcut.clone()}</code>" "
                                        <span class="muted">{c.content.chars().take(80).collect::<String>()}</span>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    })
                }}
                <form class="composer" class:note=move || note_mode.get() id="composer" on:submit=on_submit>
                    <label class="attach button secondary small" title="Attach a file or image">
                        <input type="file" id="attach-file" aria-label="Attach a file or image" on:change=on_file/>
                        {move || if uploading.get() > 0 { "Uploading…" } else { "Attach" }}
                    </label>
                    <textarea id="reply" aria-label=move || if note_mode.get() { "Internal note" } else { "Reply" } rows="2"
                        placeholder=move || if note_mode.get() {
                            "Write a note only agents see…"
                        } else {
                            "Write a reply… (/ for canned responses, Enter sends, Shift+Enter for a new line)"
                        }
                        bind:value=draft on:input=on_input on:keydown=on_keydown maxlength="5000"></textarea>
                    <button type="submit" class="button primary" id="send-reply">
                        {move || if note_mode.get() { "Add note" } else { "Send" }}
                    </button>
                </form>
                // Said while the socket is down; gone once it is back and the outbox has gone out.
                <p class="form-error" id="reply-notice" role="status">
                    {move || (!rt.connected.get()).then(|| notice.get()).flatten()}
                </p>
                <p class="form-error" id="upload-error" role="alert">{move || upload_error.get()}</p>
            </section>
            <aside class="side">
                <section class="card">
                    <h2>"Chat"</h2>
                    <Transition fallback=|| ()>
                        {move || me.get().and_then(Result::ok).map(|me| {
                            let mine = chat.get().assigned_to.as_deref() == Some(me.id.as_str());
                            let me_id = me.id.clone();
                            view! {
                                {(!mine).then(|| view! {
                                    <button type="button" class="button primary small" id="accept-chat" on:click=move |_| assign(me_id.clone())>"Accept (assign to me)"</button>
                                })}
                            }
                        })}
                    </Transition>
                    <label for="assignee">"Assigned to"</label>
                    <select id="assignee" on:change:target=move |ev| assign(ev.target().value())>
                        <option value="" selected=move || chat.get().assigned_to.is_none()>"Nobody"</option>
                        {assignees.get_value().into_iter().map(|u| {
                            let uid = u.id.clone();
                            view! { <option value=u.id.clone() selected=move || chat.get().assigned_to.as_deref() == Some(uid.as_str())>{u.name.clone()}</option> }
                        }).collect_view()}
                    </select>
                    <details class="transfer" id="transfer">
                        <summary>"Transfer with a note"</summary>
                        <form class="form" id="transfer-form" on:submit=transfer>
                            <label for="transfer-to">"To"</label>
                            <select id="transfer-to" on:change:target=move |ev| transfer_to.set(ev.target().value())>
                                <option value="" selected=move || transfer_to.get().is_empty()>"Choose an agent"</option>
                                {assignees.get_value().into_iter().map(|u| {
                                    let uid = u.id.clone();
                                    view! { <option value=u.id.clone() selected=move || transfer_to.get() == uid>{u.name.clone()}</option> }
                                }).collect_view()}
                            </select>
                            <label for="transfer-note">"Note (agents only)"</label>
                            <textarea id="transfer-note" rows="2" bind:value=transfer_note maxlength="5000"></textarea>
                            <button type="submit" class="button secondary small" id="transfer-chat" disabled=move || transfer_to.get().is_empty()>"Transfer"</button>
                        </form>
                    </details>
                    <label for="resolution">"Resolution note"</label>
                    <textarea id="resolution" rows="2" bind:value=resolution maxlength="2000"></textarea>
                    <div class="row">
                        <button type="button" class="button secondary small" id="close-chat" on:click=move |_| set_status(ChatStatus::Closed)>"Close"</button>
                        <button type="button" class="button secondary small" id="resolve-chat" on:click=move |_| set_status(ChatStatus::Resolved)>"Resolve"</button>
                    </div>
                    <FormStatus error=action_error(update) fields=&[] saved=Signal::derive(|| false)/>
                </section>
                {view! {
                <section class="card" id="chat-labels">
                    <h2>"Labels"</h2>
                    <Transition fallback=|| ()>
                        {move || website_labels.get().and_then(Result::ok).map(|all| {
                            let on: Vec<String> = chat.get().labels;
                            let (mine, rest): (Vec<protocol::Label>, Vec<protocol::Label>) = all.into_iter().partition(|l| on.contains(&l.id));
                            let none_yet = mine.is_empty();
                            let nothing_to_add = rest.is_empty();
                            view! {
                                <div class="chips" id="chat-label-chips">
                                    {none_yet.then(|| view! { <span class="muted small">"None."</span> })}
                                    {mine.into_iter().map(|l| {
                                        let label_id = l.id.clone();
                                        let name = l.name.clone();
                                        view! {
                                            <span class="removable">
                                                <crate::pages::labels::LabelChip label=l/>
                                                <button type="button" class="link remove-label" aria-label=format!("Remove label {name}")
                                                    on:click=move |_| change_labels(Vec::new(), vec![label_id.clone()])>"×"</button>
                                            </span>
                                        }
                                    }).collect_view()}
                                </div>
                                {(!nothing_to_add).then(|| view! {
                                    <select id="add-label" aria-label="Add a label" on:change:target=move |ev| {
                                        let value = ev.target().value();
                                        if !value.is_empty() {
                                            change_labels(vec![value], Vec::new());
                                        }
                                    }>
                                        <option value="" selected=true>"Add a label…"</option>
                                        {rest.into_iter().map(|l| view! { <option value=l.id.clone()>{l.name.clone()}</option> }).collect_view()}
                                    </select>
                                })}
                            }
                        })}
                    </Transition>
                    <FormStatus error=action_error(set_labels) fields=&[] saved=Signal::derive(|| false)/>
                </section>
                }.into_any()}
                {rating.map(|r| view! {
                    <section class="card" id="chat-rating">
                        <h2>"Visitor's rating"</h2>
                        <p><span class="stars" aria-hidden="true">{"★".repeat(r.rating.clamp(0, 5) as usize)}{"☆".repeat((5 - r.rating.clamp(0, 5)) as usize)}</span>
                            " " <strong>{format!("{} out of 5", r.rating)}</strong> " · " <span class="muted small">{when(&r.at)}</span></p>
                        {r.comment.map(|c| view! { <blockquote id="chat-rating-comment">{c}</blockquote> })}
                    </section>
                }.into_any())}
                {view! {
                    <super::transcript::TranscriptCard chat_id=id.get_value()
                        visitor_email=Signal::derive(move || contact.get().email)/>
                }.into_any()}
                {view! {
                <section class="card visitor-panel" id="visitor-panel">
                    <h2>"Visitor " {move || if visitor_online() { view! { <span class="badge ok">"online"</span> } } else { view! { <span class="badge off">"offline"</span> } }}</h2>
                    <dl>
                        {visitor.customer_id.clone().map(|customer| view! {
                            <dt>"Customer"</dt>
                            <dd id="visitor-customer"><span class="badge ok" title="Signed in on the website: a verified identity token named them">"Verified"</span>" "<code>{customer}</code></dd>
                        })}
                        {move || contact.get().name.map(|name| view! { <dt>"Name"</dt><dd id="visitor-name">{name}</dd> })}
                        {move || contact.get().email.map(|email| view! {
                            <dt>"Email"</dt><dd id="visitor-email"><a href=format!("mailto:{email}")>{email.clone()}</a></dd>
                        })}
                        {visitor.consent.clone().map(|consent| view! {
                            <dt>"Consent"</dt>
                            <dd id="visitor-consent"><q>{consent.text}</q><br/><span class="muted small">"Ticked " {when(&consent.at)}</span></dd>
                        })}
                        <dt>"IP address"</dt><dd>{visitor.ip_address.clone().unwrap_or_else(|| "—".into())}</dd>
                        <dt>"Country"</dt><dd>{visitor.country.clone().unwrap_or_else(|| "—".into())}</dd>
                        <dt>"Browser"</dt><dd id="visitor-browser">{visitor.browser.clone().unwrap_or_else(|| "Unknown".into())}</dd>
                        <dt>"System"</dt><dd id="visitor-os">{visitor.os.clone().unwrap_or_else(|| "Unknown".into())}</dd>
                        {visitor.user_agent.clone().map(|ua| view! {
                            <dt class="visually-hidden">"User-Agent"</dt>
                            <dd><details class="small" id="visitor-user-agent"><summary>"User-Agent"</summary><code>{ua}</code></details></dd>
                        })}
                        <dt>"Current page"</dt><dd class="small" id="current-page">{move || current_page().unwrap_or_else(|| "—".into())}</dd>
                        <dt>"First seen"</dt><dd>{when(&visitor.first_seen)}</dd>
                        <dt>"Last seen"</dt><dd>{when(&visitor.last_seen)}</dd>
                    </dl>
                    {move || if editing_contact.get() {
                        view! {
                            <form class="form" id="visitor-contact-form" on:submit=save_contact>
                                <label for="visitor-name-input">"Name"</label>
                                <input id="visitor-name-input" bind:value=name_draft maxlength="100"/>
                                <FieldError error=action_error(save_visitor) field="name"/>
                                <label for="visitor-email-input">"Email"</label>
                                <input id="visitor-email-input" type="email" bind:value=email_draft maxlength="255"/>
                                <FieldError error=action_error(save_visitor) field="email"/>
                                <div class="row">
                                    <button type="submit" class="button primary small" id="save-visitor">"Save"</button>
                                    <button type="button" class="button secondary small" on:click=move |_| editing_contact.set(false)>"Cancel"</button>
                                </div>
                            </form>
                        }.into_any()
                    } else {
                        view! {
                            <button type="button" class="button secondary small" id="edit-visitor" on:click=move |_| {
                                let c = contact.get_untracked();
                                name_draft.set(c.name.unwrap_or_default());
                                email_draft.set(c.email.unwrap_or_default());
                                editing_contact.set(true);
                            }>"Edit name and email"</button>
                        }.into_any()
                    }}
                    <h3>"Pages visited"</h3>
                    {move || {
                        let live = current_page();
                        let mut pages: Vec<(String, Option<String>)> = visitor_pages.with_value(|p| p.iter().map(|p| (p.url.clone(), p.title.clone())).collect());
                        if let Some(url) = live.filter(|u| pages.first().is_none_or(|(first, _)| first != u)) {
                            pages.insert(0, (url, None));
                        }
                        if pages.is_empty() {
                            view! { <p class="muted">"None reported yet."</p> }.into_any()
                        } else {
                            view! {
                                <ol class="pages small" id="visitor-pages">
                                    {pages.into_iter().map(|(url, title)| view! { <li title=url.clone()>{title.unwrap_or_else(|| url.clone())}</li> }).collect_view()}
                                </ol>
                            }.into_any()
                        }
                    }}
                    <h3>"Past chats"</h3>
                    {if visitor.past_chats.is_empty() {
                        view! { <p class="muted">"None."</p> }.into_any()
                    } else {
                        view! {
                            <ul>{visitor.past_chats.iter().map(|c| view! {
                                <li><a href=format!("/admin/chats/{}", c.id)>{when(&c.started_at)}</a>" · "{status_label(c.status)}</li>
                            }).collect_view()}</ul>
                        }.into_any()
                    }}
                    // A resource read outside Suspense/Transition can render differently on each side and stop hydration.
                    <Transition fallback=|| ()>
                        {move || me.get().and_then(Result::ok).filter(|u| u.role.rank() >= protocol::Role::Admin.rank()).map(|_| view! {
                            <super::privacy::VisitorData visitor_id=visitor_id_for_data.get_value()/>
                        })}
                    </Transition>
                </section>
                }.into_any()}
            </aside>
        </div>
    }
    .into_any()
}

/// `12345` → `12 KB`.
fn size_label(bytes: i64) -> String {
    match bytes {
        b if b >= 1024 * 1024 => format!("{:.1} MB", b as f64 / (1024.0 * 1024.0)),
        b if b >= 1024 => format!("{} KB", b / 1024),
        b => format!("{b} B"),
    }
}

/// A file or image of the chat: images as a thumbnail, both linking to the download (the cookie authorises it).
#[component]
fn AttachmentLink(attachment: protocol::Attachment) -> impl IntoView {
    let href = format!("/api/attachments/{}", attachment.id);
    if attachment.thumbnail {
        let src = format!("{href}/thumbnail");
        view! {
            <a class="attachment image" href=href title=attachment.name.clone()>
                <img src=src alt=attachment.name.clone() loading="lazy"/>
            </a>
        }
        .into_any()
    } else {
        view! {
            <a class="attachment file" href=href>
                "📎 "{attachment.name.clone()}" ("{size_label(attachment.size)}")"
            </a>
        }
        .into_any()
    }
}

/// Sends a file to the chat; the message itself arrives on the socket like any other.
#[cfg(feature = "hydrate")]
async fn upload_file(chat_id: String, file: web_sys::File, uploading: RwSignal<u32>, error: RwSignal<Option<String>>) {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    uploading.update(|n| *n += 1);
    error.set(None);
    let result: Result<(), String> = async {
        let fail = |_| "The file could not be sent. Check your connection.".to_string();
        let form = web_sys::FormData::new().map_err(fail)?;
        form.append_with_blob("file", &file).map_err(fail)?;
        form.append_with_str("clientMsgId", &crate::realtime::client_msg_id()).map_err(fail)?;
        let init = web_sys::RequestInit::new();
        init.set_method("POST");
        init.set_body(&form);
        let window = web_sys::window().ok_or("No window.")?;
        let url = format!("/api/chats/{chat_id}/attachments");
        let res: web_sys::Response = JsFuture::from(window.fetch_with_str_and_init(&url, &init))
            .await
            .map_err(fail)?
            .dyn_into()
            .map_err(fail)?;
        if res.ok() {
            return Ok(());
        }
        let body = match res.json() {
            Ok(p) => JsFuture::from(p).await.ok(),
            Err(_) => None,
        };
        let message = body
            .and_then(|b| js_sys::Reflect::get(&b, &"message".into()).ok())
            .and_then(|m| m.as_string())
            .unwrap_or_else(|| format!("The file could not be sent ({}).", res.status()));
        Err(message)
    }
    .await;
    if let Err(message) = result {
        error.set(Some(message));
    }
    uploading.update(|n| *n = n.saturating_sub(1));
}
