// A customer's website for the widget tests: another origin than Helpdesk (another port, or another host name),
// with hostile CSS that tries to restyle or hide everything. GET /?key=API_KEY embeds the widget exactly as the
// embed code does.
import http from 'node:http';

const port = Number(process.env.HOST_PORT ?? 3181);
const helpdesk = process.env.HELPDESK_URL ?? 'http://127.0.0.1:3180';

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

http
  .createServer((req, res) => {
    const url = new URL(req.url, `http://${req.headers.host}`);
    if (url.pathname === '/healthz') {
      res.end('ok');
      return;
    }
    const key = url.searchParams.get('key') ?? '';
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Acme shop</title>
<style>
  * { font-family: "Comic Sans MS", cursive !important; color: #f0f !important; }
  button, div, section, ol, li, textarea, input, form { background: #f00 !important; display: none !important; }
  helpdesk-widget { display: none !important; opacity: 0 !important; transform: scale(0) !important; }
  body { margin: 0; padding: 2rem; }
</style></head>
<body>
  <h1>Acme shop</h1>
  <p>Products, prices and a chat bubble in the corner.</p>
  <script src="${escape(helpdesk)}/widget.js" data-key="${escape(key)}" async></script>
</body></html>`);
  })
  .listen(port, '127.0.0.1');
