import { test, expect, type Page } from '@playwright/test';
import { randomUUID } from 'node:crypto';
import { hydrated, newUser, signIn, signInAs } from './fixtures';

async function createWebsite(page: Page, name: string, domains: string) {
  await page.goto('/admin/websites');
  await hydrated(page);
  await page.locator('#website-name').fill(name);
  await page.locator('#website-domains').fill(domains);
  await page.locator('#create-website').click();
  await expect(page).toHaveURL(/\/admin\/websites\/[0-9a-f-]{36}$/);
  await expect(page.locator('#website-title')).toHaveText(name);
  await hydrated(page);
}

test('an admin creates a website, edits the widget with a live preview and copies the embed code', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await signInAs(page, await newUser('settings'));
  await createWebsite(page, 'Shop', 'shop.example.com\n*.example.org');

  const embed = page.locator('#embed-code');
  await expect(embed).toHaveValue(/^<script src="http:\/\/127\.0\.0\.1:\d+\/widget\.js" data-key="hdk_[0-9a-f]{40}" async><\/script>$/);
  await page.locator('#copy-embed').click();
  await expect(page.locator('#copy-embed')).toHaveText('Copied');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(await embed.inputValue());

  // The preview follows the form as the admin types.
  const preview = page.frameLocator('#widget-preview');
  await expect(preview.locator('.hd-head')).toHaveCSS('background-color', 'rgb(37, 99, 235)');
  await page.locator('#primary-color').fill('#ff0000');
  await expect(preview.locator('.hd-head')).toHaveCSS('background-color', 'rgb(255, 0, 0)');
  await page.locator('#welcome-message').fill('Welcome to the <b>Shop</b>!');
  await expect(preview.locator('.hd-agent')).toHaveText('Welcome to the <b>Shop</b>!');
  await page.locator('#position').selectOption('bottom-left');
  await expect(preview.locator('.hd-launcher')).toHaveCSS('left', '20px');
  await page.locator('#save-settings').click();
  await expect(page.locator('#widget-settings-form .form-ok')).toHaveText('Saved.');
  await page.screenshot({ path: 'test-results/website-settings.png', fullPage: true });

  // An invalid value is explained beside its field and nothing is saved.
  await page.locator('#primary-color').fill('red');
  await page.locator('#hours-monday').fill('17:00-09:00');
  await page.locator('#save-settings').click();
  await expect(page.locator('#widget-settings-form [data-field="primaryColor"]')).toHaveText('Use a color like #2563eb.');
  await page.reload();
  await hydrated(page);
  await expect(page.locator('#primary-color')).toHaveValue('#ff0000');
  await expect(page.locator('#welcome-message')).toHaveValue('Welcome to the <b>Shop</b>!');
  await expect(page.locator('#hours-monday')).toHaveValue('09:00-17:00');

  // Rotating the key changes the embed code at once.
  const before = await embed.inputValue();
  page.once('dialog', (d) => d.accept());
  await page.locator('#rotate-key').click();
  await expect(embed).not.toHaveValue(before);
});

test('an admin creates an agent who then sees only the assigned website', async ({ page }) => {
  const admin = await newUser('team-admin');
  const AGENT = { email: `agent-${randomUUID().slice(0, 8)}@e2e.test`, password: 'agent-password-1' };
  await signInAs(page, admin);
  await createWebsite(page, 'Assigned site', 'assigned.example.com');
  await createWebsite(page, 'Other site', 'other.example.com');

  await page.goto('/admin/admins');
  await hydrated(page);
  await page.locator('#new-user-email').fill(AGENT.email);
  await page.locator('#new-user-name').fill('Agent Smith');
  await page.locator('#new-user-role').selectOption('agent');
  await page.locator('#new-user-password').fill(AGENT.password);
  await page.locator('#create-user-form label', { hasText: 'Assigned site' }).locator('input').check();
  await page.locator('#create-user').click();
  await expect(page.locator('#users-table')).toContainText(AGENT.email);
  await page.screenshot({ path: 'test-results/users.png', fullPage: true });

  await page.locator('#logout').click();
  await expect(page).toHaveURL(/\/admin\/login$/);
  await signIn(page, AGENT.email, AGENT.password);
  await expect(page).toHaveURL(/\/admin\/dashboard(\?tz=[^&]+)?$/);
  await expect(page.locator('#current-user')).toContainText('Agent');
  await page.getByRole('link', { name: 'Websites' }).click();
  await expect(page.locator('#websites-table')).toContainText('Assigned site');
  await expect(page.locator('#websites-table')).not.toContainText('Other site');
  await expect(page.locator('#create-website-form')).toHaveCount(0);
  await page.screenshot({ path: 'test-results/agent-websites.png', fullPage: true });

  // The activity log shows what happened, to the admin who did it. Signing out must finish first: a sign-out
  // answered after the next sign-in would clear the new session's cookie.
  await page.locator('#logout').click();
  await expect(page).toHaveURL(/\/admin\/login$/);
  await signInAs(page, admin);
  await page.goto('/admin/activity');
  await hydrated(page);
  await page.locator('#filter-action').selectOption('user.create');
  await page.locator('#activity-filters button[type="submit"]').click();
  await expect(page.locator('#activity-table')).toContainText('user.create');
  await expect(page.locator('#activity-table')).toContainText(AGENT.email);
});
