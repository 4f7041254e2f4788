import { test, expect, Page } from '@playwright/test';
import * as fs from 'node:fs';
import { createWebsite, hydrated, newUser, signInAs, HOST_URL } from './fixtures';

// Exports and erasure in the dashboard: the inbox and a chat as CSV, a visitor's data as JSON, erasing the visitor
// (their socket closing is proved in server/tests/privacy.rs), and the website's retention period.

/** Clicks `selector` and returns what the browser saved. */
async function downloaded(page: Page, selector: string): Promise<{ name: string; text: string }> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator(selector).click()]);
  const file = await download.path();
  return { name: download.suggestedFilename(), text: fs.readFileSync(file!, 'utf8') };
}

test('an admin exports chats as CSV, downloads a visitor, erases them, and sets retention', async ({ page, browser }) => {
  await signInAs(page, await newUser('privacy'));
  const site = await createWebsite(page, 'Privacy shop', new URL(HOST_URL).host);

  const visitorContext = await browser.newContext();
  const visitor = await visitorContext.newPage();
  await visitor.goto(`${HOST_URL}/?key=${encodeURIComponent(site.key)}`);
  await visitor.locator('.hd-launcher').click();
  const panel = visitor.locator('.hd-panel');
  await panel.locator('.hd-input').fill('=SUM(1,2) is my order number');
  await panel.locator('.hd-input').press('Enter');
  await expect(panel.locator('.hd-me').last()).toHaveAttribute('data-seq', '1');

  await page.goto('/admin/chats');
  await hydrated(page);
  const inboxCsv = await downloaded(page, '#export-chats');
  expect(inboxCsv.name).toMatch(/^chats-\d{4}-\d{2}-\d{2}\.csv$/);
  expect(inboxCsv.text.split('\n')[0]).toContain('chat_id,website,status,visitor');
  expect(inboxCsv.text).toContain('Privacy shop');
  expect(inboxCsv.text).toContain("'=SUM(1,2) is my order number");

  await page.locator('#inbox-waiting [data-chat] a').first().click();
  await expect(page.locator('#messages')).toContainText('is my order number');
  await page.locator('#reply').fill('Thanks, looking it up.');
  await page.locator('#send-reply').click();
  await expect(page.locator('#messages .message.mine')).toContainText('Thanks, looking it up.');
  await expect(panel.locator('.hd-agent').last()).toContainText('Thanks, looking it up.');

  const transcript = await downloaded(page, '#transcript-csv');
  expect(transcript.name).toMatch(/^chat-[0-9a-f]{8}\.csv$/);
  expect(transcript.text).toContain('visitor,Visitor,text,"\'=SUM(1,2) is my order number"');
  expect(transcript.text).toContain('Thanks, looking it up.');

  const data = await downloaded(page, '#export-visitor');
  const json = JSON.parse(data.text);
  expect(json.chats).toHaveLength(1);
  expect(json.chats[0].messages.map((m: any) => m.content)).toContain('=SUM(1,2) is my order number');
  await page.locator('#visitor-data').scrollIntoViewIfNeeded();
  await page.screenshot({ path: 'test-results/privacy-visitor-panel.png', fullPage: true });

  // Erasing asks first; declined, nothing happens.
  page.once('dialog', (d) => d.dismiss());
  await page.locator('#erase-visitor').click();
  await expect(page).toHaveURL(/\/admin\/chats\/[0-9a-f-]+$/);
  page.once('dialog', (d) => d.accept());
  await page.locator('#erase-visitor').click();
  await expect(page).toHaveURL(/\/admin\/chats$/);
  await hydrated(page);
  await expect(page.locator('main')).not.toContainText('is my order number');
  const after = await downloaded(page, '#export-chats');
  expect(after.text).not.toContain('is my order number');

  // The erased visitor's open widget starts again as a new visitor: the old conversation is gone from it, and what
  // they write now opens a new chat that agents see.
  await expect(panel.locator('.hd-me')).toHaveCount(0);
  await expect(panel).not.toContainText('is my order number');
  await panel.locator('.hd-input').fill('Hello again');
  await panel.locator('.hd-input').press('Enter');
  await expect(panel.locator('.hd-me').last()).toHaveAttribute('data-seq', '1');
  await expect(page.locator('main')).toContainText('Hello again');

  // Retention, on the website's page: kept across a reload (out-of-range values: server/tests/privacy.rs).
  await page.goto(`/admin/websites/${site.id}`);
  await hydrated(page);
  const card = page.locator('#retention-card');
  await card.locator('#retention-days').fill('30');
  await card.locator('#save-retention').click();
  await expect(card.locator('.form-status')).toContainText('Saved');
  await page.reload();
  await hydrated(page);
  await expect(page.locator('#retention-days')).toHaveValue('30');
  await card.scrollIntoViewIfNeeded();
  await page.screenshot({ path: 'test-results/privacy-retention.png', fullPage: true });
  await visitorContext.close();
});
