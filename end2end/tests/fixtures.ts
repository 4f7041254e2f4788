import { expect, type Page } from '@playwright/test';

import { randomUUID } from 'node:crypto';

/** The super admin the server creates at its first start (playwright.config.ts). */
export const ADMIN = { email: 'admin@e2e.test', password: 'e2e-password-123' };

const port = Number(process.env.HELPDESK_E2E_PORT ?? 3180);
const BASE_URL = `http://127.0.0.1:${port}`;

/** Every API call of a fixture gives up after this long, so a hung server fails the test instead of stalling it. */
const API_TIMEOUT_MS = 10_000;

async function api(path: string, init: RequestInit & { token?: string } = {}): Promise<any> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const res = await fetch(`${BASE_URL}${path}`, { ...init, headers, signal: AbortSignal.timeout(API_TIMEOUT_MS) });
  const body = await res.text();
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${body}`);
  return body ? JSON.parse(body) : null;
}

export type Account = { email: string; password: string; id: string };

/**
 * A new user of `role` made by the super admin through the REST API, with an address no other test uses. Each spec
 * signs in as its own admin, who sees only the websites they make: what one spec creates never shows in another's
 * inbox or activity log, whatever order they run in.
 */
export async function newUser(label: string, role: 'admin' | 'agent' = 'admin', websiteIds: string[] = []): Promise<Account> {
  const { token } = await api('/api/auth/login', { method: 'POST', body: JSON.stringify(ADMIN) });
  const email = `${label}-${randomUUID().slice(0, 8)}@e2e.test`;
  const password = `pw-${randomUUID()}`;
  const user = await api('/api/users', {
    method: 'POST',
    token,
    body: JSON.stringify({ email, name: label, role, password, websiteIds }),
  });
  return { email, password, id: user.id };
}

/** Waits until the WASM bundle has hydrated the server-rendered page (frontend sets data-hydrated). */
export async function hydrated(page: Page) {
  await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(1);
}

export async function signIn(page: Page, email: string, password: string) {
  await page.goto('/admin/login');
  await hydrated(page);
  await page.locator('#login-email').fill(email);
  await page.locator('#login-password').fill(password);
  await page.locator('#login-submit').click();
}

/** Signs `page` in as `account` and waits for the dashboard. */
export async function signInAs(page: Page, account: { email: string; password: string }) {
  await signIn(page, account.email, account.password);
  // The dashboard adds the browser's time zone to its URL once its script runs.
  await expect(page).toHaveURL(/\/admin\/dashboard(\?tz=[^&]+)?$/);
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

/** A real PNG of `width`×`height` RGB pixels (a blue-ish gradient), built with zlib. */
export function makePng(width: number, height: number): Buffer {
  const zlib = require('node:zlib') as typeof import('node:zlib');
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body) >>> 0);
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x++) row.set([(x * 255) / width, (y * 255) / height, 200], 1 + x * 3);
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Plays the visitor from a page served by Helpdesk itself (its origin is on the website's allowlist). */
export async function visitorSays(page: Page, key: string, text: string): Promise<string> {
  return page.evaluate(
    async ({ key, text }) => {
      const session = await fetch(`/api/widget/session?apiKey=${key}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ visitorToken: null }),
      }).then((r) => r.json());
      // The token rides in the protocol list, as the widget sends it; never in the URL.
      const ws = new WebSocket(`ws://${location.host}/ws?apiKey=${key}`, [
        'helpdesk.v1',
        `helpdesk.visitor-token.${session.visitorToken}`,
      ]);
      (window as any).visitorInbox = [];
      ws.onmessage = (e) => (window as any).visitorInbox.push(JSON.parse(e.data));
      (window as any).visitorSocket = ws;
      await new Promise((resolve, reject) => {
        ws.onopen = resolve;
        ws.onclose = (e) => reject(new Error(`socket closed: ${e.code} ${e.reason}`));
      });
      ws.send(JSON.stringify({ type: 'chat-message', clientMsgId: 'e2e-1', content: text }));
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        const ack = (window as any).visitorInbox.find((m: any) => m.type === 'ack');
        if (ack) return ack.chatId as string;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`no ack within 10 s: ${JSON.stringify((window as any).visitorInbox)}`);
    },
    { key, text },
  );
}

