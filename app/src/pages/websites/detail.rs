//! One website: its details, API key and embed code, and the widget editor with its live preview.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};
use protocol::{
    BusinessHours, PrechatField, PrechatForm, TimeRange, Website, WebsiteForUpdate, WidgetLanguage, WidgetPosition,
    WidgetSettings, WidgetSize, WidgetTranslation, DAY_NAMES,
};

use super::list::split_domains;
use super::{get_website, get_widget_settings, DeleteWebsite, RotateWebsiteKey, SaveWidgetSettings, UpdateWebsite};
use crate::components::form::{action_error, action_ok, page_status, FieldError, FormStatus, LoadError};
use crate::error::AppError;
use crate::pages::PageHeader;
use crate::preview::widget_preview_html;
use crate::shared::confirm;

#[component]
pub fn WebsitePage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    // Blocking: the response waits for the data, so a website that does not exist is answered with a 404 status.
    let data = Resource::new_blocking(id, |id| async move {
        let result = async {
            let website = get_website(id.clone()).await?;
            let settings = get_widget_settings(id).await?;
            Ok::<_, AppError>((website, settings))
        }
        .await;
        page_status(&result);
        result
    });
    let query = use_query_map();
    let analytics_tab = move || query.read().get("tab").as_deref() == Some("analytics");
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || data.get().map(|res| match res {
                Ok((website, settings)) if analytics_tab() => view! {
                    <PageHeader title="Website"/>
                    <p class="lead"><strong id="website-title">{website.name.clone()}</strong></p>
                    <WebsiteTabs id=website.id.clone() analytics=true/>
                    <crate::pages::analytics::Analytics website=website.id.clone()/>
                    {let _ = settings;}
                }.into_any(),
                Ok((website, settings)) => view! { <WebsiteEditor website settings/> }.into_any(),
                Err(e) => view! { <PageHeader title="Website"/><LoadError error=e/> }.into_any(),
            })}
        </Transition>
    }
    .into_any()
}

/// Settings and analytics of one website, as tabs (links, so each has its own URL).
#[component]
fn WebsiteTabs(id: String, analytics: bool) -> impl IntoView {
    let base = format!("/admin/websites/{id}");
    view! {
        <nav class="tabs" aria-label="Website sections">
            <a href=base.clone() class:active=!analytics aria-current=(!analytics).then_some("page")>"Settings"</a>
            <a href=format!("{base}?tab=analytics") class:active=analytics aria-current=analytics.then_some("page") id="tab-analytics">"Analytics"</a>
        </nav>
    }
}

fn format_day(ranges: &[TimeRange]) -> String {
    ranges.iter().map(|r| format!("{}-{}", r.start, r.end)).collect::<Vec<_>>().join(", ")
}

/// `"09:00-12:00, 13:00-17:00"` → ranges; malformed pieces are kept so the server can say what is wrong.
fn parse_day(text: &str) -> Vec<TimeRange> {
    text.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|piece| match piece.split_once('-') {
            Some((start, end)) => TimeRange { start: start.trim().into(), end: end.trim().into() },
            None => TimeRange { start: piece.into(), end: String::new() },
        })
        .collect()
}

const TIMEZONES: [&str; 16] = [
    "UTC",
    "Europe/London",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Madrid",
    "Europe/Moscow",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Africa/Johannesburg",
];

