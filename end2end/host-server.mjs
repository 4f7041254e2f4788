// A customer's website for the widget tests: another origin than Helpdesk (another port, or another host name),
// with hostile CSS that tries to restyle or hide everything. GET /?key=API_KEY embeds the widget exactly as the
// embed code does. With &customer=ID&website=WEBSITE_ID&secret=IDENTITY_SECRET it also plays the website's backend
// for a signed-in customer: it signs their identity token (HS256 JWT, ten minutes) and hands it over in
// data-identity-token, as the README shows.
import http from 'node:http';
import crypto from 'node:crypto';

const port = Number(process.env.HOST_PORT ?? 3181);
const helpdesk = process.env.HELPDESK_URL ?? 'http://127.0.0.1:3180';

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const b64url = (data) => Buffer.from(data).toString('base64url');

/** An HS256 JWT of `claims`, signed with `secret`. */
function sign(claims, secret) {
  const head = `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64url(JSON.stringify(claims))}`;
  return `${head}.${crypto.createHmac('sha256', secret).update(head).digest('base64url')}`;
}

http
  .createServer((req, res) => {
    const url = new URL(req.url, `http://${req.headers.host}`);
    if (url.pathname === '/healthz') {
      res.end('ok');
      return;
    }
    const key = url.searchParams.get('key') ?? '';
    const customer = url.searchParams.get('customer');
    let identity = '';
    if (customer) {
      const exp = Math.floor(Date.now() / 1000) + 600;
      const claims = { sub: customer, aud: url.searchParams.get('website'), exp, name: url.searchParams.get('name') ?? undefined };
      identity = ` data-identity-token="${escape(sign(claims, url.searchParams.get('secret') ?? ''))}"`;
    }
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
  <script src="${escape(helpdesk)}/widget.js" data-key="${escape(key)}"${identity} async></script>
</body></html>`);
  })
  .listen(port, '127.0.0.1');
