import { test, expect } from '@playwright/test';
import { createWebsite, hydrated, newUser, signInAs, visitorSays } from './fixtures';

test('search finds a message, a note and a visitor, marks the words, and opens the chat at the message', async ({ page, browser, baseURL }) => {
  await signInAs(page, await newUser('search'));
  const site = await createWebsite(page, 'Search site', new URL(baseURL!).host);
  const visitorContext = await browser.newContext();
  const visitor = await visitorContext.newPage();
  await visitor.goto('/healthz');
  const chatId = await visitorSays(visitor, site.key, 'My parcel 77341 never arrived <b>at all</b>');
  // Many answers after it, so the message is older than what a conversation opens with; one internal note; the
  // visitor's name and email.
  const statuses = await page.evaluate(async (chatId) => {
    const post = (body: object) =>
      fetch('/api/messages', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const out: number[] = [];
    out.push((await post({ chatId, content: 'Courier says the parcel is in the depot', type: 'note', clientMsgId: 'n-1' })).status);
    for (let i = 1; i <= 110; i++) out.push((await post({ chatId, content: `Checking, step ${i}`, clientMsgId: `s-${i}` })).status);
    return out;
  }, chatId);
  expect(statuses.filter((s) => s !== 201)).toEqual([]);
  const detail = await page.evaluate(async (chatId) => (await fetch(`/api/chats/${chatId}`)).json(), chatId);
  const contact = await page.evaluate(
    async (visitorId) =>
      (await fetch(`/api/visitors/${visitorId}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Zoé Lindqvist', email: 'zoe.lindqvist@example.com' }),
      })).status,
    detail.visitorId,
  );
  expect(contact).toBe(200);

  // The form on the inbox; hits newest first with the words marked, the visitor's text shown as text.
  await page.goto('/admin/chats');
  await hydrated(page);
  await page.locator('#search-input').fill('parcel');
  await page.locator('#search-input').press('Enter');
  await expect(page).toHaveURL(/\/admin\/chats\?q=parcel$/);
  const hits = page.locator('#search-results .hit');
  await expect(hits).toHaveCount(2);
  await expect(hits.nth(0)).toContainText('Note:');
  await expect(hits.nth(0).locator('mark')).toHaveText('parcel');
  await expect(hits.nth(1)).toContainText('My parcel 77341 never arrived <b>at all</b>');
  await expect(hits.nth(1).locator('b')).toHaveCount(0);
  await expect(hits.nth(1)).toContainText('Zoé Lindqvist');
  await page.screenshot({ path: 'test-results/search.png', fullPage: true });

  // A visitor by name, accents aside; nothing found says so.
  await page.locator('#search-input').fill('zoe lindq');
  await page.locator('#search-input').press('Enter');
  await expect(page.locator('#search-results .hit[data-field="visitor"]')).toHaveCount(1);
  await expect(page.locator('#search-results .hit[data-field="visitor"] mark').first()).toHaveText('Lindqvist');
  await page.locator('#search-input').fill('zeppelin');
  await page.locator('#search-input').press('Enter');
  await expect(page.locator('#no-hits')).toBeVisible();
  await page.locator('#search-input').fill('ok');
  await page.locator('#search-input').press('Enter');
  await expect(page.locator('#search-results')).toContainText('at least 3 letters');

  // Opening the visitor's message: the earlier page is loaded and the message shown, marked.
  await page.goto('/admin/chats?q=77341');
  await hydrated(page);
  await page.locator('#search-results .hit').first().click();
  await expect(page).toHaveURL(new RegExp(`/admin/chats/${chatId}\\?seq=1$`));
  const found = page.locator('#messages .message.found');
  await expect(found).toHaveAttribute('data-seq', '1');
  await expect(found).toBeInViewport();
  await page.screenshot({ path: 'test-results/search-opened.png' });

  // Back to the inbox from the results.
  await page.goto('/admin/chats?q=parcel');
  await page.locator('#clear-search').click();
  await expect(page).toHaveURL(/\/admin\/chats$/);
  await expect(page.locator('#search-results')).toHaveCount(0);
  await visitorContext.close();
});
