import { test, expect } from '@playwright/test';
import { createWebsite, newUser, signInAs, HOST_URL } from './fixtures';

// The page around the widget drives it through window.Helpdesk: hide and show it, open it, and hear of it opening,
// of an agent's reply and of the chat ending (Helpdesk.on); the visitor rates the chat that ended.

test('the host page hides, shows and opens the widget and hears its events', async ({ page, browser }) => {
  test.setTimeout(60_000);
  await signInAs(page, await newUser('host-api'));
  const site = await createWebsite(page, 'Host API shop', new URL(HOST_URL).host);

  const context = await browser.newContext();
  const visitor = await context.newPage();
  await visitor.goto(`${HOST_URL}/?key=${encodeURIComponent(site.key)}`);
  await expect(visitor.locator('.hd-launcher')).toBeVisible();
  await expect(visitor.locator('.hd-launcher')).toHaveAttribute('aria-label', 'Chat with us');
  await visitor.evaluate(() => {
    const w = window as any;
    w.heard = [];
    for (const name of ['opened', 'closed', 'message', 'ended']) w.Helpdesk.on(name, (d: any) => w.heard.push([name, d ?? null]));
    // A listener that throws does not stop the others.
    w.Helpdesk.on('opened', () => { throw new Error('page bug'); });
  });
  const heard = () => visitor.evaluate(() => (window as any).heard as [string, any][]);

  await visitor.evaluate(() => (window as any).Helpdesk.hide());
  await expect(visitor.locator('helpdesk-widget')).toHaveCount(0);
  await visitor.evaluate(() => (window as any).Helpdesk.show());
  await expect(visitor.locator('.hd-launcher')).toBeVisible();

  await visitor.evaluate(() => (window as any).Helpdesk.open());
  const panel = visitor.locator('.hd-panel');
  await expect(panel).toBeVisible();
  await expect(visitor.locator('.hd-launcher')).toHaveAttribute('aria-expanded', 'true');
  await expect(visitor.locator('.hd-launcher .x')).toBeVisible(); // the launcher shows a cross while open
  await expect(visitor.locator('.hd-launcher .o')).toBeHidden();
  await expect.poll(heard).toEqual([['opened', null]]);
  await panel.locator('.hd-input').fill('Is the shop open on Sunday?');
  await panel.locator('.hd-input').press('Enter');
  await expect(panel.locator('.hd-me').last()).toHaveAttribute('data-seq', '1');

  // Hidden mid-conversation, the chat goes on: an agent's reply is heard, and shown once the widget is back.
  await visitor.evaluate(() => (window as any).Helpdesk.hide());
  await expect(visitor.locator('helpdesk-widget')).toHaveCount(0);
  const chatId = await page.evaluate(async (websiteId) => {
    const chats = await fetch(`/api/chats?websiteId=${websiteId}`).then((r) => r.json());
    return chats[0].id as string;
  }, site.id);
  const status = await page.evaluate(
    (chatId) =>
      fetch('/api/messages', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ chatId, content: 'Yes, from 10 to 16.', clientMsgId: 'host-api-1' }),
      }).then((r) => r.status),
    chatId,
  );
  expect(status).toBe(201);
  const replies = async () => (await heard()).filter(([n]) => n === 'message').map(([, d]) => [d.chatId, d.content, typeof d.seq]);
  await expect.poll(replies).toContainEqual([chatId, 'Yes, from 10 to 16.', 'number']);
  await visitor.evaluate(() => (window as any).Helpdesk.show());
  await expect(panel.locator('.hd-agent').last()).toContainText('Yes, from 10 to 16.');

  // The agent resolves the chat: "ended"; the page closes the chat: "closed".
  const resolved = await page.evaluate(
    (chatId) =>
      fetch(`/api/chats/${chatId}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ status: 'resolved' }),
      }).then((r) => r.status),
    chatId,
  );
  expect(resolved).toBe(200);
  await expect.poll(heard).toContainEqual(['ended', { chatId }]);

  // The widget asks how it was (the forms module); the agent sees the answer in the conversation.
  const rate = panel.locator('.hd-rate');
  await expect(rate).toBeVisible();
  await rate.getByRole('button', { name: 'Send rating' }).click();
  await expect(rate.locator('.hd-error')).toHaveText('Choose from 1 to 5 stars.');
  await rate.locator('label[for$="-4"]').click();
  await expect(rate.getByRole('radio', { name: '4 out of 5' })).toBeChecked();
  await rate.locator('[name=comment]').fill('Quick answer, thanks');
  await visitor.screenshot({ path: 'test-results/widget-rating.png' });
  await rate.getByRole('button', { name: 'Send rating' }).click();
  await expect(panel.locator('.hd-thanks')).toHaveText('Thank you for your rating!');
  await page.goto(`/admin/chats/${chatId}`);
  await expect(page.locator('#chat-rating')).toContainText('4 out of 5');
  await expect(page.locator('#chat-rating-comment')).toHaveText('Quick answer, thanks');

  await visitor.evaluate(() => (window as any).Helpdesk.close());
  await expect(panel).toBeHidden();
  await expect(visitor.locator('.hd-launcher .o')).toBeVisible();
  await expect.poll(heard).toContainEqual(['closed', null]);
  await context.close();
});

test('on a phone the open chat is a modal dialog that keeps focus, with 16 px text and a 44 px close button', async ({ page, browser }) => {
  await signInAs(page, await newUser('phone-modal'));
  const site = await createWebsite(page, 'Phone shop', new URL(HOST_URL).host);
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const visitor = await context.newPage();
  await visitor.goto(`${HOST_URL}/?key=${encodeURIComponent(site.key)}`);
  await visitor.locator('.hd-launcher').click();
  const panel = visitor.locator('.hd-panel');
  await expect(panel).toHaveAttribute('aria-modal', 'true');
  await expect(panel.locator('.hd-input')).toBeFocused();
  await expect(panel.locator('.hd-input')).toHaveCSS('font-size', '16px');
  const close = await panel.locator('.hd-close').boundingBox();
  expect(close!.width).toBeGreaterThanOrEqual(44);
  expect(close!.height).toBeGreaterThanOrEqual(44);
  // Tab and Shift+Tab go round inside the panel, never to the page behind it.
  const inside = () => visitor.evaluate(() => {
    const root = document.querySelector('helpdesk-widget')!.shadowRoot!;
    const active = root.activeElement;
    return !!active && !!root.querySelector('.hd-panel')!.contains(active);
  });
  for (let i = 0; i < 8; i++) {
    await visitor.keyboard.press('Tab');
    expect(await inside()).toBe(true);
  }
  for (let i = 0; i < 8; i++) {
    await visitor.keyboard.press('Shift+Tab');
    expect(await inside()).toBe(true);
  }
  await visitor.keyboard.press('Escape');
  await expect(panel).toBeHidden();
  await context.close();
});
