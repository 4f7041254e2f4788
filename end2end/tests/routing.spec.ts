import { test, expect, type Browser, type Page } from '@playwright/test';
import { createWebsite, hydrated, newUser, signInAs, visitorSays, type Account } from './fixtures';

async function agentOnline(browser: Browser, account: Account): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await signInAs(page, account);
  await page.goto('/admin/chats');
  await hydrated(page);
  await expect(page.locator('.live.on')).toBeVisible();
  await expect(page.locator('#availability-label')).toHaveText('Online');
  return page;
}

async function visitor(browser: Browser, key: string, text: string): Promise<{ page: Page; chatId: string }> {
  const page = await (await browser.newContext()).newPage();
  await page.goto('/healthz');
  return { page, chatId: await visitorSays(page, key, text) };
}

test('automatic routing gives two online agents a chat each, queues the next, and a transfer carries its note', async ({ page, browser, baseURL }) => {
  await signInAs(page, await newUser('route-admin'));
  const site = await createWebsite(page, 'Routing site', new URL(baseURL!).host);
  await hydrated(page);
  await page.locator('#routing-mode').selectOption('auto');
  await page.locator('#agent-capacity').fill('1');
  await page.locator('#save-routing').click();
  await expect(page.locator('#routing-card .form-ok')).toBeVisible();
  await page.screenshot({ path: 'test-results/routing-settings.png', fullPage: true });

  // The owner works on the website too: away, they are given no chats.
  await page.locator('#availability summary').click();
  await page.locator('.availability-choice[data-status="away"]').click();
  await expect(page.locator('#availability-label')).toHaveText('Away');

  const ana = await newUser('route-ana', 'agent', [site.id]);
  const ben = await newUser('route-ben', 'agent', [site.id]);
  const anaPage = await agentOnline(browser, ana);
  const benPage = await agentOnline(browser, ben);

  // Two visitors: one chat each, without anyone clicking.
  const first = await visitor(browser, site.key, 'First visitor here');
  const second = await visitor(browser, site.key, 'Second visitor here');
  const holder = async (chatId: string) => {
    await page.goto(`/admin/chats/${chatId}`);
    await hydrated(page);
    await expect(page.locator('#assignee')).not.toHaveValue('');
    return page.locator('#assignee').inputValue();
  };
  const firstHolder = await holder(first.chatId);
  const secondHolder = await holder(second.chatId);
  expect([firstHolder, secondHolder].sort()).toEqual([ana.id, ben.id].sort());
  await expect(page.locator('#messages .message.system')).toContainText('joined the chat');

  // Both are full: the third visitor waits first in the queue.
  const third = await visitor(browser, site.key, 'Third visitor here');
  await expect
    .poll(() => third.page.evaluate(() => (window as any).visitorInbox.filter((m: any) => m.type === 'queue').map((m: any) => m.position)))
    .toContain(1);

  // The holder of the first chat hands it to the other agent with a note.
  const [fromPage, toPage, to] = firstHolder === ana.id ? [anaPage, benPage, ben] : [benPage, anaPage, ana];
  await fromPage.goto(`/admin/chats/${first.chatId}`);
  await hydrated(fromPage);
  await fromPage.locator('#transfer summary').click();
  await fromPage.locator('#transfer-to').selectOption(to.id);
  await fromPage.locator('#transfer-note').fill('Wants a refund for order 1042; over to you.');
  await fromPage.locator('#transfer-chat').click();
  await expect(fromPage.locator('#assignee')).toHaveValue(to.id);
  await fromPage.screenshot({ path: 'test-results/routing-transfer.png', fullPage: true });

  await toPage.goto(`/admin/chats/${first.chatId}`);
  await hydrated(toPage);
  await expect(toPage.locator('#messages .message.system').last()).toContainText('transferred the chat to');
  await expect(toPage.locator('#messages')).toContainText('Wants a refund for order 1042; over to you.');
  // The note never reaches the visitor.
  const heard = await first.page.evaluate(() => JSON.stringify((window as any).visitorInbox));
  expect(heard).not.toContain('order 1042');
  await expect.poll(() => first.page.evaluate(() => JSON.stringify((window as any).visitorInbox))).toContain('transferred the chat to');
});
