import { test, expect } from '@playwright/test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createWebsite, hydrated, newUser, signInAs, HOST_URL } from './fixtures';

// Email through a real SMTP server (tools/smtp/sink.py, started by playwright.config.ts): an agent emails a chat's
// transcript from the conversation and it arrives; the admin sees it sent on /admin/email; the visitor asks for
// the transcript from the widget and it arrives too.

const mailDir = process.env.HELPDESK_E2E_SMTP_DIR!;

/** The messages the SMTP server received for `to`, as raw text (headers and body). */
function mailTo(to: string): string[] {
  if (!fs.existsSync(mailDir)) return [];
  return fs
    .readdirSync(mailDir)
    .filter((f) => f.endsWith('.eml'))
    .sort()
    .map((f) => fs.readFileSync(path.join(mailDir, f), 'utf8'))
    .filter((raw) => raw.split('\r\n')[0].includes(to));
}

/** Quoted-printable soft breaks and escapes undone, for reading a body. */
function decoded(raw: string): string {
  return raw.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
}

test('an agent emails the transcript, the admin sees it sent, and the visitor asks for one', async ({ page, browser }) => {
  await signInAs(page, await newUser('email'));
  const site = await createWebsite(page, 'Mail shop', new URL(HOST_URL).host);

  const visitorContext = await browser.newContext();
  const visitor = await visitorContext.newPage();
  await visitor.goto(`${HOST_URL}/?key=${encodeURIComponent(site.key)}`);
  await visitor.locator('.hd-launcher').click();
  const panel = visitor.locator('.hd-panel');
  await panel.locator('.hd-input').fill('Can you email me what we said?');
  await panel.locator('.hd-input').press('Enter');
  await expect(panel.locator('.hd-me').last()).toHaveAttribute('data-seq', '1');

  await page.goto('/admin/chats');
  await hydrated(page);
  await page.locator('#inbox-waiting [data-chat] a').first().click();
  await expect(page.locator('#messages')).toContainText('Can you email me what we said?');
  await page.locator('#reply').fill('Of course, here it comes.');
  await page.locator('#send-reply').click();
  await expect(page.locator('#messages .message.mine')).toContainText('Of course, here it comes.');

  // No address on the visitor yet: the field says so, and an empty send names the field.
  const card = page.locator('#transcript-card');
  await expect(card).toContainText('The visitor left no address.');
  await card.locator('#send-transcript').click();
  await expect(card.locator('.field-error[data-field="email"]')).toContainText('enter one');
  await card.locator('#transcript-to').fill('buyer@example.com');
  await card.locator('#send-transcript').click();
  await expect(card.locator('.form-status')).toContainText('Queued');
  await expect.poll(() => mailTo('buyer@example.com').length, { timeout: 15_000 }).toBe(1);
  const mail = decoded(mailTo('buyer@example.com')[0]);
  expect(mail).toContain('Subject: Your chat with Mail shop');
  expect(mail).toContain('You: Can you email me what we said?');
  expect(mail).toContain('Of course, here it comes.');
  await page.screenshot({ path: 'test-results/email-transcript-card.png', fullPage: true });

  // The outbox shows it sent.
  await page.goto('/admin/email');
  await hydrated(page);
  await expect(page.locator('#email-setup')).toContainText('help@e2e.test');
  const row = page.locator('#email-table tbody tr').filter({ hasText: 'buyer@example.com' });
  await expect(row).toContainText('Transcript');
  await expect(row).toContainText('Sent');
  await page.screenshot({ path: 'test-results/email-outbox.png', fullPage: true });

  // The visitor asks from the widget.
  await panel.locator('.hd-transcript').click();
  await panel.locator('.hd-transcript-form input[type="email"]').fill('rosa@example.com');
  await panel.locator('.hd-transcript-form button[type="submit"]').click();
  await expect(panel.locator('.hd-transcript-form')).toContainText('sent');
  await expect.poll(() => mailTo('rosa@example.com').length, { timeout: 15_000 }).toBe(1);
  expect(decoded(mailTo('rosa@example.com')[0])).toContain('Of course, here it comes.');
  await visitor.screenshot({ path: 'test-results/email-widget.png' });
  await visitorContext.close();
});
