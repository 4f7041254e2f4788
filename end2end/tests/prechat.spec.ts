import { test, expect } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { createWebsite, hydrated, newUser, signInAs, HOST_URL } from './fixtures';

// The pre-chat form from the dashboard to the visitor: the admin asks for a name (required), an email (optional),
// the question (required) and a consent box in the widget settings, seeing it in the live preview; the visitor
// meets the form (loaded on demand, focus in its first field), is told what is missing, and starts the chat with
// the question as its first message; the agent sees the name, the email and the consent.

test('a visitor answers the pre-chat form and the agent sees who they are', async ({ page, browser }) => {
  await signInAs(page, await newUser('prechat'));
  const site = await createWebsite(page, 'Prechat shop', new URL(HOST_URL).host);
  await page.goto(`/admin/websites/${site.id}`);
  await hydrated(page);
  const consent = 'I agree that Prechat shop keeps my messages to answer me.';
  await page.locator('#prechat-name').selectOption('required');
  await page.locator('#prechat-email').selectOption('optional');
  await page.locator('#prechat-question').selectOption('required');
  await page.locator('#prechat-consent').fill(consent);
  // The live preview draws the form with the widget's own markup and CSS.
  const preview = page.frameLocator('#widget-preview');
  await expect(preview.locator('.hd-prechat')).toBeVisible();
  await expect(preview.locator('.hd-prechat label').first()).toHaveText('Your name');
  await expect(preview.locator('.hd-prechat')).toContainText('Your email (optional)');
  await expect(preview.locator('.hd-consent')).toContainText(consent);
  await page.locator('#save-settings').click();
  await expect(page.locator('#widget-settings-form .form-ok', { hasText: 'Saved.' })).toBeVisible();
  await page.locator('.settings-layout').screenshot({ path: 'test-results/prechat-settings.png' });

  const visitorContext = await browser.newContext();
  const visitor = await visitorContext.newPage();
  const chunk = visitor.waitForRequest((r) => /\/widget\/[0-9a-f]+\/forms\.js$/.test(r.url()));
  await visitor.goto(`${HOST_URL}/?key=${encodeURIComponent(site.key)}`);
  await visitor.locator('.hd-launcher').click();
  await chunk; // the forms module, imported when the form is first shown
  const form = visitor.locator('.hd-prechat');
  await expect(form).toBeVisible();
  await expect(visitor.locator('.hd-composer')).toBeHidden();
  await expect(form.locator('[name=name]')).toBeFocused();
  const axe = await new AxeBuilder({ page: visitor }).include('helpdesk-widget').withTags(['wcag2a', 'wcag2aa']).analyze();
  expect(axe.violations.map((v) => v.id)).toEqual([]);

  // What is missing is said, field by field: the question (checked in the widget), then the box (by the server).
  await form.locator('[name=name]').fill('Marta Ruiz');
  await form.getByRole('button', { name: 'Start the chat' }).click();
  await expect(form.locator('.hd-error')).toHaveText('Tell us how we can help.');
  await expect(form.locator('[name=question]')).toBeFocused();
  await form.locator('[name=question]').fill('Can I change the delivery address of order 4471?');
  await form.locator('[name=email]').fill('marta@example.com');
  await form.getByRole('button', { name: 'Start the chat' }).click();
  await expect(form.locator('.hd-error')).toContainText('Tick the box');
  await expect(form.locator('[name=consent]')).toBeFocused();
  await visitor.screenshot({ path: 'test-results/prechat-form.png' });
  await form.locator('[name=consent]').check();
  await form.getByRole('button', { name: 'Start the chat' }).click();

  // The chat begins with the question; the message box takes over.
  const mine = visitor.locator('.hd-me').last();
  await expect(mine).toContainText('Can I change the delivery address of order 4471?');
  await expect(mine).toHaveAttribute('data-seq', '1');
  await expect(form).toBeHidden();
  await expect(visitor.locator('.hd-input')).toBeFocused();
  await visitor.screenshot({ path: 'test-results/prechat-chat.png' });

  await page.goto('/admin/chats');
  await hydrated(page);
  const row = page.locator('.inbox-row', { hasText: 'Marta Ruiz' }).first();
  await expect(row).toBeVisible();
  await row.locator('a').first().click();
  await expect(page.locator('#messages')).toContainText('Can I change the delivery address of order 4471?');
  await expect(page.locator('#chat-visitor')).toHaveText('Marta Ruiz');
  await expect(page.locator('#visitor-name')).toHaveText('Marta Ruiz');
  await expect(page.locator('#visitor-email')).toHaveText('marta@example.com');
  await expect(page.locator('#visitor-consent')).toContainText(consent);
  await page.locator('#visitor-panel').screenshot({ path: 'test-results/prechat-visitor-panel.png' });
  await visitorContext.close();
});
