/*! Helpdesk widget forms: the offline form, the pre-chat form, "Email me this chat" and the rating after a chat.
 The chat (WASM) imports this module the first time one of them is shown and calls show(ctx); ctx carries the
 widget's config, the elements to fill and done(action, value), the chat's side (its state, a chat begun, the
 pre-chat answers given). Everything user-written goes into the page as text. */
const CSS = __FORMS_CSS__;

const el = (tag, cls, text) => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text != null) e.textContent = text;
  return e;
};
const fill = (s, key, value) => s.split(key).join(value);

function tr(ctx, english) {
  return (ctx.config.strings || {})[english] || english;
}

async function post(ctx, path, body, token) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = 'Bearer ' + token;
  const res = await fetch(ctx.base + path + '?apiKey=' + encodeURIComponent(ctx.key), {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
  });
  let data = null;
  try { data = await res.json(); } catch (e) { /* no JSON body */ }
  return [res.status, data];
}

/** Sends `body`; on `ok` calls `then(data)`, otherwise says why in `error`, marking and focusing the field at fault. */
async function submit(ctx, form, error, path, body, token, ok, then, fallback) {
  error.textContent = '';
  form.querySelectorAll('[aria-invalid]').forEach((f) => f.removeAttribute('aria-invalid'));
  let status, data;
  try {
    [status, data] = await post(ctx, path, body, token);
  } catch (e) {
    error.textContent = tr(ctx, 'No connection. Try again in a moment.');
    return;
  }
  if (status === ok) return then(data);
  error.textContent = (data && data.message) || tr(ctx, fallback);
  const field = data && data.field && form.querySelector('[name="' + data.field + '"]');
  if (field) {
    field.setAttribute('aria-invalid', 'true');
    field.focus();
  }
}

function style(ctx) {
  const root = ctx.form.getRootNode();
  if (root.querySelector('.hd-forms')) return;
  // Before the site's custom CSS, so that can still restyle the forms.
  root.insertBefore(el('style', 'hd-forms', CSS), root.querySelector('.hd-custom') || ctx.form.closest('.hd-panel'));
}

/** A labelled input (or textarea when `kind` is empty). */
function field(ctx, name, label, kind, max, required) {
  const l = el('label');
  l.appendChild(el('span', '', label));
  const f = el(kind ? 'input' : 'textarea');
  f.name = name;
  f.maxLength = max;
  f.required = required;
  if (kind) {
    f.type = kind;
    f.autocomplete = name;
  } else {
    f.rows = 3;
  }
  l.appendChild(f);
  return l;
}

function scroll(ctx) {
  ctx.log.scrollTop = ctx.log.scrollHeight;
}

function focusForm(ctx) {
  if (ctx.open && !ctx.form.hidden) {
    const f = ctx.form.querySelector('input,textarea');
    if (f) f.focus();
  }
}

function offline(ctx) {
  const form = ctx.form;
  form.classList.add('hd-offline');
  form.appendChild(el('p', 'hd-form-note', ctx.config.offlineMessage || ''));
  form.appendChild(field(ctx, 'name', tr(ctx, 'Your name'), 'text', 100, true));
  form.appendChild(field(ctx, 'email', tr(ctx, 'Your email'), 'email', 255, true));
  form.appendChild(field(ctx, 'message', tr(ctx, 'Your message'), '', 5000, true));
  const error = form.appendChild(el('p', 'hd-error'));
  error.setAttribute('role', 'alert');
  form.appendChild(el('button', 'hd-send', tr(ctx, 'Leave a message'))).type = 'submit';
  form.onsubmit = (e) => {
    e.preventDefault();
    const value = (n) => form.querySelector('[name=' + n + ']').value;
    const [name, email] = [value('name').trim(), value('email').trim()];
    const now = ctx.done('state');
    const body = { visitorToken: now.token, identityToken: now.identity, name, email, message: value('message') };
    submit(ctx, form, error, '/api/widget/offline', body, null, 201, (data) => {
      // The message is now the conversation (it also arrives on the socket); the thanks goes below it.
      ctx.done('adopt', { token: data.visitorToken, chatId: data.chatId });
      const text = fill(fill(tr(ctx, 'Thank you, {name}! We will answer at {email}.'), '{name}', name), '{email}', email);
      ctx.log.appendChild(el('li', 'hd-m hd-system hd-thanks', text));
      scroll(ctx);
    }, 'Your message could not be sent.');
  };
}

