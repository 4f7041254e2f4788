import { test, expect } from '@playwright/test';
import { createWebsite, hydrated, newUser, signInAs } from './fixtures';

test('an agent chooses away or is set away when idle, and the others see it live', async ({ page, browser, baseURL }) => {
  await signInAs(page, await newUser('avail-admin'));
  const site = await createWebsite(page, 'Availability site', new URL(baseURL!).host);
  const ben = await newUser('avail-ben', 'agent', [site.id]);

  // Ben's browser runs on a clock the test can move, for the idle timer.
  const benContext = await browser.newContext();
  const benPage = await benContext.newPage();
  await benPage.clock.install();
  await signInAs(benPage, ben);
  await hydrated(benPage);
  await expect(benPage.locator('#availability-label')).toHaveText('Online');

  await page.goto('/admin/dashboard');
  await hydrated(page);
  const benRow = page.locator(`#dash-agents li[data-agent="${ben.id}"]`);
  await expect(benRow).toContainText('Online');

  // Ben chooses away: the admin's dashboard says so without a reload.
  await benPage.locator('#availability summary').click();
  await benPage.locator('.availability-choice[data-status="away"]').click();
  await expect(benPage.locator('#availability-label')).toHaveText('Away');
  await expect(benRow).toContainText('Away');
  await expect(benRow.locator('.status-dot')).toHaveAttribute('data-status', 'away');
  await benPage.screenshot({ path: 'test-results/availability-menu.png' });
  await page.screenshot({ path: 'test-results/availability-dashboard.png', fullPage: true });

  // Back online, with five idle minutes; after six without input the dashboard sets him away by itself…
  await benPage.locator('.availability-choice[data-status="online"]').click();
  await expect(benRow).toContainText('Online');
  await benPage.locator('#away-after').selectOption('5');
  await expect(benPage.locator('#away-after')).toHaveValue('5');
  await benPage.locator('#availability summary').click();
  await benPage.clock.fastForward('06:00');
  await expect(benPage.locator('#availability-label')).toHaveText('Away');
  await expect(benRow).toContainText('Away');
  // …and his next input brings him back.
  await benPage.mouse.move(200, 300);
  await benPage.mouse.move(220, 320);
  await expect(benPage.locator('#availability-label')).toHaveText('Online');
  await expect(benRow).toContainText('Online');

  // A choice survives a reload.
  await benPage.locator('#availability summary').click();
  await benPage.locator('.availability-choice[data-status="offline"]').click();
  await expect(benRow).toContainText('Offline');
  await benPage.reload();
  await hydrated(benPage);
  await expect(benPage.locator('#availability-label')).toHaveText('Offline');
  await benContext.close();
});
