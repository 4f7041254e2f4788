import { defineConfig } from '@playwright/test';

// scripts/deploy-check.sh: Helpdesk behind nginx (HELPDESK_URL, https with a self-signed certificate) in front of two
// nodes, and a customer's page (HOST_URL). The script starts all of them; this config only drives Chromium.
export default defineConfig({
  testDir: './deploy',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  workers: 1,
  retries: 0,
  reporter: [['list']],
  outputDir: './test-results/deploy',
  use: {
    baseURL: process.env.HELPDESK_URL,
    ignoreHTTPSErrors: true,
    trace: 'off',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
    },
  },
});
