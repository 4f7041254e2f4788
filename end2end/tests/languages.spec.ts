import { test, expect } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { createWebsite, hydrated, newUser, signInAs, HOST_URL } from './fixtures';

// The widget in the visitor's language: a German browser gets German texts, and a website set to Arabic gets a
// right-to-left widget (launcher, panel, messages) with Arabic texts, which axe-core checks.

test('the widget speaks the browser language, and Arabic right to left', async ({ page, browser }) => {
  await signInAs(page, await newUser('languages'));
  const site = await createWebsite(page, 'Languages shop', new URL(HOST_URL).host);
  const page_url = `${HOST_URL}/?key=${encodeURIComponent(site.key)}`;

  const german = await browser.newContext({ locale: 'de-DE' });
  const visitor = await german.newPage();
  await visitor.goto(page_url);
  await expect(visitor.locator('.hd-launcher')).toHaveAttribute('aria-label', 'Chatten Sie mit uns');
  await visitor.locator('.hd-launcher').click();
  const panel = visitor.locator('.hd-panel');
  await expect(panel).toHaveAttribute('lang', 'de');
  await expect(panel.locator('#hd-title')).toHaveText('Chatten Sie mit uns');
  await expect(panel.locator('.hd-welcome')).toHaveText('Hallo! Wie können wir Ihnen heute helfen?');
  await expect(panel.locator('.hd-send')).toHaveText('Senden');
  await expect(panel.locator('.hd-input')).toHaveAttribute('placeholder', 'Nachricht schreiben…');
  await german.close();

  // The admin sets Arabic for everyone, with their own welcome text in Arabic.
  await page.goto(`/admin/websites/${site.id}`);
  await hydrated(page);
  await page.locator('#widget-language').selectOption('ar');
  await page.locator('#widget-translations summary').click();
  await page.locator('#welcome-ar').fill('أهلًا بك في متجرنا!');
  await page.locator('#save-settings').click();
  await expect(page.locator('#widget-settings-form .form-ok', { hasText: 'Saved.' })).toBeVisible();

  const context = await browser.newContext({ locale: 'en-GB' });
  const arabic = await context.newPage();
  await arabic.goto(page_url);
  await arabic.locator('.hd-launcher').click();
  const rtl = arabic.locator('.hd-panel');
  await expect(rtl).toHaveAttribute('dir', 'rtl');
  await expect(rtl).toHaveAttribute('lang', 'ar');
  await expect(rtl.locator('.hd-welcome')).toHaveText('أهلًا بك في متجرنا!');
  await expect(rtl.locator('.hd-send')).toHaveText('إرسال');
  await rtl.locator('.hd-input').fill('مرحبا، هل يمكنني تغيير طلبي؟');
  await rtl.locator('.hd-input').press('Enter');
  const mine = rtl.locator('.hd-me').last();
  await expect(mine).toHaveAttribute('data-seq', '1');
  // Right to left: the visitor's own message sits on the left, the welcome on the right.
  const [mineBox, welcomeBox] = [await mine.boundingBox(), await rtl.locator('.hd-welcome').boundingBox()];
  expect(mineBox!.x).toBeLessThan(welcomeBox!.x);
  const axe = await new AxeBuilder({ page: arabic }).include('helpdesk-widget').withTags(['wcag2a', 'wcag2aa']).analyze();
  expect(axe.violations.map((v) => v.id)).toEqual([]);
  await arabic.screenshot({ path: 'test-results/widget-arabic.png' });
  await context.close();
});
