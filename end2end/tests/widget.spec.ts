import { test, expect, type Page, type BrowserContext } from '@playwright/test';
import { createWebsite, hydrated, makePng, newUser, signInAs, FOREIGN_HOST_URL, HOST_URL } from './fixtures';

// The visitor's side: the widget embedded on a customer's page (another origin, hostile CSS), against a live
// agent in a second browser context.

test.describe.configure({ mode: 'serial' });

let agentContext: BrowserContext;
let agent: Page;
let site: { id: string; key: string };

test.beforeAll(async ({ browser }) => {
  agentContext = await browser.newContext();
  agent = await agentContext.newPage();
  await signInAs(agent, await newUser('widget'));
  site = await createWebsite(agent, 'Acme shop', new URL(HOST_URL).host);
});

test.afterAll(async () => {
  await agentContext.close();
});

function hostPage(key: string, base = HOST_URL) {
  return `${base}/?key=${encodeURIComponent(key)}`;
}

test('a visitor chats live with an agent, sends an image, and gets the chat back after a reload', async ({ browser }) => {
  const visitorContext = await browser.newContext();
  // The widget's socket goes through the test, which can cut it.
  const connection = { down: false, open: [] as any[] };
  await visitorContext.routeWebSocket(/\/ws\?/, (ws) => {
    if (connection.down) return ws.close();
    ws.connectToServer();
    connection.open.push(ws);
  });
  const visitor = await visitorContext.newPage();
  await visitor.goto(hostPage(site.key));

  // The host page's CSS hides every button and the widget's element: the launcher is still there, in the site color.
  const launcher = visitor.locator('.hd-launcher');
  await expect(launcher).toBeVisible();
  await expect(launcher).toHaveCSS('background-color', 'rgb(37, 99, 235)');
  await expect(visitor.locator('.hd-panel')).toHaveCount(0); // the chat is not loaded before it is opened
  expect(await visitor.evaluate(() => Object.keys(window).filter((k) => k.toLowerCase().includes('helpdesk')))).toEqual(['Helpdesk']);

  await launcher.click();
  const panel = visitor.locator('.hd-panel');
  await expect(panel).toBeVisible();
  await expect(panel.locator('.hd-welcome')).toContainText('Hello! How can we help you today?');
  await expect(panel.locator('.hd-bubble').first()).not.toHaveCSS('font-family', /Comic Sans/);
  await expect(panel.locator('.hd-input')).toBeFocused();
  await panel.locator('.hd-input').fill('Hello, do you ship to Lisbon?');
  await panel.locator('.hd-input').press('Enter');
  const mine = panel.locator('.hd-me').last();
  await expect(mine).toContainText('Hello, do you ship to Lisbon?');
  await expect(mine).toHaveAttribute('data-seq', '1');

  // The agent gets the chat live and answers; the visitor sees the typing and the reply.
  await agent.goto('/admin/chats');
  await hydrated(agent);
  // This website's chat (other specs' websites may have waiting chats too).
  const row = agent.locator('#inbox-waiting .inbox-row', { hasText: 'Acme shop' }).first();
  await expect(row).toBeVisible();
  await row.locator('a').click();
  await expect(agent.locator('#messages')).toContainText('Hello, do you ship to Lisbon?');
  await expect(agent.locator('#current-page')).toContainText(HOST_URL);
  await agent.locator('#reply').pressSequentially('Yes', { delay: 20 });
  await expect(panel.locator('.hd-typing')).toHaveText('An agent is typing…');
  await agent.locator('#reply').fill('Yes, we do! Delivery takes 3 days.');
  await agent.locator('#send-reply').click();
  await expect(panel.locator('.hd-agent').last()).toContainText('Yes, we do! Delivery takes 3 days.');
  await expect(panel.locator('.hd-typing')).toHaveText('');

  // The visitor typing shows on the agent's side.
  await panel.locator('.hd-input').pressSequentially('Gr', { delay: 20 });
  await expect(agent.locator('#visitor-typing')).toHaveText('The visitor is typing…');
  await panel.locator('.hd-input').fill('');

  // An image: a thumbnail on both sides.
  const png = makePng(480, 320);
  await panel.locator('.hd-file').setInputFiles({ name: 'receipt.png', mimeType: 'image/png', buffer: png });
  const thumb = panel.locator('.hd-me img.hd-thumb');
  await expect(thumb).toHaveAttribute('src', /^blob:/);
  await expect(thumb).toHaveAttribute('alt', 'receipt.png');
  await expect(agent.locator('#messages .attachment.image img')).toHaveAttribute('src', /\/api\/attachments\/.+\/thumbnail$/);
  expect(await agent.locator('#messages .attachment.image img').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(320);
  await visitor.screenshot({ path: 'test-results/widget-open.png' });

  // The agent attaches a PDF from the dashboard; the visitor gets a download button.
  await agent.locator('#attach-file').setInputFiles({ name: 'invoice.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n%%EOF\n') });
  await expect(agent.locator('#messages .attachment.file')).toContainText('invoice.pdf');
  await expect(panel.locator('.hd-agent .hd-file-link')).toHaveAttribute('aria-label', 'Download invoice.pdf');
  const download = visitor.waitForEvent('download');
  await panel.locator('.hd-agent .hd-file-link').click();
  expect((await download).suggestedFilename()).toBe('invoice.pdf');

  // A refused upload says why, in the conversation.
  await panel.locator('.hd-file').setInputFiles({ name: 'evil.svg', mimeType: 'image/svg+xml', buffer: Buffer.from('<svg onload="alert(1)"/>') });
  await expect(panel.locator('.hd-failed .hd-note')).toContainText('Send an image');

  // Reload: the conversation is restored (the chat loads at once, since one is going on).
  await visitor.reload();
  await expect(visitor.locator('.hd-panel')).toBeHidden();
  await visitor.locator('.hd-launcher').click();
  await expect(visitor.locator('.hd-panel')).toBeVisible();
  await expect(visitor.locator('.hd-me').first()).toContainText('Hello, do you ship to Lisbon?');
  await expect(visitor.locator('.hd-agent', { hasText: 'Yes, we do! Delivery takes 3 days.' })).toHaveCount(1);
  await expect(visitor.locator('.hd-me img.hd-thumb')).toHaveAttribute('src', /^blob:/);
  await expect(visitor.locator('.hd-agent .hd-file-link')).toHaveAttribute('aria-label', 'Download invoice.pdf');

  // Keyboard: Escape closes and gives focus back to the launcher; Enter opens again.
  await visitor.locator('.hd-input').press('Escape');
  await expect(visitor.locator('.hd-panel')).toBeHidden();
  await expect(visitor.locator('.hd-launcher')).toBeFocused();
  await expect(visitor.locator('.hd-launcher')).toHaveAttribute('aria-expanded', 'false');
  await visitor.keyboard.press('Enter');
  await expect(visitor.locator('.hd-panel')).toBeVisible();
  await expect(visitor.locator('.hd-launcher')).toHaveAttribute('aria-expanded', 'true');

  // The connection drops (the test cuts the socket and refuses new ones for a moment): the widget says so, keeps
  // what is typed, resumes from its last seq (getting the agent's message it missed) and sends the outbox once.
  connection.down = true;
  for (const ws of connection.open.splice(0)) await ws.close();
  await expect(visitor.locator('.hd-status')).toContainText('Reconnecting');
  await visitor.locator('.hd-input').fill('Written while offline');
  await visitor.locator('.hd-input').press('Enter');
  await expect(visitor.locator('.hd-me.hd-pending')).toContainText('Written while offline');
  await agent.locator('#reply').fill('Are you still there?');
  await agent.locator('#send-reply').click();
  await expect(agent.locator('#messages .message.mine').last()).toContainText('Are you still there?');
  // Even a reload before the connection is back keeps the unsent message.
  await visitor.reload();
  await visitor.locator('.hd-launcher').click();
  await expect(visitor.locator('.hd-me.hd-pending')).toContainText('Written while offline');
  connection.down = false;
  await expect(visitor.locator('.hd-me.hd-pending')).toHaveCount(0, { timeout: 20_000 });
  await expect(visitor.locator('.hd-status')).toBeHidden();
  await expect(visitor.locator('.hd-agent').last()).toContainText('Are you still there?');
  await expect(agent.locator('#messages .message', { hasText: 'Written while offline' })).toHaveCount(1);
  await expect(visitor.locator('.hd-me', { hasText: 'Written while offline' })).toHaveCount(1);
  await expect(visitor.locator('.hd-log > li').last()).toContainText('Written while offline');
  await visitorContext.close();
});

