import { test, expect } from '@playwright/test';
import { createWebsite, hydrated, newUser, signInAs, visitorSays } from './fixtures';

test('canned responses are kept on their page and inserted with / in the composer, variables filled', async ({ page, browser, baseURL }) => {
  await signInAs(page, await newUser('canned'));
  const site = await createWebsite(page, 'Canned site', new URL(baseURL!).host);

  // A shared response for the website, and a personal one.
  await page.getByRole('link', { name: 'Canned responses' }).click();
  await expect(page).toHaveURL(/\/admin\/canned$/);
  await hydrated(page);
  await expect(page.locator('#canned-empty')).toBeVisible();
  await page.locator('#canned-owner').selectOption({ label: 'Canned site' });
  await page.locator('#canned-shortcut').fill('hours');
  await page.locator('#canned-content').fill('Hi {{visitor.name}}, we are open 9 to 5. {{agent.name}} from {{website.name}}');
  await page.locator('#save-canned').click();
  await expect(page.locator('#canned-hours')).toContainText('Canned site');
  await page.locator('#canned-owner').selectOption({ label: 'Nobody else: personal' });
  await page.locator('#canned-shortcut').fill('thanks');
  await page.locator('#canned-content').fill('Thanks for waiting!');
  await page.locator('#save-canned').click();
  await expect(page.locator('#canned-thanks')).toContainText('Personal');
  // A taken shortcut is refused beside its field.
  await page.locator('#canned-shortcut').fill('Hours');
  await page.locator('#canned-content').fill('Again');
  await page.locator('#canned-owner').selectOption({ label: 'Canned site' });
  await page.locator('#save-canned').click();
  await expect(page.locator('#create-canned .field-error[data-field="shortcut"]')).toContainText('shortcut already');
  // Edited in place.
  await page.locator('#canned-thanks .edit-canned').click();
  await page.locator('#canned-thanks .canned-text').fill('Thanks for your patience!');
  await page.locator('#canned-thanks button[type="submit"]').click();
  await expect(page.locator('#canned-thanks')).toContainText('Thanks for your patience!');
  await page.screenshot({ path: 'test-results/canned.png', fullPage: true });

  const visitorContext = await browser.newContext();
  const visitor = await visitorContext.newPage();
  await visitor.goto('/healthz');
  const chatId = await visitorSays(visitor, site.key, 'When are you open?');
  await page.goto(`/admin/chats/${chatId}`);
  await hydrated(page);
  await expect(page.locator('.live.on')).toBeVisible();

  // "/" and a few letters offer the matching responses; the keyboard picks one.
  await page.locator('#reply').pressSequentially('/ho');
  await expect(page.locator('#canned-menu li')).toHaveCount(1);
  await expect(page.locator('#canned-menu')).toContainText('/hours');
  // Words of a response match too.
  await page.locator('#reply').fill('/patience');
  await expect(page.locator('#canned-menu li')).toHaveCount(1);
  await expect(page.locator('#canned-menu')).toContainText('/thanks');
  await page.locator('#reply').fill('/');
  await expect(page.locator('#canned-menu li')).toHaveCount(2);
  await page.locator('#reply').press('ArrowDown');
  await expect(page.locator('#canned-menu li.picked')).toContainText('/thanks');
  await page.locator('#reply').press('ArrowUp');
  await page.locator('#reply').press('Enter');
  await expect(page.locator('#canned-menu')).toHaveCount(0);
  await expect(page.locator('#reply')).toHaveValue('Hi there, we are open 9 to 5. canned from Canned site');
  await page.locator('#reply').press('Enter');
  await expect(page.locator('#messages .message.mine')).toContainText('we are open 9 to 5');
  await expect
    .poll(() => visitor.evaluate(() => (window as any).visitorInbox.filter((m: any) => m.type === 'new-message' && m.message.senderType !== 'visitor').map((m: any) => m.message.content)))
    .toEqual(['canned joined the chat', 'Hi there, we are open 9 to 5. canned from Canned site']);
  await visitorContext.close();
});

