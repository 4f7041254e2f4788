import { test, expect } from '@playwright/test';
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { createWebsite, hydrated, newUser, signInAs, visitorSays } from './fixtures';

// Webhooks from the dashboard to a real HTTP receiver this test runs on loopback (the server is started with
// HELPDESK_WEBHOOKS_ALLOW_PRIVATE=true for it): add one on the website page, send a test, see a visitor's chat
// arrive signed, read the delivery log and send a delivery again, pause it.

type Hit = { event: string; delivery: string; signature: string; body: string };

function receiver(): Promise<{ url: string; hits: Hit[]; close: () => void }> {
  const hits: Hit[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      hits.push({
        event: String(req.headers['x-helpdesk-event'] ?? ''),
        delivery: String(req.headers['x-helpdesk-delivery'] ?? ''),
        signature: String(req.headers['x-helpdesk-signature'] ?? ''),
        body,
      });
      res.writeHead(204).end();
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ url: `http://127.0.0.1:${port}/hook`, hits, close: () => server.close() });
    });
  });
}

/** What a receiver checks: v1 is the HMAC-SHA256 of "t.body" keyed with the secret. */
function signedWith(hit: Hit, secret: string): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(hit.signature);
  if (!m) return false;
  const expected = crypto.createHmac('sha256', secret).update(`${m[1]}.${hit.body}`).digest('hex');
  return expected === m[2] && Math.abs(Date.now() / 1000 - Number(m[1])) < 300;
}

test('an admin adds a webhook, tests it, sees a chat arrive signed, and sends a delivery again', async ({ page, browser, baseURL }) => {
  const hook = await receiver();
  await signInAs(page, await newUser('hooks'));
  const site = await createWebsite(page, 'Hook shop', new URL(baseURL!).host);
  await page.goto(`/admin/websites/${site.id}`);
  await hydrated(page);
  const card = page.locator('#webhooks-card');
  await expect(card.locator('#webhooks-empty')).toBeVisible();

  // A private address needs the operator's permission (given here), a bad URL is refused beside its field.
  await card.locator('#webhook-url').fill('ftp://example.com/x');
  await card.locator('#add-webhook').click();
  await expect(card.locator('.field-error[data-field="url"]')).toContainText('https://');
  await card.locator('#webhook-url').fill(hook.url);
  await expect(card.locator('input[value="chat.created"]')).toBeChecked();
  await expect(card.locator('input[value="message.created"]')).toBeChecked();
  await card.locator('#add-webhook').click();
  const row = card.locator('#webhook-list li.webhook');
  await expect(row).toHaveCount(1);
  await expect(row.locator('.webhook-url')).toHaveText(hook.url);
  await expect(row.locator('.webhook-secret')).toHaveText('whsec_••••••••');
  await row.locator('.show-secret').click();
  const secret = (await row.locator('.webhook-secret').textContent())!.trim();
  expect(secret).toMatch(/^whsec_[0-9a-f]{48}$/);
  await card.scrollIntoViewIfNeeded();
  await card.screenshot({ path: 'test-results/webhooks-card.png' });

  // A test POST, then a visitor's first message: a ping, the chat and the message, all signed.
  await row.locator('.ping-webhook').click();
  await expect.poll(() => hook.hits.map((h) => h.event)).toContain('ping');
  const visitorContext = await browser.newContext();
  const visitor = await visitorContext.newPage();
  await visitor.goto('/healthz');
  const chatId = await visitorSays(visitor, site.key, 'Do you deliver on Sundays?');
  await expect.poll(() => hook.hits.length).toBe(3);
  expect(hook.hits.map((h) => h.event).sort()).toEqual(['chat.created', 'message.created', 'ping']);
  for (const hit of hook.hits) expect(signedWith(hit, secret), hit.signature).toBe(true);
  const message = JSON.parse(hook.hits.find((h) => h.event === 'message.created')!.body);
  expect(message.data.chatId).toBe(chatId);
  expect(message.data.message.content).toBe('Do you deliver on Sundays?');

  // The delivery log: three sent; "Send again" POSTs the same delivery once more.
  await page.getByRole('link', { name: 'Webhooks' }).click();
  await expect(page).toHaveURL(/\/admin\/webhooks$/);
  await hydrated(page);
  const rows = page.locator('#deliveries-table tbody tr');
  await expect(rows).toHaveCount(3);
  await expect(page.locator('#deliveries-table')).not.toContainText('Waiting');
  await expect(page.locator('#deliveries-failed-count')).toHaveText('No delivery has failed.');
  const first = rows.first();
  const id = await first.getAttribute('data-delivery');
  await first.locator('.retry-delivery').click();
  await expect.poll(() => hook.hits.filter((h) => h.delivery === id).length).toBe(2);
  await page.screenshot({ path: 'test-results/webhooks-log.png', fullPage: true });

  // Paused: a new chat is not sent.
  await page.goto(`/admin/websites/${site.id}`);
  await hydrated(page);
  await page.locator('#webhooks-card .toggle-webhook').click();
  await expect(page.locator('#webhooks-card .webhook .badge')).toHaveText('Paused');
  await visitorSays(visitor, site.key, 'Hello again?');
  await page.waitForTimeout(1500);
  expect(hook.hits.length).toBe(4);
  await visitorContext.close();
  hook.close();
});
