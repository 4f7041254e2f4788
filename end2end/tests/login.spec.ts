import { test, expect } from '@playwright/test';
import { ADMIN, hydrated, newUser, signIn } from './fixtures';

test('a signed-out visit to the dashboard lands on the login page', async ({ page }) => {
  await page.goto('/admin/chats');
  await expect(page).toHaveURL(/\/admin\/login\?next=\/admin\/chats$/);
  await expect(page.locator('#login-form')).toBeVisible();
});

test('a wrong password shows an error and no session', async ({ page, context }) => {
  const user = await newUser('wrong-password');
  await signIn(page, user.email, 'not-the-password');
  await expect(page.locator('#login-error')).toHaveText('Email or password is incorrect.');
  await expect(page).toHaveURL(/\/admin\/login/);
  const cookies = await context.cookies();
  expect(cookies.find((c) => c.name === 'helpdesk_session')).toBeUndefined();
});

test('signing in opens the dashboard layout; signing out returns to login', async ({ page, context }) => {
  await signIn(page, ADMIN.email, ADMIN.password);
  await expect(page).toHaveURL(/\/admin\/dashboard(\?tz=[^&]+)?$/);
  await expect(page.locator('#page-title')).toHaveText('Dashboard');
  await expect(page.locator('#current-user')).toContainText(ADMIN.email);
  await expect(page.locator('#current-user')).toContainText('Super admin');

  const session = (await context.cookies()).find((c) => c.name === 'helpdesk_session');
  expect(session?.httpOnly).toBe(true);
  expect(session?.sameSite).toBe('Lax');
  expect(await page.evaluate(() => document.cookie)).not.toContain('helpdesk_session');

  // Client-side navigation through the layout keeps the session.
  await page.getByRole('link', { name: 'Websites' }).click();
  await expect(page).toHaveURL(/\/admin\/websites$/);
  await expect(page.locator('#page-title')).toHaveText('Websites');
  await page.screenshot({ path: 'test-results/dashboard-websites.png', fullPage: true });

  await page.locator('#logout').click();
  await expect(page).toHaveURL(/\/admin\/login$/);
  await page.goto('/admin/dashboard');
  await expect(page).toHaveURL(/\/admin\/login/);
});

test('after sign-in the browser goes on to the page it asked for', async ({ page }) => {
  const user = await newUser('next-page');
  await page.goto('/admin/analytics');
  await hydrated(page);
  await page.locator('#login-email').fill(user.email);
  await page.locator('#login-password').fill(user.password);
  await page.locator('#login-submit').click();
  await expect(page).toHaveURL(/\/admin\/analytics(\?tz=[^&]+)?$/);
  await expect(page.locator('#page-title')).toHaveText('Analytics');
});
