import { test, expect } from '@playwright/test';
import { createWebsite, hydrated, newUser, signInAs, HOST_URL } from './fixtures';

// Verified identity from the dashboard to two devices: the admin creates the website's identity secret and
// requires it; the customer's website (the test host, playing its backend) signs a token for its signed-in
// customer. Without one the launcher never shows; with one the customer chats on a laptop and finds the same chat
// on a phone; the agent sees them as verified.

test('a signed-in customer chats on two devices and the agent sees them verified', async ({ page, browser }) => {
  await signInAs(page, await newUser('identity'));
  const site = await createWebsite(page, 'Identity shop', new URL(HOST_URL).host);
  await page.goto(`/admin/websites/${site.id}`);
  await hydrated(page);
  const card = page.locator('#identity-card');
  await expect(card.locator('#identity-no-secret')).toBeVisible();
  await expect(card.locator('#identity-required')).toBeDisabled();
  await expect(card.locator('#identity-audience')).toHaveText(site.id);
  await card.locator('#rotate-identity-secret').click();
  const secretCode = card.locator('#identity-secret');
  await expect(secretCode).toHaveText(/^hdid_[0-9a-f]{64}$/);
  const secret = (await secretCode.textContent())!.trim();
  await expect(card.locator('#rotate-identity-secret')).toHaveText('New secret');
  await card.locator('#identity-required').check();
  await expect(card.locator('.form-ok', { hasText: 'Saved.' })).toBeVisible();
  await card.locator('summary').click();
  await expect(card.locator('#identity-example')).toContainText(`audience: '${site.id}'`);
  await card.scrollIntoViewIfNeeded();
  await card.screenshot({ path: 'test-results/identity-card.png' });

  // Signed out on the website: no launcher at all.
  const strangerContext = await browser.newContext();
  const stranger = await strangerContext.newPage();
  const configSeen = stranger.waitForResponse((r) => r.url().includes('/api/widget/config'));
  await stranger.goto(`${HOST_URL}/?key=${encodeURIComponent(site.key)}`);
  expect((await (await configSeen).json()).identityRequired).toBe(true);
  await stranger.waitForTimeout(500);
  await expect(stranger.locator('helpdesk-widget')).toHaveCount(0);

  // Signed in: the website's backend signs a token; the customer writes from the laptop.
  const signedIn = `${HOST_URL}/?key=${encodeURIComponent(site.key)}&customer=cust-7&name=Rosa%20Diaz` +
    `&website=${site.id}&secret=${secret}`;
  const laptopContext = await browser.newContext();
  const laptop = await laptopContext.newPage();
  await laptop.goto(signedIn);
  await laptop.locator('.hd-launcher').click();
  const panel = laptop.locator('.hd-panel');
  await panel.locator('.hd-input').fill('Hi from my laptop');
  await panel.locator('.hd-input').press('Enter');
  await expect(panel.locator('.hd-me').last()).toHaveAttribute('data-seq', '1');

  // The phone: another browser, the same customer, the same chat.
  const phoneContext = await browser.newContext({ viewport: { width: 390, height: 780 }, isMobile: true, hasTouch: true });
  const phone = await phoneContext.newPage();
  await phone.goto(signedIn);
  await phone.locator('.hd-launcher').click();
  await expect(phone.locator('.hd-panel .hd-me')).toContainText('Hi from my laptop');
  await phone.screenshot({ path: 'test-results/identity-phone.png' });

  // The agent sees the verified customer, named by the token.
  await page.goto('/admin/chats');
  await hydrated(page);
  await page.locator('[data-chat] a', { hasText: 'Rosa Diaz' }).first().click();
  await expect(page.locator('#visitor-customer')).toContainText('Verified');
  await expect(page.locator('#visitor-customer code')).toHaveText('cust-7');
  await expect(page.locator('#visitor-name')).toHaveText('Rosa Diaz');
  await page.locator('#visitor-panel').scrollIntoViewIfNeeded();
  await page.screenshot({ path: 'test-results/identity-visitor-panel.png', fullPage: true });

  // A forged token (signed with a guess) opens nothing.
  const forgedContext = await browser.newContext();
  const forged = await forgedContext.newPage();
  const session = forged.waitForResponse((r) => r.url().includes('/api/widget/session'));
  await forged.goto(signedIn.replace(secret, 'hdid_guess'));
  await forged.locator('.hd-launcher').click();
  const refused = await session;
  expect(refused.status()).toBe(401);
  expect((await refused.json()).error).toBe('invalid_identity');
  await expect(forged.locator('.hd-status')).toContainText('signature');

  for (const c of [strangerContext, laptopContext, phoneContext, forgedContext]) await c.close();
});
