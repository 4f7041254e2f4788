import { test, expect, type Page } from '@playwright/test';
import { hydrated, signIn } from './fixtures';

/** Plays the visitor from a page served by Helpdesk itself (its origin is on the website's allowlist). */
async function visitorSays(page: Page, key: string, text: string): Promise<string> {
  return page.evaluate(
    async ({ key, text }) => {
      const session = await fetch(`/api/widget/session?apiKey=${key}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ visitorToken: null }),
      }).then((r) => r.json());
      // The token rides in the protocol list, as the widget sends it; never in the URL.
      const ws = new WebSocket(`ws://${location.host}/ws?apiKey=${key}`, [
        'helpdesk.v1',
        `helpdesk.visitor-token.${session.visitorToken}`,
      ]);
      (window as any).visitorInbox = [];
      ws.onmessage = (e) => (window as any).visitorInbox.push(JSON.parse(e.data));
      (window as any).visitorSocket = ws;
      await new Promise((resolve) => (ws.onopen = resolve));
      ws.send(JSON.stringify({ type: 'chat-message', clientMsgId: 'e2e-1', content: text }));
      for (;;) {
        const ack = (window as any).visitorInbox.find((m: any) => m.type === 'ack');
        if (ack) return ack.chatId as string;
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    { key, text },
  );
}

test('an agent sees a new chat appear live and answers it', async ({ page, browser, baseURL }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/dashboard$/);
  // A website whose allowlist includes this server, so a page here can play the visitor.
  await page.goto('/admin/websites');
  await hydrated(page);
  const host = new URL(baseURL!).host;
  await page.locator('#website-name').fill('Live site');
  await page.locator('#website-domains').fill(host);
  await page.locator('#create-website').click();
  await expect(page).toHaveURL(/\/admin\/websites\/[0-9a-f-]{36}$/);
  const key = (await page.locator('#api-key').textContent())!.trim();

  await page.getByRole('link', { name: 'Chats' }).click();
  await expect(page).toHaveURL(/\/admin\/chats$/);
  await expect(page.locator('.live.on')).toBeVisible();
  const websites = await page.evaluate(() => fetch('/api/websites').then((r) => r.json()).then((l) => l.length));
  await expect(page.locator('#following')).toHaveAttribute('data-count', String(websites));
  await expect(page.locator('#inbox-waiting')).toContainText('None.');

  const visitorContext = await browser.newContext();
  const visitor = await visitorContext.newPage();
  await visitor.goto('/healthz');
  const chatId = await visitorSays(visitor, key, 'Hello from the e2e visitor');

  // The chat appears without a refresh, with an unread count.
  const row = page.locator(`#inbox-waiting [data-chat="${chatId}"]`);
  await expect(row).toBeVisible();
  await expect(row.locator('.unread')).toHaveText('1');
  // The count is the agent's own, kept by the server: a reload shows it again.
  await page.reload();
  await hydrated(page);
  await expect(row.locator('.unread')).toHaveText('1');

  await row.locator('a').click();
  await expect(page).toHaveURL(new RegExp(`/admin/chats/${chatId}$`));
  await expect(page.locator('#messages')).toContainText('Hello from the e2e visitor');

  // Typing shows live.
  await visitor.evaluate((chatId) => (window as any).visitorSocket.send(JSON.stringify({ type: 'typing-start', chatId })), chatId);
  await expect(page.locator('#visitor-typing')).toHaveText('The visitor is typing…');

  await page.locator('#reply').fill('Hi! How can I help?');
  await page.locator('#send-reply').click();
  await expect(page.locator('#messages .message.mine')).toContainText('Hi! How can I help?');
  await expect(page.locator('#chat-status')).toHaveText('Ongoing');
  await expect
    .poll(() => visitor.evaluate(() => (window as any).visitorInbox.filter((m: any) => m.type === 'new-message' && m.message.senderType === 'admin').map((m: any) => m.message.content)))
    .toEqual(['Hi! How can I help?']);

  // A second visitor message arrives live in the open conversation.
  await visitor.evaluate((chatId) => (window as any).visitorSocket.send(JSON.stringify({ type: 'chat-message', chatId, clientMsgId: 'e2e-2', content: 'I need help with my order' })), chatId);
  await expect(page.locator('#messages')).toContainText('I need help with my order');
  await page.screenshot({ path: 'test-results/conversation.png', fullPage: true });
  // Read as it arrived: the page reports it, and the inbox shows nothing unread.
  await expect
    .poll(() => page.evaluate((chatId) => fetch(`/api/chats/${chatId}`).then((r) => r.json()).then((c) => c.readSeq), chatId))
    .toBe(3);
  await page.goto('/admin/chats');
  await hydrated(page);
  await expect(page.locator(`#inbox-ongoing [data-chat="${chatId}"]`)).toBeVisible();
  await expect(page.locator(`#inbox-ongoing [data-chat="${chatId}"] .unread`)).toHaveCount(0);
  await page.goto(`/admin/chats/${chatId}`);
  await hydrated(page);

  await page.locator('#resolution').fill('Explained the order status.');
  await page.locator('#resolve-chat').click();
  await expect(page.locator('#chat-status')).toHaveText('Resolved');
  await visitorContext.close();
});