/// How new chats find an agent: manual, or auto with a capacity per agent.
#[component]
fn RoutingCard(website: Website, can_manage: bool) -> impl IntoView {
    let routing = RwSignal::new(website.routing);
    let capacity = RwSignal::new(website.agent_capacity.to_string());
    let typing_preview = RwSignal::new(website.typing_preview);
    let save = ServerAction::<UpdateWebsite>::new();
    let error = action_error(save);
    let id = StoredValue::new(website.id.clone());
    let on_save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch(UpdateWebsite {
            id: id.get_value(),
            input: WebsiteForUpdate {
                routing: Some(routing.get_untracked()),
                // Not a number: out of range, so the server names the field.
                agent_capacity: Some(capacity.get_untracked().trim().parse().unwrap_or(0)),
                typing_preview: Some(typing_preview.get_untracked()),
                ..Default::default()
            },
        });
    };
    view! {
        <section class="card" id="routing-card">
            <h2>"Routing and typing preview"</h2>
            <p class="hint">"Automatic: each new chat goes to the next online agent with room, in turn; when nobody has room it waits in a queue and the visitor sees their place. A chat whose agent has gone offline goes back to the queue after a grace period (two minutes unless the server's HELPDESK_ROUTING_GRACE_SECS says otherwise)."</p>
            <form class="form grid-form" id="routing-form" on:submit=on_save>
                <fieldset disabled=!can_manage>
                    <label for="routing-mode">"New chats"</label>
                    <select id="routing-mode" on:change=move |ev| {
                        if let Some(r) = protocol::Routing::parse(&event_target_value(&ev)) {
                            routing.set(r);
                        }
                    }>
                        <option value="manual" selected=move || routing.get() == protocol::Routing::Manual>"Manual: agents take them from the inbox"</option>
                        <option value="auto" selected=move || routing.get() == protocol::Routing::Auto>"Automatic: round-robin to online agents"</option>
                    </select>
                    <label for="agent-capacity">"Open chats per agent (automatic)"</label>
                    <input id="agent-capacity" type="number" min="1" max=protocol::MAX_AGENT_CAPACITY.to_string() bind:value=capacity/>
                    <FieldError error=error field="agentCapacity"/>
                    <label class="check">
                        <input type="checkbox" id="typing-preview" bind:checked=typing_preview/>
                        "Agents see what visitors type before they send it"
                    </label>
                    <p class="hint">"Off, agents see only that the visitor is typing. Either way nothing is stored until it is sent."</p>
                    <FormStatus error=error fields=&["agentCapacity"] saved=action_ok(save)/>
                    {can_manage.then(|| view! { <div><button type="submit" class="button primary" id="save-routing">"Save"</button></div> })}
                </fieldset>
            </form>
        </section>
    }
    .into_any()
}

/// What the website emails: its team about chats left waiting, its visitors their transcript on resolution.
#[component]
fn EmailCard(website: Website, can_manage: bool) -> impl IntoView {
    let minutes = RwSignal::new(website.missed_chat_minutes.to_string());
    let on_resolve = RwSignal::new(website.transcript_on_resolve);
    let save = ServerAction::<UpdateWebsite>::new();
    let error = action_error(save);
    let id = StoredValue::new(website.id.clone());
    let on_save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch(UpdateWebsite {
            id: id.get_value(),
            input: WebsiteForUpdate {
                // Not a number: out of range, so the server names the field.
                missed_chat_minutes: Some(minutes.get_untracked().trim().parse().unwrap_or(u16::MAX)),
                transcript_on_resolve: Some(on_resolve.get_untracked()),
                ..Default::default()
            },
        });
    };
    view! {
        <section class="card" id="email-card">
            <h2>"Email"</h2>
            <p class="hint">"Offline messages always go to the website's owner and agents. Sent only when the server has an SMTP server (see Email in the menu)."</p>
            <form class="form grid-form" id="email-form" on:submit=on_save>
                <fieldset disabled=!can_manage>
                    <label for="missed-chat-minutes">"Email the team when a chat waits (minutes, 0 never)"</label>
                    <input id="missed-chat-minutes" type="number" min="0" max=protocol::MAX_MISSED_CHAT_MINUTES.to_string() bind:value=minutes/>
                    <FieldError error=error field="missedChatMinutes"/>
                    <label class="check">
                        <input type="checkbox" id="transcript-on-resolve" bind:checked=on_resolve/>
                        "Email visitors their transcript when a chat is resolved"
                    </label>
                    <p class="hint">"Only visitors who left an email address get it; internal notes are never in it."</p>
                    <FormStatus error=error fields=&["missedChatMinutes"] saved=action_ok(save)/>
                    {can_manage.then(|| view! { <div><button type="submit" class="button primary" id="save-email">"Save"</button></div> })}
                </fieldset>
            </form>
        </section>
    }
    .into_any()
}