function prechat(ctx) {
  const form = ctx.form;
  const asked = ctx.config.prechat || {};
  form.classList.add('hd-prechat');
  for (const [name, label, kind, max] of [
    ['name', 'Your name', 'text', 100],
    ['email', 'Your email', 'email', 255],
    ['question', 'How can we help?', '', 5000],
  ]) {
    const mode = asked[name];
    if (mode !== 'optional' && mode !== 'required') continue;
    const text = mode === 'optional' ? fill(tr(ctx, '{label} (optional)'), '{label}', tr(ctx, label)) : tr(ctx, label);
    form.appendChild(field(ctx, name, text, kind, max, mode === 'required'));
  }
  if (asked.consent) {
    const l = form.appendChild(el('label', 'hd-consent'));
    const box = l.appendChild(el('input'));
    box.type = 'checkbox';
    box.name = 'consent';
    box.required = true;
    l.appendChild(el('span', '', asked.consent));
  }
  const error = form.appendChild(el('p', 'hd-error'));
  error.setAttribute('role', 'alert');
  form.appendChild(el('button', 'hd-send', tr(ctx, 'Start the chat'))).type = 'submit';
  form.onsubmit = (e) => {
    e.preventDefault();
    const get = (n) => form.querySelector('[name=' + n + ']');
    const question = get('question') ? get('question').value.trim() : '';
    // A required question is checked here: it becomes a message, not an answer the server keeps.
    if (!question && get('question') && get('question').required) {
      error.textContent = tr(ctx, 'Tell us how we can help.');
      get('question').focus();
      return;
    }
    const token = ctx.done('state').token;
    if (!token) {
      error.textContent = tr(ctx, 'Connecting… try again in a moment.');
      return;
    }
    const body = {
      name: get('name') ? get('name').value : null,
      email: get('email') ? get('email').value : null,
      consent: !!(get('consent') && get('consent').checked),
    };
    submit(ctx, form, error, '/api/widget/prechat', body, token, 200, () => ctx.done('prechat', question),
      'Your answers could not be sent.');
  };
}

function mail(ctx) {
  const form = ctx.mail;
  if (!form.firstChild) {
    const l = form.appendChild(el('label', '', tr(ctx, 'Email me this chat')));
    const input = l.appendChild(el('input'));
    input.type = 'email';
    input.required = true;
    input.autocomplete = 'email';
    input.maxLength = 255;
    input.name = 'email';
    form.appendChild(el('button', 'hd-send', tr(ctx, 'Send'))).type = 'submit';
    const note = form.appendChild(el('p', 'hd-note'));
    note.setAttribute('role', 'status');
    form.onsubmit = (e) => {
      e.preventDefault();
      const now = ctx.done('state');
      const email = input.value.trim();
      submit(ctx, form, note, '/api/widget/transcript', { chatId: now.chatId, email }, now.token, 202, () => {
        note.textContent = fill(tr(ctx, 'Transcript sent to {email}.'), '{email}', email);
      }, 'The transcript could not be sent.');
    };
  }
  form.hidden = false;
  form.querySelector('input').focus();
}

