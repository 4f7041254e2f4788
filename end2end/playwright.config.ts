import { defineConfig } from '@playwright/test';
import * as os from 'node:os';
import * as path from 'node:path';
import * as fs from 'node:fs';

// The release server built by scripts/build.sh, on its own port and a throwaway SQLite database.
const root = path.resolve(__dirname, '..');
const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(os.homedir(), '.cache/helpdesk/target');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'helpdesk-e2e-'));
const port = Number(process.env.HELPDESK_E2E_PORT ?? 3180);
export const baseURL = `http://127.0.0.1:${port}`;
const hostPort = Number(process.env.HELPDESK_E2E_HOST_PORT ?? 3181);
/** The customer's website (allowed) and the same page under a host name the website does not allow. */
export const hostURL = `http://127.0.0.1:${hostPort}`;
export const foreignHostURL = `http://localhost:${hostPort}`;
// A real SMTP server (tools/smtp/sink.py, aiosmtpd) the server sends through; tests read what it received here.
const smtpPort = Number(process.env.HELPDESK_E2E_SMTP_PORT ?? 3182);
// Workers load this file again (with a new dataDir) but inherit the runner's environment: the runner's directory wins.
process.env.HELPDESK_E2E_SMTP_DIR ??= path.join(dataDir, 'mail');
const smtpDir = process.env.HELPDESK_E2E_SMTP_DIR;
const python = path.join(process.env.HELPDESK_PY ?? path.join(os.homedir(), '.cache/helpdesk/py'), 'bin/python');

export default defineConfig({
  testDir: './tests',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  outputDir: './test-results',
  use: {
    baseURL,
    trace: 'off',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
  webServer: [{
    command: path.join(targetDir, 'release', 'server'),
    cwd: root,
    url: `${baseURL}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe',
    env: {
      HELPDESK_BIND: `127.0.0.1:${port}`,
      HELPDESK_DATA_DIR: dataDir,
      DATABASE_URL: `sqlite://${path.join(dataDir, 'e2e.db')}?mode=rwc`,
      HELPDESK_ADMIN_EMAIL: 'admin@e2e.test',
      HELPDESK_ADMIN_PASSWORD: 'e2e-password-123',
      LEPTOS_SITE_ROOT: process.env.LEPTOS_SITE_ROOT ?? path.join(root, 'target/site'),
      HELPDESK_SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      HELPDESK_MAIL_FROM: 'Helpdesk E2E <help@e2e.test>',
      HELPDESK_MAIL_RETRY_SECS: '1',
      // The webhook journey's receiver runs on loopback, inside the test.
      HELPDESK_WEBHOOKS_ALLOW_PRIVATE: 'true',
      HELPDESK_WEBHOOK_RETRY_SECS: '1',
      RUST_LOG: 'warn',
    },
  }, {
    command: `${python} ${path.join(root, 'tools/smtp/sink.py')} ${smtpPort} ${smtpDir}`,
    port: smtpPort,
    reuseExistingServer: false,
    timeout: 20_000,
  }, {
    // A customer's website on another origin, for the widget.
    command: 'node host-server.mjs',
    cwd: __dirname,
    url: `http://127.0.0.1:${hostPort}/healthz`,
    reuseExistingServer: false,
    timeout: 20_000,
    env: { HOST_PORT: String(hostPort), HELPDESK_URL: baseURL },
  }],
});
