// Bulk actions of the key list, with JavaScript and without: keys ticked
// (by mouse and by keyboard), one confirmation naming how many and which,
// and every ticked key changed, the others not.
import { expect, test, type Page } from './fixtures';

const PASSWORD = 'correct horse battery staple';

async function registerWithKeys(page: Page) {
  await page.goto('/register');
  await page.getByLabel('Name', { exact: true }).fill('Ada Lovelace');
  await page.getByLabel('E-mail', { exact: true }).fill(`bulk-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Repeat password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Location name', { exact: true }).fill('Orufy');
  await page.getByRole('button', { name: 'Create account' }).click();
  const saved = page.getByRole('dialog', { name: 'Save generated key' });
  await saved.getByRole('button', { name: 'Close' }).click();
  await expect(saved).toHaveCount(0);
  // Two more keys, made through the same server function the dialog posts to.
  for (const name of ['Second', 'Third']) {
    const made = await page.request.post('/rpc/keys/create', {
      form: { name, expires: 'never' },
      headers: { Accept: 'application/json' },
    });
    expect(made.status()).toBe(200);
  }
  await page.goto('/settings/integrations/public-api');
}

const row = (page: Page, name: string) => page.getByRole('row', { name: new RegExp(`Select ${name}`) });

async function bulkDisableThenDelete(page: Page) {
  await registerWithKeys(page);
  await page.getByRole('checkbox', { name: 'Select My first API key' }).check();
  const second = page.getByRole('checkbox', { name: 'Select Second' });
  await second.focus();
  await page.keyboard.press('Space');
  await expect(second).toBeChecked();
  await page.getByRole('form', { name: 'Selected keys' }).getByRole('button', { name: 'Disable selected' }).click();

  const confirm = page.getByRole('dialog', { name: 'Disable the selected API keys (2)?' });
  await expect(confirm.getByTestId('bulk-keys')).toContainText('My first API key');
  await expect(confirm.getByTestId('bulk-keys')).toContainText('Second');
  await expect(confirm.getByTestId('bulk-keys')).not.toContainText('Third');
  await confirm.getByRole('button', { name: 'Disable (2)' }).click();
  await expect(row(page, 'My first API key')).toContainText('Disabled');
  await expect(row(page, 'Second')).toContainText('Disabled');
  await expect(row(page, 'Third')).toContainText('Active');

  await page.getByRole('checkbox', { name: 'Select My first API key' }).check();
  await page.getByRole('checkbox', { name: 'Select Second' }).check();
  await page.getByRole('form', { name: 'Selected keys' }).getByRole('button', { name: 'Delete selected' }).click();
  const remove = page.getByRole('dialog', { name: 'Delete the selected API keys (2)?' });
  await remove.getByRole('button', { name: 'Delete (2)' }).click();
  await expect(row(page, 'Second')).toHaveCount(0);
  await expect(row(page, 'My first API key')).toHaveCount(0);
  await expect(row(page, 'Third')).toContainText('Active');
}

test('bulk: tick two keys, disable them, then delete them', async ({ page }) => {
  await bulkDisableThenDelete(page);
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('bulk: tick two keys, disable them, then delete them', async ({ page }) => {
    await bulkDisableThenDelete(page);
  });
});
