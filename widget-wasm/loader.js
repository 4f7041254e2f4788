/*! Helpdesk widget loader: draws the launcher in a shadow root, fetches the widget config, and loads the
 chat (WASM) only when opened or when a chat is already going on. Defines one global: window.Helpdesk. */
(function (d, w) {
  var s = d.currentScript, key = s && s.getAttribute('data-key');
  if (!key || w.Helpdesk) return;
  var base = new URL(s.src).origin, K = 'helpdesk:' + key, saved = {}, idt = s.getAttribute('data-identity-token') || null;
  var warn = function (m) { console.warn('Helpdesk widget: ' + m); };
  try { saved = JSON.parse(localStorage.getItem(K)) || {}; } catch (e) {}
  // Calls made before the config arrives: identify is kept, open and close wait for the launcher.
  w.Helpdesk = { open: function () {}, close: function () {}, identify: function (t) { idt = t || null; } };
  // Refusals carry no CORS headers (only allowed origins get them), so a wrong key and a foreign domain look alike
  // from here: name both, with what to check.
  fetch(base + '/api/widget/config?apiKey=' + encodeURIComponent(key)).then(function (r) {
    if (!r.ok) throw r.status;
    return r.json();
  }).then(start, function () {
    warn('not shown. Either the data-key "' + key + '" is not an active website\'s API key, or ' + location.origin +
      ' is not in that website\'s allowed domains (or ' + base + ' cannot be reached).');
  });
  function start(c) {
    var host = d.createElement('helpdesk-widget'), root = host.attachShadow({ mode: 'open' });
    var css = d.createElement('style'), b = d.createElement('button'), left = c.position == 'bottom-left';
    var color = /^#[0-9a-f]{3}([0-9a-f]{3})?$/i.test(c.primaryColor) ? c.primaryColor : '#2563eb';
    css.textContent = ':host{all:initial!important;display:block!important;position:fixed!important;z-index:2147483647!important}' +
      '.hd-launcher{position:fixed;bottom:20px;' + (left ? 'left' : 'right') + ':20px;width:56px;height:56px;border:0;border-radius:50%;' +
      'background:' + color + ';color:#fff;cursor:pointer;box-shadow:0 6px 20px rgba(0,0,0,.25);display:flex;align-items:center;justify-content:center;z-index:2147483647}' +
      '.hd-launcher:focus-visible{outline:3px solid ' + color + ';outline-offset:3px}.hd-launcher svg{width:28px;height:28px;fill:currentColor}' +
      '.hd-launcher[data-unread]::after{content:attr(data-unread);position:absolute;top:-4px;right:-4px;min-width:20px;height:20px;padding:0 5px;box-sizing:border-box;' +
      'border-radius:10px;background:#dc2626;color:#fff;font:600 12px/20px system-ui,sans-serif;text-align:center}' +
      '@media (max-width:520px){.hd-launcher[aria-expanded=true]{display:none}}';
    b.className = 'hd-launcher';
    b.type = 'button';
    b.setAttribute('aria-label', 'Open chat');
    b.innerHTML = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H8l-5 4V5a2 2 0 0 1 1-2z"/></svg>';
    root.appendChild(css);
    root.appendChild(b);
    // A website that requires identity shows the chat only to a page that handed over a token.
    var place = function () {
      if (!idt && c.identityRequired) return host.remove();
      if (!host.isConnected) (d.body || d.documentElement).appendChild(host);
      if (saved.c && !chat) load(false);
    };
    var chat, loading;
    function load(open) {
      if (chat) return chat.set_open(open);
      if (loading) return;
      b.setAttribute('aria-busy', 'true');
      loading = import(new URL('__HD_JS__', base).href).then(function (m) {
        return m.default({ module_or_path: new URL('__HD_WASM__', base).href }).then(function () {
          chat = m;
          m.start(root, b, base, key, c, open, idt);
        });
      }).catch(function (e) {
        loading = null;
        warn('the chat could not be loaded: ' + e);
      }).then(function () { b.removeAttribute('aria-busy'); });
    }
    b.onclick = function () { chat ? chat.toggle() : load(true); };
    w.Helpdesk = {
      open: function () { host.isConnected && load(true); },
      close: function () { chat && chat.set_open(false); },
      // The website's signed token for its signed-in customer; null when they sign out.
      identify: function (t) { idt = t || null; place(); chat && chat.identify(idt); }
    };
    place();
  }
})(document, window);
