// What a browser downloads on its first visit to a dashboard page, with an empty cache: every response's body as
// sent (brotli where the server has it), until the page has hydrated. Run by scripts/check-dashboard-size.sh against
// a release server; prints each page with its files and exits 1 when a page is over its budget.
//
// Usage: node dashboard-size.mjs BASE_URL EMAIL PASSWORD PATH=BUDGET...
// A PATH other than /admin/login is loaded signed in as EMAIL.
import { chromium } from '@playwright/test';

const [base, email, password, ...pages] = process.argv.slice(2);
if (!base || !email || !password || pages.length === 0) {
  console.error('usage: node dashboard-size.mjs BASE_URL EMAIL PASSWORD PATH=BUDGET...');
  process.exit(2);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu'],
});
// Chromium offers brotli only over HTTPS; a deployment serves the dashboard over HTTPS, so ask for it here too.
const encodings = { 'Accept-Encoding': 'br, gzip' };
const HYDRATED = 'body[data-hydrated="true"]';
const TIMEOUT = 30_000;

let signedIn;
async function session() {
  if (signedIn) return signedIn;
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${base}/admin/login`);
  await page.waitForSelector(HYDRATED, { timeout: TIMEOUT });
  await page.fill('#login-email', email);
  await page.fill('#login-password', password);
  await page.click('#login-submit');
  await page.waitForURL(/\/admin\/dashboard$/, { timeout: TIMEOUT });
  signedIn = await context.storageState();
  await context.close();
  return signedIn;
}

let failed = false;
for (const spec of pages) {
  const [path, budget] = spec.split('=');
  const storageState = path === '/admin/login' ? undefined : await session();
  const context = await browser.newContext({ storageState, extraHTTPHeaders: encodings });
  const page = await context.newPage();
  const finished = [];
  page.on('requestfinished', (request) => finished.push(request));
  await page.goto(`${base}${path}`);
  await page.waitForSelector(HYDRATED, { timeout: TIMEOUT });
  if (new URL(page.url()).pathname !== path) throw new Error(`${path} ended at ${page.url()}`);
  const files = [];
  for (const request of finished) {
    const { responseBodySize } = await request.sizes();
    const response = await request.response();
    const encoding = (await response?.allHeaders())?.['content-encoding'] ?? 'identity';
    files.push({ url: new URL(request.url()).pathname, bytes: responseBodySize, encoding });
  }
  await context.close();
  const total = files.reduce((sum, f) => sum + f.bytes, 0);
  const over = total > Number(budget);
  failed ||= over;
  console.log(`${path}: ${total} B in ${files.length} files (budget ${budget})${over ? ' OVER BUDGET' : ''}`);
  for (const f of files.sort((a, b) => b.bytes - a.bytes).slice(0, 6)) {
    console.log(`  ${String(f.bytes).padStart(8)} ${f.encoding.padEnd(8)} ${f.url}`);
  }
}
await browser.close();
process.exit(failed ? 1 : 0);