test('an internal note is shown to agents and never reaches the visitor', async ({ page, browser, baseURL }) => {
  const admin = await newUser('notes');
  await signInAs(page, admin);
  const site = await createWebsite(page, 'Notes site', new URL(baseURL!).host);
  const visitorContext = await browser.newContext();
  const visitor = await visitorContext.newPage();
  await visitor.goto('/healthz');
  const chatId = await visitorSays(visitor, site.key, 'My order is late');

  // A colleague on the same website, in a browser of their own.
  const colleague = await newUser('colleague', 'agent', [site.id]);
  const colleagueContext = await browser.newContext();
  const other = await colleagueContext.newPage();
  await signInAs(other, colleague);
  await other.goto(`/admin/chats/${chatId}`);
  await hydrated(other);
  await expect(other.locator('.live.on')).toBeVisible();

  await page.goto(`/admin/chats/${chatId}`);
  await hydrated(page);
  await expect(page.locator('.live.on')).toBeVisible();
  await page.locator('label', { has: page.locator('#mode-note') }).click();
  await expect(page.locator('#composer.note')).toBeVisible();
  await page.locator('#reply').fill('Customer is a VIP: refund without questions');
  await page.locator('#send-reply').click();
  const note = page.locator('#messages .message.note');
  await expect(note).toContainText('Customer is a VIP');
  await expect(note).toContainText('Internal note · notes');
  // The colleague sees it live; the chat still waits for an answer.
  await expect(other.locator('#messages .message.note')).toContainText('Customer is a VIP');
  await expect(page.locator('#chat-status')).toHaveText('Waiting');

  // Back to replying: the visitor gets the answer (after the joined line), never the note.
  await page.locator('label', { has: page.locator('#mode-reply') }).click();
  await page.locator('#reply').fill('Sorry! A refund is on its way.');
  await page.locator('#send-reply').click();
  await expect(page.locator('#messages .message.system')).toContainText('notes joined the chat');
  await expect
    .poll(() => visitor.evaluate(() => (window as any).visitorInbox.filter((m: any) => m.type === 'new-message' && m.message.senderType !== 'visitor').map((m: any) => m.message.content)))
    .toEqual(['notes joined the chat', 'Sorry! A refund is on its way.']);
  const everything = await visitor.evaluate(() => JSON.stringify((window as any).visitorInbox));
  expect(everything).not.toContain('VIP');
  await page.screenshot({ path: 'test-results/notes.png', fullPage: true });
  await visitorContext.close();
  await colleagueContext.close();
});

test('labels are defined on the website page, put on a chat, and filter the inbox views', async ({ page, browser, baseURL }) => {
  await signInAs(page, await newUser('labels'));
  const site = await createWebsite(page, 'Labels site', new URL(baseURL!).host);
  // The website page: its labels.
  await page.goto(`/admin/websites/${site.id}`);
  await hydrated(page);
  await page.locator('#label-name').fill('VIP');
  await page.locator('#add-label').click();
  await expect(page.locator('#label-list li')).toHaveCount(1);
  await page.locator('#label-name').fill('vip');
  await page.locator('#add-label').click();
  await expect(page.locator('#labels-card .field-error[data-field="name"]')).toContainText('already');

  const visitorContext = await browser.newContext();
  const visitor = await visitorContext.newPage();
  await visitor.goto('/healthz');
  const chatId = await visitorSays(visitor, site.key, 'Where is my parcel?');

  await page.goto(`/admin/chats/${chatId}`);
  await hydrated(page);
  await page.locator('#add-label').selectOption({ label: 'VIP' });
  await expect(page.locator('#chat-label-chips .label-chip')).toHaveText('VIP');

  // The inbox: the row says who and what, with the label; the views filter.
  await page.goto('/admin/chats');
  await hydrated(page);
  const row = page.locator(`[data-chat="${chatId}"]`);
  await expect(row.locator('.last-message')).toHaveText('Where is my parcel?');
  await expect(row.locator('.label-chip')).toHaveText('VIP');
  await expect(row.locator('.age')).toContainText('waiting');
  await expect(page.locator('#view-unassigned .count')).toHaveText('1');
  await page.locator('#view-mine').click();
  await expect(page).toHaveURL(/view=mine/);
  await expect(page.locator('#inbox-waiting')).toContainText('None.');
  await page.locator('#view-unassigned').click();
  await expect(row).toBeVisible();
  await page.locator('.inbox-views a', { hasText: 'VIP' }).click();
  await expect(page).toHaveURL(/label=/);
  await expect(row).toBeVisible();
  await expect(page.locator('#inbox-closed')).toHaveCount(0);
  await page.screenshot({ path: 'test-results/inbox-views.png', fullPage: true });

  // Taken off in the conversation: the label's view no longer holds the chat.
  await page.goto(`/admin/chats/${chatId}`);
  await hydrated(page);
  // Browser and system read from the User-Agent, the raw string on demand.
  await expect(page.locator('#visitor-browser')).toHaveText(/^Chrome \d+/);
  await expect(page.locator('#visitor-os')).toHaveText('Linux');
  await expect(page.locator('#visitor-user-agent code')).toBeHidden();
  await page.locator('#visitor-user-agent summary').click();
  await expect(page.locator('#visitor-user-agent code')).toContainText('HeadlessChrome/');
  // The agent learns who this is and says so: the inbox row shows the name.
  await page.locator('#edit-visitor').click();
  await page.locator('#visitor-email-input').fill('not an email');
  await page.locator('#save-visitor').click();
  // The browser holds the form back (the server refuses it too: server/tests/visitor_contact.rs).
  expect(await page.locator('#visitor-email-input').evaluate((el: HTMLInputElement) => el.validity.valid)).toBe(false);
  await expect(page.locator('#visitor-contact-form')).toBeVisible();
  await page.locator('#visitor-name-input').fill('Zoé Martin');
  await page.locator('#visitor-email-input').fill('zoe@example.com');
  await page.locator('#save-visitor').click();
  await expect(page.locator('#visitor-name')).toHaveText('Zoé Martin');
  await expect(page.locator('#visitor-email')).toHaveText('zoe@example.com');
  await page.locator('.remove-label').click();
  await expect(page.locator('#chat-label-chips')).toContainText('None.');
  await page.goto('/admin/chats');
  await hydrated(page);
  await expect(row.locator('.visitor-name')).toHaveText('Zoé Martin');
  await visitorContext.close();
});