function rating(ctx) {
  const chatId = ctx.ended;
  if (!chatId) return;
  const li = el('li', 'hd-m hd-rating');
  const form = li.appendChild(el('form', 'hd-rate'));
  const stars = form.appendChild(el('fieldset', 'hd-stars'));
  stars.appendChild(el('legend', '', tr(ctx, 'How was this chat?')));
  const row = stars.appendChild(el('div', 'hd-star-row'));
  row.onchange = () => { error.textContent = ''; };
  // Highest first: laid out right to left, so a checked star lights the ones before it (CSS `~`).
  for (const score of ['5', '4', '3', '2', '1']) {
    const id = 'hd-rate-' + chatId.slice(0, 8) + '-' + score;
    const input = row.appendChild(el('input'));
    Object.assign(input, { type: 'radio', name: 'rating', value: score, id });
    input.setAttribute('aria-label', fill(tr(ctx, '{n} out of 5'), '{n}', score));
    const label = row.appendChild(el('label', '', '★'));
    label.htmlFor = id;
    label.setAttribute('aria-hidden', 'true');
  }
  const comment = form.appendChild(el('textarea'));
  Object.assign(comment, { name: 'comment', rows: 2, maxLength: 1000, placeholder: tr(ctx, 'Anything to add? (optional)') });
  comment.setAttribute('aria-label', tr(ctx, 'Comment (optional)'));
  const error = form.appendChild(el('p', 'hd-error'));
  error.setAttribute('role', 'alert');
  form.appendChild(el('button', 'hd-send', tr(ctx, 'Send rating'))).type = 'submit';
  form.onsubmit = (e) => {
    e.preventDefault();
    const checked = form.querySelector('[name=rating]:checked');
    if (!checked) {
      error.textContent = tr(ctx, 'Choose from 1 to 5 stars.');
      return;
    }
    const body = { chatId, rating: Number(checked.value), comment: comment.value };
    submit(ctx, form, error, '/api/widget/rating', body, ctx.done('state').token, 200, () => {
      li.className = 'hd-m hd-system hd-thanks';
      li.textContent = tr(ctx, 'Thank you for your rating!');
    }, 'Your rating could not be sent.');
  };
  ctx.log.appendChild(li);
  scroll(ctx);
}

/** Sends the files the visitor picked, each shown as sending until the server has it (then it is the chat's
 * message) or says why not. */
function upload(ctx) {
  const input = ctx.file;
  const files = [...(input.files || [])];
  input.value = '';
  for (const file of files) {
    const li = el('li', 'hd-m hd-me hd-pending');
    li.appendChild(el('span', 'hd-sr', tr(ctx, 'You:') + ' '));
    li.appendChild(el('div', 'hd-bubble', file.name));
    ctx.log.appendChild(li);
    scroll(ctx);
    const failed = (message) => {
      li.classList.replace('hd-pending', 'hd-failed');
      li.appendChild(el('div', 'hd-note', message));
    };
    const now = ctx.done('state');
    const body = new FormData();
    body.append('file', file);
    body.append('clientMsgId', 'w' + Date.now().toString(36) + Math.random().toString(36).slice(2));
    if (now.chatId) body.append('chatId', now.chatId);
    fetch(ctx.base + '/api/widget/attachments?apiKey=' + encodeURIComponent(ctx.key), {
      method: 'POST',
      headers: { authorization: 'Bearer ' + (now.token || '') },
      body,
    }).then(async (res) => {
      const data = await res.json().catch(() => null);
      if (res.status !== 201) return failed((data && data.message) || tr(ctx, 'The file could not be sent.'));
      li.remove();
      ctx.done('message', data);
    }, () => failed(tr(ctx, 'The file could not be sent: no connection.')));
  }
}

/** Shows `ctx.kind`: "chat" (the offline form when the website is closed, else the pre-chat form), "mail" or
 * "rating"; or "upload": sends the files picked. */
export function show(ctx) {
  if (ctx.kind === 'upload') return upload(ctx);
  style(ctx);
  if (ctx.kind === 'mail') return mail(ctx);
  if (ctx.kind === 'rating') return rating(ctx);
  if (!ctx.form.firstChild) (ctx.online ? prechat : offline)(ctx);
  focusForm(ctx);
}
