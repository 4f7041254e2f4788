import { test, expect, type Page, type BrowserContext } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { createWebsite, hydrated, newUser, signInAs, HOST_URL } from './fixtures';

// What the workspace tells the agent and the visitor, on a wide screen: the count of chats waiting in the tab
// title and beside Chats, the open chats beside the conversation, the keyboard (with its help overlay), what the
// visitor is typing, read receipts both ways, and the agent's notification settings.

test.describe.configure({ mode: 'serial' });

let agentContext: BrowserContext;
let agent: Page;
let site: { id: string; key: string };

test.beforeAll(async ({ browser }) => {
  agentContext = await browser.newContext({ viewport: { width: 1500, height: 950 } });
  agent = await agentContext.newPage();
  await signInAs(agent, await newUser('signals'));
  site = await createWebsite(agent, 'Signals shop', new URL(HOST_URL).host);
});

test.afterAll(async () => {
  await agentContext.close();
});

test('the agent is told, moves by keyboard, sees the draft and both sides see what was read', async ({ browser }) => {
  await agent.goto('/admin/chats');
  await hydrated(agent);
  await expect(agent.locator('#chats-waiting')).toHaveCount(0);

  const visitorContext = await browser.newContext();
  const visitor = await visitorContext.newPage();
  await visitor.goto(`${HOST_URL}/?key=${encodeURIComponent(site.key)}`);
  await visitor.locator('.hd-launcher').click();
  const panel = visitor.locator('.hd-panel');
  await panel.locator('.hd-input').fill('Hello, is my order on its way?');
  await panel.locator('.hd-input').press('Enter');
  await expect(panel.locator('.hd-me').last()).toHaveAttribute('data-seq', '1');

  // A new chat waits for an answer: the tab title and the Chats link count it.
  await expect(agent.locator('#chats-waiting')).toHaveText('1');
  await expect(agent).toHaveTitle(/^\(1\) Chats · Helpdesk$/);

  // `j` opens the first open chat; the open chats stay beside it on a wide screen.
  await agent.locator('body').press('j');
  await expect(agent).toHaveURL(/\/admin\/chats\/[0-9a-f-]{36}$/);
  await expect(agent.locator('#messages')).toContainText('Hello, is my order on its way?');
  const queue = agent.locator('#queue-column');
  await expect(queue).toBeVisible();
  await expect(queue.locator('a[aria-current="page"]')).toContainText('Hello, is my order on its way?');

  // The agent has read it: the visitor's message says so.
  await expect(panel.locator('.hd-me.hd-read')).toHaveCount(1);
  await expect(panel.locator('.hd-me.hd-read')).toHaveAttribute('data-seq', '1');

  // What the visitor types shows before it is sent.
  await panel.locator('.hd-input').fill('It was order 4711, sent on');
  await expect(agent.locator('#visitor-typing')).toHaveText('The visitor is typing…');
  await expect(agent.locator('#typing-preview')).toHaveText('It was order 4711, sent on');

  // `?` lists the shortcuts; Escape closes the list.
  await agent.locator('body').press('?');
  const help = agent.locator('#shortcuts-help');
  await expect(help).toBeVisible();
  await expect(help).toContainText('Resolve the open chat');
  const axe = await new AxeBuilder({ page: agent }).include('#shortcuts-help').withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  expect(axe.violations.map((v) => v.id)).toEqual([]);
  await agent.screenshot({ path: 'test-results/signals-shortcuts.png' });
  await agent.keyboard.press('Escape');
  await expect(help).toHaveCount(0);

  // `a` assigns the chat to the agent, `r` goes to the reply box.
  await agent.locator('body').press('a');
  await expect(agent.locator('#accept-chat')).toHaveCount(0);
  await agent.locator('body').press('r');
  await expect(agent.locator('#reply')).toBeFocused();
  await agent.locator('#reply').fill('It left our warehouse this morning.');
  await agent.locator('#reply').press('Enter');
  await expect(panel.locator('.hd-agent').last()).toContainText('It left our warehouse this morning.');

  // The visitor, looking at the open chat, has seen the reply: the agent's last reply says so.
  await expect(agent.locator('#reply-receipt')).toHaveText('Seen');
  await expect(agent.locator('#typing-preview')).toHaveCount(0);
  // Answered: nothing waits for the agent any more.
  await expect(agent.locator('#chats-waiting')).toHaveCount(0);
  await expect(agent).toHaveTitle(/^Chat · Helpdesk$/);
  await agent.screenshot({ path: 'test-results/signals-conversation.png' });

  // The visitor writes again while the agent is on another page: the count comes back.
  await agent.locator('nav.sidebar a', { hasText: 'Websites' }).click();
  await expect(agent).toHaveURL(/\/admin\/websites$/);
  await panel.locator('.hd-input').fill('Thanks! And the invoice?');
  await panel.locator('.hd-input').press('Enter');
  await expect(agent.locator('#chats-waiting')).toHaveText('1');
  await expect(agent).toHaveTitle(/^\(1\) Websites · Helpdesk$/);

  // The website turns the typing preview off: agents see only that the visitor types.
  await agent.goto(`/admin/websites/${site.id}`);
  await hydrated(agent);
  await agent.locator('#typing-preview').uncheck();
  await agent.locator('#save-routing').click();
  await expect(agent.locator('#routing-card .form-status')).toHaveText('Saved.');
  await agent.locator('body').press('j');
  await expect(agent).toHaveURL(/\/admin\/chats\/[0-9a-f-]{36}$/);
  await expect(agent.locator('#messages')).toContainText('Thanks! And the invoice?');
  await panel.locator('.hd-input').fill('private draft');
  await expect(agent.locator('#visitor-typing')).toHaveText('The visitor is typing…');
  await expect(agent.locator('#typing-preview')).toHaveCount(0);

  // `e` resolves the open chat.
  await agent.locator('body').press('e');
  await expect(agent.locator('#chat-status')).toHaveText('Resolved');
  await expect(panel).toContainText('This chat has ended');
  await visitorContext.close();
});

test('each agent sets their own notifications from the bell', async () => {
  await agent.goto('/admin/dashboard');
  await hydrated(agent);
  const bell = agent.locator('#alerts');
  await expect(agent.locator('#alerts-label[data-loaded="true"]')).toHaveText('Alerts on');
  await bell.locator('summary').click();
  await expect(agent.locator('#alert-sound')).toBeChecked();
  await expect(agent.locator('#alert-repeat')).toHaveValue('60');
  await agent.locator('#alert-sound').uncheck();
  await agent.locator('#alert-desktop').uncheck();
  await expect(agent.locator('#alerts-label')).toHaveText('Alerts off');
  await agent.locator('#alert-repeat').selectOption('120');
  await agent.screenshot({ path: 'test-results/signals-alerts.png' });

  // Kept for the user, on the server: a reload shows the same.
  await agent.reload();
  await hydrated(agent);
  await expect(agent.locator('#alerts-label[data-loaded="true"]')).toHaveText('Alerts off');
  await agent.locator('#alerts summary').click();
  await expect(agent.locator('#alert-sound')).not.toBeChecked();
  await expect(agent.locator('#alert-repeat')).toHaveValue('120');
  await agent.locator('#alert-sound').check();
  await expect(agent.locator('#alerts-label')).toHaveText('Alerts on');
});
