import { test, expect } from '@playwright/test';
import { createWebsite, hydrated, newUser, signInAs, HOST_URL } from './fixtures';

// An agent's reply is kept until the server has stored it: written while the dashboard's connection is down, it
// shows as "Sending…", goes out once the socket is back, and reaches the visitor once.

test('a reply written while the connection is down goes out when it is back, once', async ({ browser }) => {
  const agentContext = await browser.newContext();
  const link = { down: false, open: [] as any[] };
  await agentContext.routeWebSocket(/\/ws$/, (ws) => {
    if (link.down) return ws.close();
    ws.connectToServer();
    link.open.push(ws);
  });
  const agent = await agentContext.newPage();
  await signInAs(agent, await newUser('outbox'));
  const site = await createWebsite(agent, 'Outbox shop', new URL(HOST_URL).host);

  const visitorContext = await browser.newContext();
  const visitor = await visitorContext.newPage();
  await visitor.goto(`${HOST_URL}/?key=${encodeURIComponent(site.key)}`);
  await visitor.locator('.hd-launcher').click();
  const panel = visitor.locator('.hd-panel');
  await panel.locator('.hd-input').fill('Is anyone there?');
  await panel.locator('.hd-input').press('Enter');
  await expect(panel.locator('.hd-me').last()).toHaveAttribute('data-seq', '1');

  await agent.goto('/admin/chats');
  await hydrated(agent);
  const row = agent.locator('#inbox-waiting .inbox-row', { hasText: 'Outbox shop' }).first();
  await row.locator('a').click();
  await expect(agent.locator('#messages')).toContainText('Is anyone there?');

  // The connection drops; the agent answers anyway.
  link.down = true;
  for (const ws of link.open) await ws.close();
  link.open = [];
  await agent.locator('#reply').fill('Yes, one moment please.');
  await agent.locator('#send-reply').click();
  await expect(agent.locator('#reply')).toHaveValue('');
  const pending = agent.locator('#messages .message.pending');
  await expect(pending).toContainText('Yes, one moment please.');
  await expect(pending).toContainText('Sending…');
  await expect(agent.locator('#reply-notice')).toContainText('Not connected right now: your reply is kept');

  // Back: the reply goes out by itself, once.
  link.down = false;
  await expect(panel.locator('.hd-agent').last()).toContainText('Yes, one moment please.', { timeout: 20_000 });
  await expect(pending).toHaveCount(0);
  await expect(agent.locator('#reply-notice')).toHaveText('');
  await expect(agent.locator('#messages .message.mine', { hasText: 'Yes, one moment please.' })).toHaveCount(1);
  await expect(panel.locator('.hd-agent', { hasText: 'Yes, one moment please.' })).toHaveCount(1);
  await agent.screenshot({ path: 'test-results/outbox-delivered.png' });

  await agentContext.close();
  await visitorContext.close();
});