test('on a phone the open chat fills the screen', async ({ browser }) => {
  const phone = await browser.newContext({ viewport: { width: 390, height: 800 }, isMobile: true, hasTouch: true });
  const visitor = await phone.newPage();
  await visitor.goto(hostPage(site.key));
  await visitor.locator('.hd-launcher').click();
  const panel = visitor.locator('.hd-panel');
  await expect(panel).toBeVisible();
  const box = await panel.boundingBox();
  expect(box).toEqual({ x: 0, y: 0, width: 390, height: 800 });
  await visitor.screenshot({ path: 'test-results/widget-phone.png' });
  await phone.close();
});

test('a domain the website does not allow shows nothing and logs why', async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const warnings: string[] = [];
  page.on('console', (m) => {
    if (m.text().startsWith('Helpdesk widget:')) warnings.push(m.text());
  });
  await page.goto(hostPage(site.key, FOREIGN_HOST_URL));
  await expect.poll(() => warnings.length).toBe(1);
  expect(warnings[0]).toContain(`${FOREIGN_HOST_URL} is not in that website's allowed domains`);
  await expect(page.locator('helpdesk-widget')).toHaveCount(0);

  warnings.length = 0;
  await page.goto(hostPage('hdk_not_a_real_key'));
  await expect.poll(() => warnings.length).toBe(1);
  expect(warnings[0]).toContain('the data-key "hdk_not_a_real_key" is not an active website\'s API key');
  await expect(page.locator('helpdesk-widget')).toHaveCount(0);
  await context.close();
});

