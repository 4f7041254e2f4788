import { test, expect } from '@playwright/test';
import { createWebsite, hydrated, newUser, signInAs } from './fixtures';

// The activity log: what changed, readably, and every page of it reachable.

test('the activity log shows what changed and pages back through older entries', async ({ page }) => {
  await signInAs(page, await newUser('activity'));
  const site = await createWebsite(page, 'Activity check', 'activity.example.com');
  // 30 renames: more than one page of the log.
  const statuses = await page.evaluate(async (id) => {
    const out: number[] = [];
    for (let i = 1; i <= 30; i++) {
      const res = await fetch(`/api/websites/${id}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: `Activity check ${i}` }),
      });
      out.push(res.status);
    }
    return out;
  }, site.id);
  expect(statuses.every((s) => s === 200)).toBe(true);

  await page.goto('/admin/activity');
  await hydrated(page);
  const first = page.locator('#activity-table tbody tr').first();
  await expect(first).toContainText('website.update');
  await expect(first.locator('.changes')).toContainText('Activity check 29 → Activity check 30');
  await expect(page.locator('#activity-page')).toContainText(/Page 1 of [2-9]/);
  const older = page.locator('#activity-older');
  await expect(older).toHaveText('Older');
  await expect(older).toBeEnabled();
  await expect(page.locator('#activity-newer')).toBeDisabled();
  await older.click();
  await expect(page.locator('#activity-page')).toContainText('Page 2 of');
  await expect(page.locator('#activity-table tbody tr').first()).not.toContainText('Activity check 30');
  await page.locator('#activity-newer').click();
  await expect(page.locator('#activity-page')).toContainText('Page 1 of');
  await page.screenshot({ path: 'test-results/activity.png', fullPage: true });
});
