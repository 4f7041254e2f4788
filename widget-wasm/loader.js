/*! Helpdesk widget loader: draws the launcher in a shadow root, fetches the widget config, and loads the
 chat (WASM) only when opened or when a chat is already going on. Defines one global: window.Helpdesk. */
(function (d, w) {
  var s = d.currentScript, key = s && s.getAttribute('data-key');
  if (!key || w.Helpdesk) return;
  var base = new URL(s.src).origin, K = 'helpdesk:' + key, saved = {}, idt = s.getAttribute('data-identity-token') || null;
  var warn = function (m) { console.warn('Helpdesk widget: ' + m); };
  try { saved = JSON.parse(localStorage.getItem(K)) || {}; } catch (e) {}
  // The page's listeners (Helpdesk.on): opened, closed, message (an agent's), ended (the chat was closed).
  var subs = {}, hid = false, emit = function (n, detail) {
    (subs[n] || []).forEach(function (f) { try { f(detail); } catch (e) { warn('a listener failed: ' + e); } });
  };
  // Calls made before the config arrives: identify, show/hide and listeners are kept; open and close wait for the
  // launcher.
  w.Helpdesk = {
    open: function () {}, close: function () {}, identify: function (t) { idt = t || null; },
    show: function () { hid = false; }, hide: function () { hid = true; },
    on: function (n, f) { (subs[n] = subs[n] || []).push(f); }
  };
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
    var hex = /^#[0-9a-f]{3}([0-9a-f]{3})?$/i, color = hex.test(c.primaryColor) ? c.primaryColor : '#2563eb';
    var on = hex.test(c.textColor) ? c.textColor : '#fff';
    css.textContent = ':host{all:initial!important;display:block!important;position:fixed!important;z-index:2147483647!important}' +
      '.hd-launcher{position:fixed;bottom:20px;' + (left ? 'left' : 'right') + ':20px;width:56px;height:56px;border:0;border-radius:50%;' +
      'background:' + color + ';color:' + on + ';cursor:pointer;box-shadow:0 6px 20px rgba(0,0,0,.25);display:flex;align-items:center;justify-content:center;z-index:2147483647}' +
      '.hd-launcher:focus-visible{outline:3px solid ' + color + ';outline-offset:3px}.hd-launcher svg{width:28px;height:28px;fill:currentColor}' +
      '.hd-launcher[data-unread]::after{content:attr(data-unread);position:absolute;top:-4px;right:-4px;min-width:20px;height:20px;padding:0 5px;box-sizing:border-box;' +
      'border-radius:10px;background:#dc2626;color:#fff;font:600 12px/20px system-ui,sans-serif;text-align:center}' +
      '.hd-launcher[aria-expanded=true] .o,.hd-launcher:not([aria-expanded=true]) .x{display:none}.hd-launcher .x{fill:none;stroke:currentColor;stroke-width:2.5;stroke-linecap:round}' +
      '@media (max-width:520px){.hd-launcher[aria-expanded=true]{display:none}}';
    b.className = 'hd-launcher';
    b.type = 'button';
    // One name, its state in aria-expanded (set by the chat); the icon turns into a cross while the chat is open.
    b.setAttribute('aria-label', (c.strings || {})['Chat with us'] || 'Chat with us');
    b.setAttribute('aria-expanded', 'false');
    b.innerHTML = '<svg class="o" viewBox="0 0 24 24" aria-hidden="true"><path d="M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H8l-5 4V5a2 2 0 0 1 1-2z"/></svg>' +
      '<svg class="x" viewBox="0 0 24 24" aria-hidden="true"><path d="M6 6l12 12M18 6L6 18"/></svg>';
    root.appendChild(css);
    root.appendChild(b);
    // A website that requires identity shows the chat only to a page that handed over a token.
    var place = function () {
      if (hid || (!idt && c.identityRequired)) return host.remove();
      if (!host.isConnected) (d.body || d.documentElement).appendChild(host);
      if (saved.c && !chat) load(false);
    };
    var chat, loading;
    function load(open) {
      if (chat) return chat.set_open(open);
      if (loading) return;
      b.setAttribute('aria-busy', 'true');
      var js = new URL('__HD_JS__', base).href;
      // The forms (offline, pre-chat, transcript, rating) are a module beside the chat, imported when first shown.
      var forms = function (ctx) {
        return import(new URL('forms.js', js).href).then(function (f) { return f.show(ctx); });
      };
      loading = import(js).then(function (m) {
        return m.default({ module_or_path: new URL('__HD_WASM__', base).href }).then(function () {
          chat = m;
          m.start(root, b, base, key, c, open, idt, emit, forms);
          modal();
        });
      }).catch(function (e) {
        loading = null;
        warn('the chat could not be loaded: ' + e);
      }).then(function () { b.removeAttribute('aria-busy'); });
    }
    b.onclick = function () { chat ? chat.toggle() : load(true); };
    // Full screen on a phone the chat is a modal dialog: Tab goes round inside it, never to the page behind.
    var mq = matchMedia('(max-width:520px)'), modal = function () {
      var p = root.querySelector('.hd-panel');
      p && (mq.matches ? p.setAttribute('aria-modal', 'true') : p.removeAttribute('aria-modal'));
    };
    mq.addEventListener && mq.addEventListener('change', modal);
    root.addEventListener('keydown', function (e) {
      var p = root.querySelector('.hd-panel[aria-modal]:not([hidden])');
      if (e.key != 'Tab' || !p) return;
      var all = [].filter.call(p.querySelectorAll('button,textarea,input,a[href]'), function (x) { return x.offsetParent; });
      var edge = all[e.shiftKey ? 0 : all.length - 1];
      if (edge && root.activeElement == edge) {
        e.preventDefault();
        all[e.shiftKey ? all.length - 1 : 0].focus();
      }
    });
    w.Helpdesk = {
      open: function () { host.isConnected && load(true); },
      close: function () { chat && chat.set_open(false); },
      // The launcher and the chat leave the page (the conversation goes on) and come back.
      show: function () { hid = false; place(); },
      hide: function () { hid = true; place(); },
      on: w.Helpdesk.on,
      // The website's signed token for its signed-in customer; null when they sign out.
      identify: function (t) { idt = t || null; place(); chat && chat.identify(idt); }
    };
    place();
  }
})(document, window);
