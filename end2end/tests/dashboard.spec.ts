import { test, expect, type Page } from '@playwright/test';
import { createWebsite, hydrated, newUser, signInAs } from './fixtures';

/** A visitor of website `key` on a page served by Helpdesk itself: opens a socket, reports a page, says hello. */
async function visitorStartsChat(page: Page, key: string): Promise<string> {
  return page.evaluate(async (key) => {
    const session = await fetch(`/api/widget/session?apiKey=${key}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ visitorToken: null }),
    }).then((r) => r.json());
    const ws = new WebSocket(`ws://${location.host}/ws?apiKey=${key}`, ['helpdesk.v1', `helpdesk.visitor-token.${session.visitorToken}`]);
    const inbox: any[] = [];
    ws.onmessage = (e) => inbox.push(JSON.parse(e.data));
    (window as any).visitorSocket = ws;
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onclose = (e) => reject(new Error(`socket closed: ${e.code}`));
    });
    ws.send(JSON.stringify({ type: 'page-view', url: `${location.origin}/pricing`, title: 'Pricing' }));
    ws.send(JSON.stringify({ type: 'chat-message', clientMsgId: 'dash-1', content: 'Is anyone there?' }));
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const ack = inbox.find((m) => m.type === 'ack');
      if (ack) return ack.chatId as string;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('no ack within 10 s');
  }, key);
}

test('the dashboard counts a waiting chat live, and stops when an agent takes it', async ({ page, browser, baseURL }) => {
  await signInAs(page, await newUser('dashboard'));
  const site = await createWebsite(page, 'Dashboard site', new URL(baseURL!).host);
  await page.goto('/admin/dashboard');
  await hydrated(page);
  await expect(page).toHaveURL(/\/admin\/dashboard\?tz=/);
  await expect(page.locator('.live.on')).toBeVisible();
  await expect(page.locator('#waiting-count')).toHaveText('0');
  await expect(page.locator('#today-chats .kpi-value')).toHaveText('0');
  // The viewer is an agent online.
  await expect(page.locator('#agents-count')).toHaveText('1');

  const visitorContext = await browser.newContext();
  const visitor = await visitorContext.newPage();
  await visitor.goto('/healthz');
  const chatId = await visitorStartsChat(visitor, site.key);

  // Without a reload: the chat waits, the visitor is on their page, today's figures follow.
  await expect(page.locator('#waiting-count')).toHaveText('1');
  await expect(page.locator(`#dash-waiting a[href="/admin/chats/${chatId}"]`)).toBeVisible();
  await expect(page.locator('#dash-waiting .waited')).toHaveText(/\d+ s/);
  await expect(page.locator('#visitors-count')).toHaveText('1');
  await expect(page.locator('#dash-visitors')).toContainText('/pricing');
  await expect(page.locator('#today-chats .kpi-value')).toHaveText('1');
  await page.screenshot({ path: 'test-results/dashboard-live.png', fullPage: true });

  // An agent answers (from another tab): the chat is taken and leaves the waiting list.
  const agentTab = await page.context().newPage();
  await agentTab.goto('/healthz');
  const status = await agentTab.evaluate(
    (chatId) => fetch('/api/messages', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ chatId, content: 'Hello! I am here.', clientMsgId: 'dash-answer' }) }).then((r) => r.status),
    chatId,
  );
  expect(status).toBe(201);
  await expect(page.locator('#waiting-count')).toHaveText('0');
  await expect(page.locator('#dash-agents')).toContainText('1 open chat');
  await expect(page.locator('#today-first-response .kpi-value')).toHaveText(/\d+ s/);

  // The visitor leaves.
  await visitor.evaluate(() => (window as any).visitorSocket.close());
  await expect(page.locator('#visitors-count')).toHaveText('0');
  await visitorContext.close();
});

test('analytics shows charts for the chosen range, and each downloads as CSV', async ({ page, browser, baseURL }) => {
  await signInAs(page, await newUser('analytics'));
  const site = await createWebsite(page, 'Analytics site', new URL(baseURL!).host);
  const visitorContext = await browser.newContext();
  const visitor = await visitorContext.newPage();
  await visitor.goto('/healthz');
  await visitorStartsChat(visitor, site.key);

  await page.goto('/admin/analytics?days=7');
  await hydrated(page);
  await expect(page).toHaveURL(/days=7&tz=/);
  await expect(page.locator('#analytics-summary .kpi-value').first()).toHaveText('1');
  for (const chart of ['chats', 'messages', 'visitors', 'missed', 'first-response', 'resolution', 'status', 'heatmap']) {
    await expect(page.locator(`#chart-${chart} svg, #chart-${chart} .hbars`)).toBeVisible();
  }
  await expect(page.locator('#chart-chats rect.series')).toHaveCount(7);
  await page.screenshot({ path: 'test-results/analytics.png', fullPage: true });

  const download = page.waitForEvent('download');
  await page.locator('#chart-chats a.csv').click();
  const file = await download;
  expect(file.suggestedFilename()).toBe('chats-per-day.csv');
  const csv = await (await import('node:fs/promises')).readFile((await file.path())!, 'utf8');
  const lines = csv.trim().split('\n');
  expect(lines[0]).toBe('Date,Chats');
  expect(lines).toHaveLength(8);
  expect(lines.slice(1).map((l) => Number(l.split(',')[1])).reduce((a, b) => a + b, 0)).toBe(1);

  // Another range through the form: today only.
  await page.locator('#analytics-days').selectOption('1');
  await page.getByRole('button', { name: 'Show' }).click();
  await expect(page).toHaveURL(/days=1/);
  await expect(page.locator('#chart-chats rect.series')).toHaveCount(1);

  // The website's own tab shows the same figures for it alone.
  await page.goto(`/admin/websites/${site.id}?tab=analytics`);
  await hydrated(page);
  await expect(page.locator('#analytics-summary .kpi-value').first()).toHaveText('1');
  await expect(page.locator('#analytics-website')).toHaveCount(0);
  await visitorContext.close();
});

test('analytics is readable before the dashboard script runs', async ({ browser, baseURL }) => {
  const account = await newUser('analytics-no-js');
  const context = await browser.newContext();
  const page = await context.newPage();
  await signInAs(page, account);
  // The same session, without JavaScript: the server renders the report from the URL.
  const noScript = await browser.newContext({ javaScriptEnabled: false, storageState: await context.storageState() });
  const plain = await noScript.newPage();
  await plain.goto(`${baseURL}/admin/analytics?days=30&tz=Europe%2FBerlin`);
  await expect(plain.locator('#analytics-summary')).toContainText('Europe/Berlin');
  await expect(plain.locator('#chart-chats rect.series')).toHaveCount(30);
  await expect(plain.locator('#chart-heatmap rect.cell')).toHaveCount(168);
  await noScript.close();
  await context.close();
});