/// How long the website keeps ended chats, their files and its visitors' page views.
#[component]
fn RetentionCard(website: Website, can_manage: bool) -> impl IntoView {
    let days = RwSignal::new(website.retention_days.to_string());
    let save = ServerAction::<UpdateWebsite>::new();
    let error = action_error(save);
    let id = StoredValue::new(website.id.clone());
    let on_save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch(UpdateWebsite {
            id: id.get_value(),
            input: WebsiteForUpdate {
                // Not a number: out of range, so the server names the field.
                retention_days: Some(days.get_untracked().trim().parse().unwrap_or(u16::MAX)),
                ..Default::default()
            },
        });
    };
    view! {
        <section class="card" id="retention-card">
            <h2>"Data retention"</h2>
            <p class="hint">"Closed and resolved chats untouched for longer are deleted with their messages and files, once an hour; so are page views and visitors with no chat left. Open chats are never deleted."</p>
            <form class="form grid-form" id="retention-form" on:submit=on_save>
                <fieldset disabled=!can_manage>
                    <label for="retention-days">"Keep ended chats for (days, 0 for ever)"</label>
                    <input id="retention-days" type="number" min="0" max=protocol::MAX_RETENTION_DAYS.to_string() bind:value=days/>
                    <FieldError error=error field="retentionDays"/>
                    <FormStatus error=error fields=&["retentionDays"] saved=action_ok(save)/>
                    {can_manage.then(|| view! { <div><button type="submit" class="button primary" id="save-retention">"Save"</button></div> })}
                </fieldset>
            </form>
        </section>
    }
    .into_any()
}

/// Off, optional or required, for one field of the pre-chat form.
#[component]
fn PrechatSelect(id: &'static str, label: &'static str, value: RwSignal<PrechatField>) -> impl IntoView {
    view! {
        <label for=id>{label}</label>
        <select id=id on:change:target=move |ev| value.set(PrechatField::parse(&ev.target().value()).unwrap_or_default())>
            {[(PrechatField::Off, "Not asked"), (PrechatField::Optional, "Optional"), (PrechatField::Required, "Required")]
                .into_iter()
                .map(|(field, text)| view! { <option value=field.as_str() selected=move || value.get() == field>{text}</option> })
                .collect_view()}
        </select>
    }
}