test('outside business hours the visitor leaves a message that agents find in the inbox', async ({ browser }) => {
  // Closed every day; and the site's custom CSS restyles the widget's header, and only the widget.
  const status = await agent.evaluate(async (id) => {
    const settings = await fetch(`/api/websites/${id}/settings`).then((r) => r.json());
    settings.businessHours = { enabled: true, timezone: 'UTC', days: [[], [], [], [], [], [], []] };
    settings.offlineMessage = 'We are away. Leave a message and we will email you.';
    settings.customCss = '.hd-head { background: rgb(0, 128, 0); } h1 { color: rgb(0, 0, 255) !important; }';
    settings.primaryColor = '#aa3300';
    const res = await fetch(`/api/websites/${id}/settings`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(settings),
    });
    return res.status;
  }, site.id);
  expect(status).toBe(200);

  const context = await browser.newContext();
  const visitor = await context.newPage();
  await visitor.goto(hostPage(site.key));
  await expect(visitor.locator('.hd-launcher')).toHaveCSS('background-color', 'rgb(170, 51, 0)');
  await visitor.locator('.hd-launcher').click();
  await expect(visitor.locator('.hd-head')).toHaveCSS('background-color', 'rgb(0, 128, 0)');
  await expect(visitor.locator('h1')).toHaveCSS('color', 'rgb(255, 0, 255)'); // the host page's own rule, untouched
  const form = visitor.locator('.hd-offline');
  await expect(form).toBeVisible();
  await expect(visitor.locator('.hd-composer')).toBeHidden();
  await expect(form).toContainText('We are away.');
  await form.locator('[name=name]').fill('Ana Silva');
  await form.locator('[name=email]').fill('not-an-email');
  await form.locator('[name=message]').fill('Do you have this in blue?');
  await form.getByRole('button', { name: 'Leave a message' }).click();
  await expect(form.locator('.hd-error')).toContainText('email');
  await expect(form.locator('[name=email]')).toBeFocused();
  await form.locator('[name=email]').fill('ana@example.com');
  await form.getByRole('button', { name: 'Leave a message' }).click();
  await expect(visitor.locator('.hd-thanks')).toBeVisible();
  await expect(visitor.locator('.hd-thanks')).toHaveText('Thank you, Ana Silva! We will answer at ana@example.com.');
  await expect(visitor.locator('.hd-me')).toContainText('Do you have this in blue?');
  await expect(visitor.locator('.hd-log > li').last()).toHaveClass(/hd-thanks/);
  await expect(form).toBeHidden();
  await visitor.screenshot({ path: 'test-results/widget-offline.png' });

  await agent.goto('/admin/chats');
  await hydrated(agent);
  const row = agent.locator('#inbox-offline .inbox-row').first();
  await expect(row).toBeVisible();
  await row.locator('a').click();
  await expect(agent.locator('#messages')).toContainText('Do you have this in blue?');
  await expect(agent.locator('#visitor-email')).toHaveText('ana@example.com');
  await context.close();
});
