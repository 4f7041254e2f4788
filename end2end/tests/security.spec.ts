import { test, expect, type Page } from '@playwright/test';
import { createWebsite, hydrated, newUser, signInAs, HOST_URL } from './fixtures';

// What the browser enforces for us: the dashboard's Content-Security-Policy (no page may trip it), and the widget's
// behaviour when the server limits a visitor or takes the website's key away.

/** Records every CSP violation the page reports, from before its first script runs. */
async function watchCsp(page: Page): Promise<string[]> {
  const seen: string[] = [];
  await page.addInitScript(() => {
    (window as any).__csp = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      (window as any).__csp.push(`${e.violatedDirective} ${e.blockedURI}`),
    );
  });
  page.on('console', (m) => {
    if (m.text().includes('Content Security Policy')) seen.push(m.text());
  });
  return seen;
}

async function violations(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as any).__csp as string[]);
}

test('no dashboard page reports a Content-Security-Policy violation', async ({ page }) => {
  const console = await watchCsp(page);
  await page.goto('/admin/login');
  await hydrated(page);
  expect(await violations(page)).toEqual([]);
  await signInAs(page, await newUser('csp'));
  const site = await createWebsite(page, 'CSP check', new URL(HOST_URL).host);
  const pages = ['/admin/dashboard', '/admin/websites', `/admin/websites/${site.id}`, '/admin/chats', '/admin/analytics', '/admin/admins', '/admin/activity'];
  for (const path of pages) {
    await page.goto(path);
    await hydrated(page);
    // The live socket is up (connect-src allows our own ws://).
    if (path === '/admin/chats') await expect(page.locator('#following')).not.toHaveAttribute('data-count', '0');
    expect(await violations(page), path).toEqual([]);
  }
  // The widget preview (a sandboxed srcdoc frame, under the same policy) renders the site's colors.
  await page.goto(`/admin/websites/${site.id}`);
  await hydrated(page);
  const preview = page.frameLocator('iframe').first();
  await expect(preview.locator('body')).not.toBeEmpty();
  expect(await violations(page)).toEqual([]);
  expect(console).toEqual([]);
});

test('a visitor who writes too fast is told so, and the message goes once allowed', async ({ browser }) => {
  const agentContext = await browser.newContext();
  const agent = await agentContext.newPage();
  await signInAs(agent, await newUser('rate-limit'));
  const site = await createWebsite(agent, 'Chatty visitor', new URL(HOST_URL).host);

  const context = await browser.newContext();
  const visitor = await context.newPage();
  await visitor.goto(`${HOST_URL}/?key=${encodeURIComponent(site.key)}`);
  await visitor.locator('.hd-launcher').click();
  const input = visitor.locator('.hd-input');
  // 30 a minute are allowed at once, then one every 2 s: a burst of 36 outruns the refill however slow the machine
  // (a burst of 31 did not always: typing it can take longer than one refill).
  test.setTimeout(90_000);
  const total = 36;
  for (let i = 1; i <= total; i++) {
    await input.fill(`message ${i}`);
    await input.press('Enter');
  }
  // Said once, above the conversation, not once per refused message.
  await expect(visitor.locator('.hd-status')).toContainText('Not sent: Too many attempts. Try again in');
  expect(await visitor.locator('.hd-me[data-seq]').count()).toBeLessThan(total);
  await expect(visitor.locator('.hd-log')).not.toContainText('Too many attempts');
  await visitor.screenshot({ path: 'test-results/widget-rate-limited.png' });
  // Sent again by themselves as the limit allows: each stored once, in order.
  await expect(visitor.locator('.hd-me', { hasText: `message ${total}` })).toHaveAttribute('data-seq', String(total), {
    timeout: 45_000,
  });
  await expect(visitor.locator('.hd-me')).toHaveCount(total);
  await expect(visitor.locator('.hd-status')).toBeHidden();
  await context.close();
  await agentContext.close();
});

test('a replaced key ends the visitors\' chats on the old one', async ({ browser }) => {
  const agentContext = await browser.newContext();
  const agent = await agentContext.newPage();
  await signInAs(agent, await newUser('rotation'));
  const site = await createWebsite(agent, 'Rotating keys', new URL(HOST_URL).host);

  const context = await browser.newContext();
  const visitor = await context.newPage();
  await visitor.goto(`${HOST_URL}/?key=${encodeURIComponent(site.key)}`);
  await visitor.locator('.hd-launcher').click();
  await visitor.locator('.hd-input').fill('Hello before the key changes');
  await visitor.locator('.hd-input').press('Enter');
  await expect(visitor.locator('.hd-me').last()).toHaveAttribute('data-seq', '1');

  const status = await agent.evaluate(
    async (id) => (await fetch(`/api/websites/${id}/rotate-key`, { method: 'POST' })).status,
    site.id,
  );
  expect(status).toBe(200);
  // The socket is closed at once; the widget starts again with the old key, is refused, and goes away.
  await expect(visitor.locator('.hd-launcher')).toHaveCount(0, { timeout: 10_000 });
  await expect(visitor.locator('.hd-panel')).toHaveCount(0);
  await visitor.screenshot({ path: 'test-results/widget-key-rotated.png' });
  // A page with the new key gets a working widget again.
  const newKey = await agent.evaluate(
    async (id) => (await fetch(`/api/websites/${id}`).then((r) => r.json())).apiKey as string,
    site.id,
  );
  expect(newKey).not.toBe(site.key);
  await visitor.goto(`${HOST_URL}/?key=${encodeURIComponent(newKey)}`);
  await visitor.locator('.hd-launcher').click();
  await visitor.locator('.hd-input').fill('Hello with the new key');
  await visitor.locator('.hd-input').press('Enter');
  await expect(visitor.locator('.hd-me', { hasText: 'new key' })).toHaveAttribute('data-seq', /\d+/);
  await context.close();
  await agentContext.close();
});
