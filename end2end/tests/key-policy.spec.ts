// The organization's key policy, with JavaScript and without: a default
// beyond the maximum refused with its message, a 30-day maximum saved, the key made before it
// listed and shortened with one click, Create API key offering only what
// the policy allows, and the banner for a key expiring within a week on the
// key list and the home page.
import { expect, test, type Page } from './fixtures';

const PASSWORD = 'correct horse battery staple';

async function register(page: Page) {
  await page.goto('/register');
  await page.getByLabel('Name', { exact: true }).fill('Ada Lovelace');
  await page.getByLabel('E-mail', { exact: true }).fill(`policy-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Repeat password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Location name', { exact: true }).fill('Orufy');
  await page.getByRole('button', { name: 'Create account' }).click();
  const saved = page.getByRole('dialog', { name: 'Save generated key' });
  await saved.getByRole('button', { name: 'Close' }).click();
  await expect(saved).toHaveCount(0);
}

function inDays(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

async function keyPolicy(page: Page) {
  await register(page);
  await page.goto('/settings/integrations');
  await page.getByRole('link', { name: 'Key policy' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Key policy');
  const rules = page.getByRole('region', { name: 'Rules for API keys' });

  // A default longer than the maximum: refused with its message, nothing saved.
  await rules.getByLabel('Maximum lifetime (days)').fill('30');
  await rules.getByLabel('Default expiry in Create API key').selectOption({ label: 'In 90 days' });
  await rules.getByRole('button', { name: 'Save key policy' }).click();
  await expect(page.getByRole('region', { name: 'Rules for API keys' })).toContainText(
    "This is longer than your organization's key policy allows",
  );

  const again = page.getByRole('region', { name: 'Rules for API keys' });
  await again.getByLabel('Maximum lifetime (days)').fill('30');
  await again.getByLabel('Default expiry in Create API key').selectOption({ label: 'In 30 days' });
  await again.getByRole('button', { name: 'Save key policy' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Key policy saved.' })).toBeVisible();
  await expect(page.getByLabel('Maximum lifetime (days)')).toHaveValue('30');

  // The key made at registration never expires: beyond the policy.
  const beyond = page.getByRole('region', { name: 'Keys beyond the policy' });
  await expect(beyond.getByRole('row', { name: /My first API key/ })).toContainText('Never');
  await beyond.getByRole('button', { name: 'Shorten to the policy' }).click();
  await expect(page.getByRole('region', { name: 'Keys beyond the policy' })).toContainText('Every key expires within 30 days.');

  // Create API key offers only what fits; a date within the week warns.
  await page.goto('/settings/integrations/public-api');
  await page.getByRole('link', { name: 'Create API key' }).click();
  const create = page.getByRole('dialog', { name: 'Create API key' });
  const expires = create.getByLabel('Expires', { exact: true });
  await expect(expires.locator('option')).toHaveText(['In 30 days', 'On a date']);
  await expect(expires).toHaveValue('30');
  await expect(create).toContainText('keys expire within 30 days');
  await create.getByLabel('Name', { exact: true }).fill('Ends soon');
  await expires.selectOption({ label: 'On a date' });
  await create.getByLabel('Expiry date').fill(inDays(3));
  await create.getByRole('button', { name: 'Finish' }).click();
  const saved = page.getByRole('dialog', { name: 'Save generated key' });
  await saved.getByRole('button', { name: 'Close' }).click();

  const banner = page.getByRole('region', { name: /Your API keys expiring within 7 days/ });
  await expect(banner.getByRole('link', { name: 'Ends soon' })).toBeVisible();
  await expect(banner).not.toContainText('My first API key');
  await page.goto('/');
  await expect(page.getByRole('region', { name: /Your API keys expiring within 7 days/ }).getByRole('link', { name: 'Ends soon' })).toBeVisible();
}

test('key policy: a refused number, a 30-day maximum, shorten, Create within it, the expiry banner', async ({ page }) => {
  await keyPolicy(page);
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('key policy: a refused number, a 30-day maximum, shorten, Create within it, the expiry banner', async ({ page }) => {
    await keyPolicy(page);
  });
});
