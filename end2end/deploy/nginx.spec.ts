import { test, expect } from '@playwright/test';

// Through nginx over TLS, with two nodes behind it and no sticky sessions: the agent's dashboard and the visitor's
// widget each land on whichever node nginx picks, and still hear each other live.

const BASE = process.env.HELPDESK_URL!;
const HOST = process.env.HOST_URL!;
const ADMIN = { email: process.env.HELPDESK_ADMIN_EMAIL!, password: process.env.HELPDESK_ADMIN_PASSWORD! };

test('a visitor and an agent chat through nginx over https and wss', async ({ browser, playwright }) => {
  const api = await playwright.request.newContext({ baseURL: BASE, ignoreHTTPSErrors: true });
  const login = await api.post('/api/auth/login', { data: ADMIN });
  expect(login.ok()).toBeTruthy();
  const { token } = await login.json();
  const created = await api.post('/api/websites', {
    headers: { authorization: `Bearer ${token}` },
    data: { name: 'Through nginx', domains: [new URL(HOST).host] },
  });
  expect(created.ok()).toBeTruthy();
  const site = await created.json();
  expect(site.embedCode).toContain(`${BASE}/widget.js`);

  // The hashed chat bundle keeps its year-long immutable cache through the proxy (a CDN may keep it too).
  const loader = await api.get('/widget.js');
  const bundle = (await loader.text()).match(/\/widget\/[0-9a-f]+\/widget_bg\.wasm/)![0];
  expect((await api.get(bundle)).headers()['cache-control']).toBe('public, max-age=31536000, immutable');

  // The agent signs in to the dashboard over https (the session cookie is Secure) and opens the inbox.
  const agentContext = await browser.newContext({ ignoreHTTPSErrors: true, baseURL: BASE });
  const agent = await agentContext.newPage();
  await agent.goto('/admin/login');
  await expect(agent.locator('body[data-hydrated="true"]')).toHaveCount(1);
  await agent.locator('#login-email').fill(ADMIN.email);
  await agent.locator('#login-password').fill(ADMIN.password);
  await agent.locator('#login-submit').click();
  await expect(agent).toHaveURL(/\/admin\/dashboard/);
  const cookie = (await agentContext.cookies()).find((c) => c.name === 'helpdesk_session');
  expect(cookie?.secure).toBe(true);
  await agent.goto('/admin/chats');
  await expect(agent.locator('body[data-hydrated="true"]')).toHaveCount(1);

  // The visitor, on the customer's page, opens the widget (its socket is wss through nginx) and writes.
  const visitorContext = await browser.newContext({ ignoreHTTPSErrors: true });
  const visitor = await visitorContext.newPage();
  const sockets: string[] = [];
  visitor.on('websocket', (ws) => sockets.push(ws.url()));
  await visitor.goto(`${HOST}/?key=${encodeURIComponent(site.apiKey)}`);
  await visitor.locator('.hd-launcher').click();
  const panel = visitor.locator('.hd-panel');
  await expect(panel).toBeVisible();
  await panel.locator('.hd-input').fill('Hello through the proxy');
  await panel.locator('.hd-input').press('Enter');
  await expect(panel.locator('.hd-me').last()).toHaveAttribute('data-seq', '1');
  expect(sockets.some((url) => url.startsWith(`${BASE.replace('https', 'wss')}/ws`))).toBeTruthy();

  // The agent hears it live, whichever node each of them is on, and answers.
  const row = agent.locator('#inbox-waiting .inbox-row', { hasText: 'Through nginx' }).first();
  await expect(row).toBeVisible();
  await row.locator('a').click();
  await expect(agent.locator('#messages')).toContainText('Hello through the proxy');
  await agent.locator('#reply').fill('Hello from behind nginx');
  await agent.locator('#send-reply').click();
  await expect(panel.locator('.hd-agent').last()).toContainText('Hello from behind nginx');

  await visitor.screenshot({ path: 'test-results/deploy/visitor.png' });
  await agent.screenshot({ path: 'test-results/deploy/agent.png' });
  await agentContext.close();
  await visitorContext.close();
  await api.dispose();
});
