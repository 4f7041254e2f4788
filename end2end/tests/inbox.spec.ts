import { test, expect } from '@playwright/test';
import { createWebsite, hydrated, newUser, signInAs, visitorSays } from './fixtures';

test('an agent sees a new chat appear live and answers it', async ({ page, browser, baseURL }) => {
  // An admin of their own: the inbox holds only this test's chats.
  await signInAs(page, await newUser('inbox'));
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
  await expect(page.locator('#following')).toHaveAttribute('data-count', '1');
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
  // Answering the waiting chat made it the agent's, said in the chat just before the answer.
  await expect(page.locator('#messages .message.system')).toContainText('inbox joined the chat');
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
    .toBe(4);
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

test('a long conversation opens at its latest messages and loads earlier ones on scrolling up', async ({ page, baseURL }) => {
  await signInAs(page, await newUser('long-chat'));
  const site = await createWebsite(page, 'Long chat site', new URL(baseURL!).host);
  const visitorContext = await page.context().browser()!.newContext();
  const visitor = await visitorContext.newPage();
  await visitor.goto('/healthz');
  const chatId = await visitorSays(visitor, site.key, 'The very first message');
  // 149 answers (the first says the agent joined): 151 messages, more than the 100 a conversation opens with.
  const statuses = await page.evaluate(async (chatId) => {
    const out: number[] = [];
    for (let i = 1; i <= 149; i++) {
      const res = await fetch('/api/messages', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ chatId, content: `Answer ${i}`, clientMsgId: `long-${i}` }),
      });
      out.push(res.status);
    }
    return out;
  }, chatId);
  expect(statuses.filter((s) => s !== 201)).toEqual([]);

  await page.goto(`/admin/chats/${chatId}`);
  await hydrated(page);
  const list = page.locator('#messages');
  await expect(list.locator('.message')).toHaveCount(100);
  await expect(list.locator('.message').last()).toContainText('Answer 149');
  await expect(list.locator('.message').first()).toHaveAttribute('data-seq', '52');
  await expect(list).not.toContainText('The very first message');

  // Scrolling to the top brings the earlier page, in order, and nothing is left to load.
  await list.evaluate((el) => (el.scrollTop = el.scrollHeight));
  await list.evaluate((el) => (el.scrollTop = 0));
  await expect(list.locator('.message')).toHaveCount(151);
  await expect(list.locator('.message').first()).toContainText('The very first message');
  await expect(list.locator('.message').first()).toHaveAttribute('data-seq', '1');
  await expect(page.locator('#load-earlier')).toHaveCount(0);
  const seqs = await list.locator('.message').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-seq'))));
  expect(seqs).toEqual(Array.from({ length: 151 }, (_, i) => i + 1));
  await page.screenshot({ path: 'test-results/long-conversation.png' });

  // A link to one early message loads back to it, shows it and marks it.
  await page.goto(`/admin/chats/${chatId}?seq=3`);
  await hydrated(page);
  const found = list.locator('.message.found');
  await expect(found).toHaveAttribute('data-seq', '3');
  await expect(found).toContainText('Answer 1');
  await expect(found).toBeInViewport();
  await expect(list.locator('.message')).toHaveCount(151);
  await visitorContext.close();
});
