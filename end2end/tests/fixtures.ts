import { expect, type Page } from '@playwright/test';

export const ADMIN = { email: 'admin@e2e.test', password: 'e2e-password-123' };

/** Waits until the WASM bundle has hydrated the server-rendered page (frontend sets data-hydrated). */
export async function hydrated(page: Page) {
  await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(1);
}

export async function signIn(page: Page, email = ADMIN.email, password = ADMIN.password) {
  await page.goto('/admin/login');
  await hydrated(page);
  await page.locator('#login-email').fill(email);
  await page.locator('#login-password').fill(password);
  await page.locator('#login-submit').click();
}

const hostPort = Number(process.env.HELPDESK_E2E_HOST_PORT ?? 3181);
/** The customer's website (node host-server.mjs), on another origin than Helpdesk. */
export const HOST_URL = `http://127.0.0.1:${hostPort}`;
/** The same page under a host name the test website does not allow. */
export const FOREIGN_HOST_URL = `http://localhost:${hostPort}`;

/** Creates a website from the dashboard (signed in) and returns its id and API key. */
export async function createWebsite(page: Page, name: string, domains: string): Promise<{ id: string; key: string }> {
  await page.goto('/admin/websites');
  await hydrated(page);
  await page.locator('#website-name').fill(name);
  await page.locator('#website-domains').fill(domains);
  await page.locator('#create-website').click();
  await expect(page).toHaveURL(/\/admin\/websites\/[0-9a-f-]{36}$/);
  const id = page.url().split('/').pop()!;
  const key = (await page.locator('#api-key').textContent())!.trim();
  return { id, key };
}