#[component]
fn WebsiteEditor(website: Website, settings: WidgetSettings) -> impl IntoView {
    let id = website.id.clone();
    let can_manage = website.can_manage;
    let current = RwSignal::new(website.clone());

    // General
    let name = RwSignal::new(website.name.clone());
    let domains = RwSignal::new(website.domains.join("\n"));
    let description = RwSignal::new(website.description.clone().unwrap_or_default());
    let is_active = RwSignal::new(website.is_active);
    let update = ServerAction::<UpdateWebsite>::new();
    let rotate = ServerAction::<RotateWebsiteKey>::new();
    let delete = ServerAction::<DeleteWebsite>::new();
    Effect::new(move |_| {
        if let Some(Ok(w)) = update.value().get().or_else(|| rotate.value().get()) {
            current.set(w);
        }
    });
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            navigate("/admin/websites", Default::default());
        }
    });

    // Widget settings
    let color = RwSignal::new(settings.primary_color.clone());
    let position = RwSignal::new(settings.position);
    let size = RwSignal::new(settings.widget_size);
    let welcome = RwSignal::new(settings.welcome_message.clone());
    let offline = RwSignal::new(settings.offline_message.clone());
    let css = RwSignal::new(settings.custom_css.clone());
    let hours_enabled = RwSignal::new(settings.business_hours.enabled);
    let offline_without_agents = RwSignal::new(settings.business_hours.offline_when_no_agents);
    let timezone = RwSignal::new(settings.business_hours.timezone.clone());
    let days: Vec<RwSignal<String>> = (0..7)
        .map(|i| RwSignal::new(settings.business_hours.days.get(i).map(|d| format_day(d)).unwrap_or_default()))
        .collect();
    let days = StoredValue::new(days);
    let prechat_name = RwSignal::new(settings.prechat.name);
    let prechat_email = RwSignal::new(settings.prechat.email);
    let prechat_question = RwSignal::new(settings.prechat.question);
    let prechat_consent = RwSignal::new(settings.prechat.consent.clone());
    let language = RwSignal::new(settings.language);
    // Per language the widget speaks: the admin's own welcome and offline texts (empty: the usual ones).
    let translations: Vec<(WidgetLanguage, RwSignal<String>, RwSignal<String>)> = WidgetLanguage::SPOKEN
        .iter()
        .map(|&lang| {
            let own = settings.translations.iter().find(|t| t.language == lang);
            (
                lang,
                RwSignal::new(own.map(|t| t.welcome_message.clone()).unwrap_or_default()),
                RwSignal::new(own.map(|t| t.offline_message.clone()).unwrap_or_default()),
            )
        })
        .collect();
    let translations = StoredValue::new(translations);
    let preview_online = RwSignal::new(true);
    let save = ServerAction::<SaveWidgetSettings>::new();

    let edited = move || WidgetSettings {
        primary_color: color.get(),
        position: position.get(),
        welcome_message: welcome.get(),
        business_hours: BusinessHours {
            enabled: hours_enabled.get(),
            timezone: timezone.get(),
            days: days.with_value(|d| d.iter().map(|s| parse_day(&s.get())).collect()),
            offline_when_no_agents: offline_without_agents.get(),
        },
        offline_message: offline.get(),
        custom_css: css.get(),
        widget_size: size.get(),
        prechat: PrechatForm {
            name: prechat_name.get(),
            email: prechat_email.get(),
            question: prechat_question.get(),
            consent: prechat_consent.get(),
        },
        language: language.get(),
        translations: translations.with_value(|all| {
            all.iter()
                .map(|(lang, welcome, offline)| WidgetTranslation {
                    language: *lang,
                    welcome_message: welcome.get(),
                    offline_message: offline.get(),
                })
                .filter(|t| !t.welcome_message.trim().is_empty() || !t.offline_message.trim().is_empty())
                .collect()
        }),
    };
    let preview = move || widget_preview_html(&edited(), preview_online.get());

    let general_error = action_error(update);
    let settings_error = action_error(save);
    let id_for_general = id.clone();
    let on_general = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        update.dispatch(UpdateWebsite {
            id: id_for_general.clone(),
            input: WebsiteForUpdate {
                name: Some(name.get_untracked()),
                domains: Some(split_domains(&domains.get_untracked())),
                description: Some(description.get_untracked()),
                is_active: Some(is_active.get_untracked()),
                ..Default::default()
            },
        });
    };
    let id_for_settings = id.clone();
    let on_settings = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch(SaveWidgetSettings { id: id_for_settings.clone(), settings: edited() });
    };
    let id_for_rotate = id.clone();
    let on_rotate = move |_| {
        if confirm("Issue a new API key? The current key stops working at once; update the embed code on your website.")
        {
            rotate.dispatch(RotateWebsiteKey { id: id_for_rotate.clone() });
        }
    };
    let id_for_delete = id.clone();
    let on_delete = move |_| {
        if confirm("Delete this website with all its chats? This cannot be undone.") {
            delete.dispatch(DeleteWebsite { id: id_for_delete.clone() });
        }
    };
    let copied = RwSignal::new(false);
    let on_copy = move |_| {
        let code = current.get_untracked().embed_code;
        if let Some(window) = web_sys::window() {
            let _ = window.navigator().clipboard().write_text(&code);
            copied.set(true);
        }
    };

    view! {
        <PageHeader title="Website"/>
        <p class="lead"><strong id="website-title">{move || current.get().name}</strong>
            {move || (!current.get().is_active).then(|| view! { " " <span class="badge off">"Inactive"</span> })}
        </p>
        <WebsiteTabs id=id.clone() analytics=false/>
        {(!can_manage).then(|| view! { <p class="notice">"You can see this website's settings; its owner or a super admin can change them."</p> })}

        <section class="card">
            <h2>"Embed code"</h2>
            <p class="hint">"Paste this before </body> on every page of the website."</p>
            <textarea id="embed-code" class="code" readonly rows="2" aria-label="Embed code" prop:value=move || current.get().embed_code></textarea>
            <div class="row">
                <button type="button" class="button secondary" id="copy-embed" on:click=on_copy>
                    {move || if copied.get() { "Copied" } else { "Copy embed code" }}
                </button>
                <span class="muted">"API key: " <code id="api-key">{move || current.get().api_key}</code></span>
                {can_manage.then(|| view! {
                    <button type="button" class="button secondary" id="rotate-key" on:click=on_rotate>"Rotate key"</button>
                })}
            </div>
        </section>

        <section class="card">
            <h2>"General"</h2>
            <form class="form grid-form" id="website-general-form" on:submit=on_general>
                <fieldset disabled=!can_manage>
                    <label for="general-name">"Name"</label>
                    <input id="general-name" bind:value=name maxlength="255"/>
                    <FieldError error=general_error field="name"/>
                    <label for="general-domains">"Allowed domains"</label>
                    <textarea id="general-domains" bind:value=domains rows="3"></textarea>
                    <FieldError error=general_error field="domains"/>
                    <label for="general-description">"Description"</label>
                    <textarea id="general-description" bind:value=description rows="2"></textarea>
                    <FieldError error=general_error field="description"/>
                    <label class="check"><input type="checkbox" id="general-active" bind:checked=is_active/>" Active (the widget works on the allowed domains)"</label>
                    <FormStatus error=general_error fields=&["name", "domains", "description"] saved=action_ok(update)/>
                    {can_manage.then(|| view! { <div><button type="submit" class="button primary" id="save-general">"Save"</button></div> })}
                </fieldset>
            </form>
        </section>

        <RoutingCard website=website.clone() can_manage/>
        <EmailCard website=website.clone() can_manage/>
        <RetentionCard website=website.clone() can_manage/>

        <section class="card settings-layout">
            <form class="form grid-form" id="widget-settings-form" on:submit=on_settings>
                <h2>"Widget"</h2>
                <fieldset disabled=!can_manage>
                    <label for="primary-color">"Primary color"</label>
                    <div class="row">
                        <input type="color" id="primary-color-picker" aria-label="Pick a color" prop:value=move || color.get() on:input:target=move |ev| color.set(ev.target().value())/>
                        <input id="primary-color" bind:value=color maxlength="7" size="8"/>
                    </div>
                    <FieldError error=settings_error field="primaryColor"/>
                    {move || {
                        let color = color.get();
                        protocol::contrast_with_white(&color).filter(|c| *c < 4.5).map(|c| {
                            let then = if protocol::text_on(&color) == "#ffffff" {
                                "dark text would be no better: choose a darker or a lighter color."
                            } else {
                                "so the widget writes on it in dark text."
                            };
                            view! { <p class="hint" id="color-contrast">{format!("White text on this color is hard to read ({c:.1}:1; 4.5:1 is needed): {then}")}</p> }
                        })
                    }}
                    <label for="position">"Position"</label>
                    <select id="position" on:change:target=move |ev| position.set(WidgetPosition::parse(&ev.target().value()).unwrap_or(WidgetPosition::BottomRight))>
                        <option value=WidgetPosition::BottomRight.as_str() selected=move || position.get() == WidgetPosition::BottomRight>"Bottom right"</option>
                        <option value=WidgetPosition::BottomLeft.as_str() selected=move || position.get() == WidgetPosition::BottomLeft>"Bottom left"</option>
                    </select>
                    <label for="widget-size">"Size"</label>
                    <select id="widget-size" on:change:target=move |ev| size.set(WidgetSize::parse(&ev.target().value()).unwrap_or(WidgetSize::Normal))>
                        <option value=WidgetSize::Normal.as_str() selected=move || size.get() == WidgetSize::Normal>"Normal"</option>
                        <option value=WidgetSize::Compact.as_str() selected=move || size.get() == WidgetSize::Compact>"Compact"</option>
                    </select>
                    <label for="welcome-message">"Welcome message"</label>
                    <textarea id="welcome-message" bind:value=welcome rows="2" maxlength="500"></textarea>
                    <FieldError error=settings_error field="welcomeMessage"/>
                    <label for="offline-message">"Offline message"</label>
                    <textarea id="offline-message" bind:value=offline rows="2" maxlength="500"></textarea>
                    <FieldError error=settings_error field="offlineMessage"/>

                    <h3>"Business hours"</h3>
                    <label class="check"><input type="checkbox" id="hours-enabled" bind:checked=hours_enabled/>" Only online during these hours (otherwise always online)"</label>
                    <label class="check"><input type="checkbox" id="offline-without-agents" bind:checked=offline_without_agents/>" Also offline while no agent is signed in to the dashboard"</label>
                    <label for="timezone">"Time zone"</label>
                    <input id="timezone" list="timezones" bind:value=timezone/>
                    <datalist id="timezones">{TIMEZONES.iter().map(|tz| view! { <option value=*tz></option> }).collect_view()}</datalist>
                    <FieldError error=settings_error field="timezone"/>
                    <div class="hours">
                        {DAY_NAMES.iter().enumerate().map(|(i, day)| {
                            let signal = days.with_value(|d| d[i]);
                            let input_id = format!("hours-{}", day.to_lowercase());
                            view! {
                                <label for=input_id.clone()>{*day}</label>
                                <input id=input_id bind:value=signal placeholder="closed — or 09:00-12:00, 13:00-17:00"/>
                            }
                        }).collect_view()}
                    </div>
                    <FieldError error=settings_error field="businessHours"/>

                    <h3>"Language"</h3>
                    <label for="widget-language">"Widget language"</label>
                    <select id="widget-language" on:change:target=move |ev| language.set(WidgetLanguage::parse(&ev.target().value()).unwrap_or_default())>
                        {WidgetLanguage::ALL.iter().map(|&lang| view! {
                            <option value=lang.as_str() selected=move || language.get() == lang>{lang.label()}</option>
                        }).collect_view()}
                    </select>
                    <p class="hint">"Every text of the widget, in English, Deutsch, Français, Español, Português or العربية (right to left). With the browser's language, visitors whose browser asks for none of these get English."</p>
                    <details id="widget-translations">
                        <summary>"Welcome and offline texts per language"</summary>
                        <p class="hint">"Left empty, a visitor sees the texts above — in their language while those are still the defaults."</p>
                        {translations.with_value(|all| all.iter().map(|&(lang, welcome, offline)| {
                            let (w_id, o_id) = (format!("welcome-{}", lang.as_str()), format!("offline-{}", lang.as_str()));
                            view! {
                                <fieldset class="translation" lang=lang.as_str() dir=if lang.rtl() { "rtl" } else { "ltr" }>
                                    <legend>{lang.label()}</legend>
                                    <label for=w_id.clone()>"Welcome message"</label>
                                    <textarea id=w_id bind:value=welcome rows="2" maxlength="500"></textarea>
                                    <label for=o_id.clone()>"Offline message"</label>
                                    <textarea id=o_id bind:value=offline rows="2" maxlength="500"></textarea>
                                </fieldset>
                            }
                        }).collect_view())}
                    </details>
                    <FieldError error=settings_error field="translations"/>

                    <h3>"Pre-chat form"</h3>
                    <p class="hint">"Asked before a visitor's first message while the website is online. Name and email land on the visitor; the question is the chat's first message."</p>
                    <PrechatSelect id="prechat-name" label="Name" value=prechat_name/>
                    <PrechatSelect id="prechat-email" label="Email" value=prechat_email/>
                    <PrechatSelect id="prechat-question" label="Question" value=prechat_question/>
                    <label for="prechat-consent">"Consent checkbox"</label>
                    <textarea id="prechat-consent" bind:value=prechat_consent rows="2" maxlength="500" placeholder="Leave empty for no checkbox — e.g. I agree that my messages are stored to answer me."></textarea>
                    <FieldError error=settings_error field="prechatConsent"/>

                    <label for="custom-css">"Custom CSS"</label>
                    <textarea id="custom-css" class="code" bind:value=css rows="4" placeholder=".hd-head { font-family: Georgia, serif; }"></textarea>
                    <p class="hint">"Applies inside the widget only; it cannot reach your page."</p>
                    <FieldError error=settings_error field="customCss"/>
                    <FormStatus error=settings_error fields=&["primaryColor", "welcomeMessage", "offlineMessage", "timezone", "businessHours", "translations", "prechatConsent", "customCss"] saved=action_ok(save)/>
                    {can_manage.then(|| view! { <div><button type="submit" class="button primary" id="save-settings" disabled=move || save.pending().get()>"Save widget settings"</button></div> })}
                </fieldset>
            </form>
            <div class="preview">
                <div class="row">
                    <h2>"Preview"</h2>
                    <label class="check"><input type="checkbox" id="preview-online" bind:checked=preview_online/>" Online"</label>
                </div>
                <iframe id="widget-preview" title="Widget preview" sandbox="" srcdoc=preview></iframe>
            </div>
        </section>

        <crate::pages::labels::LabelsCard website_id=id.clone() can_manage/>
        {can_manage.then(|| view! { <crate::pages::identity::IdentityCard website=website.clone()/> })}
        {can_manage.then(|| view! { <crate::pages::webhooks::WebhooksCard website_id=id.clone()/> })}

        {can_manage.then(|| view! {
            <section class="card danger">
                <h2>"Delete website"</h2>
                <p class="hint">"Removes the website with its widget settings, visitors, chats and messages."</p>
                <FormStatus error=action_error(delete) fields=&[] saved=Signal::derive(|| false)/>
                <button type="button" class="button danger" id="delete-website" on:click=on_delete>"Delete website"</button>
            </section>
        })}
    }.into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_text_round_trips_and_keeps_malformed_pieces() {
        let ranges = parse_day("09:00-12:00, 13:00 - 17:30");
        assert_eq!(format_day(&ranges), "09:00-12:00, 13:00-17:30");
        assert_eq!(parse_day(""), vec![]);
        assert_eq!(parse_day("9am"), vec![TimeRange { start: "9am".into(), end: String::new() }]);
        assert_eq!(split_domains("a.com, b.com\n\n*.c.com"), vec!["a.com", "b.com", "*.c.com"]);
    }
}
