import { expect, test, type Page } from './fixtures';
import * as fs from 'fs';

const PASSWORD = 'correct horse battery staple';
const KEY_PATTERN = /^kh_[0-9A-Za-z]{38}$/;

async function hydrated(page: Page) {
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
}

function uniqueEmail(tag: string) {
  return `${tag}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
}

test.beforeEach(({ page }) => {
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') console.log('CONSOLE', m.type(), m.text()); });
  page.on('pageerror', (e) => console.log('PAGEERROR', e.message));
});

/** Signs up; `firstKey` leaves "Create my first API key now" ticked. */
async function register(page: Page, firstKey: boolean, labels = {
  name: 'Name',
  email: 'E-mail',
  password: 'Password',
  confirm: 'Repeat password',
  location: 'Location name',
  firstKey: 'Create my first API key now',
  submit: 'Create account',
}) {
  const email = uniqueEmail('keys');
  await page.goto('/register');
  await hydrated(page);
  await page.getByLabel(labels.name, { exact: true }).fill('Ada Lovelace');
  await page.getByLabel(labels.email, { exact: true }).fill(email);
  await page.getByLabel(labels.password, { exact: true }).fill(PASSWORD);
  await page.getByLabel(labels.confirm, { exact: true }).fill(PASSWORD);
  await page.getByLabel(labels.location, { exact: true }).fill('Orufy');
  const box = page.getByLabel(labels.firstKey);
  await expect(box).toBeChecked();
  if (!firstKey) await box.uncheck();
  await page.getByRole('button', { name: labels.submit }).click();
  return email;
}

test('Orufy: gear → Settings → Public API → Create API key → copy → list → delete', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await register(page, true);

  // Sign-up ends on the Save generated key dialog with the first key.
  const first = page.getByRole('dialog', { name: 'Save generated key' });
  await expect(first).toBeVisible();
  await expect(first.getByLabel('Your API key')).toHaveValue(KEY_PATTERN);
  await expect(first).toContainText('cannot be shown again');
  await first.getByRole('button', { name: 'Close' }).click();
  await expect(first).toHaveCount(0);
  await expect(page.getByRole('row', { name: /My first API key/ })).toContainText('Active');

  // The gear icon in the top bar.
  await page.getByRole('banner').getByRole('link', { name: 'Settings', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Settings' })).toBeVisible();
  // Settings → Integrations → Public API, as the manual says.
  await page.getByRole('main').getByRole('link', { name: 'Integrations' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Integrations' })).toBeVisible();
  await page.getByRole('main').getByRole('link', { name: 'Public API' }).click();
  await expect(page.getByRole('navigation', { name: 'Breadcrumb' })).toHaveText(/Settings\s*Integrations\s*Public API/);
  await expect(page.getByRole('switch', { name: 'Enable Public API' })).toHaveAttribute('aria-checked', 'true');

  await page.getByRole('link', { name: 'Create API key' }).click();
  const create = page.getByRole('dialog', { name: 'Create API key' });
  await expect(create).toBeVisible();
  await create.getByLabel('Name', { exact: true }).fill('Integration with CRM');
  await create.getByRole('button', { name: 'Finish' }).click();

  const save = page.getByRole('dialog', { name: 'Save generated key' });
  await expect(save).toBeVisible();
  const key = await save.getByLabel('Your API key').inputValue();
  expect(key).toMatch(KEY_PATTERN);
  await save.getByRole('button', { name: 'Copy to clipboard' }).click();
  await expect(save.getByRole('status')).toHaveText('Copied');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key);
  await save.getByRole('button', { name: 'Close' }).click();
  await expect(save).toHaveCount(0);

  const row = page.getByRole('row', { name: /Integration with CRM/ });
  await expect(row).toContainText('Active');
  await expect(row).toContainText(key.slice(0, 7));
  expect(await page.content()).not.toContain(key);

  // Cancel keeps the key; Esc too; Delete removes it.
  await row.getByRole('link', { name: 'Delete Integration with CRM' }).click();
  const confirm = page.getByRole('dialog', { name: 'Delete this API key?' });
  await expect(confirm).toContainText('Integration with CRM');
  await confirm.getByRole('link', { name: 'Cancel' }).click();
  await expect(confirm).toHaveCount(0);
  await expect(row).toBeVisible();
  await row.getByRole('link', { name: 'Delete Integration with CRM' }).click();
  await expect(confirm).toBeVisible();
  // Esc is the dialog island's (without JavaScript the dialog is a plain
  // box in the page): the link loaded a page, so wait until it is interactive.
  await hydrated(page);
  await page.keyboard.press('Escape');
  await expect(confirm).toHaveCount(0);
  await expect(row).toBeVisible();
  await row.getByRole('link', { name: 'Delete Integration with CRM' }).click();
  await confirm.getByRole('button', { name: 'Delete' }).click();
  await expect(page.getByRole('row', { name: /Integration with CRM/ })).toHaveCount(0);
  await expect(page.getByRole('row', { name: /My first API key/ })).toBeVisible();
});

test('enterprise: User Account Details → API Keys → Generate key with two API sets → Download', async ({ page }) => {
  const email = await register(page, false);
  await expect(page.getByTestId('user-name')).toHaveText('Ada Lovelace');
  // The enterprise manual's path: Admin → Users in the left pane → User
  // Management → the Username → User Account Details.
  await page.getByRole('banner').getByRole('link', { name: 'Admin' }).click();
  await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Users' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'User Management' })).toBeVisible();
  await page.getByRole('link', { name: email }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'User Account Details' })).toBeVisible();
  const crumbs = page.getByRole('navigation', { name: 'Breadcrumb' });
  await expect(crumbs).toHaveText(/Admin\s*User Management\s*User Account Details/);
  await expect(crumbs.getByRole('link', { name: 'Admin' })).toHaveAttribute('href', '/admin');
  await expect(page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Users' })).toHaveAttribute('aria-current', 'page');
  const section = page.getByRole('region', { name: 'API Keys' });
  await section.getByRole('link', { name: 'Generate key' }).click();

  const dialog = page.getByRole('dialog', { name: 'Create API key' });
  await dialog.getByLabel('Name', { exact: true }).fill('Warehouse sync');
  await dialog.getByLabel('Description').fill('Nightly stock export');
  const available = dialog.getByRole('listbox', { name: 'Available API' });
  const selected = dialog.getByRole('listbox', { name: 'Selected API' });
  await available.getByRole('option', { name: /^keys:read/ }).click();
  await dialog.getByRole('button', { name: 'Add to Selected API' }).click();
  await available.getByRole('option', { name: /^audit:read/ }).dblclick();
  await expect(selected.getByRole('option')).toHaveCount(2);
  await expect(available.getByRole('option', { name: /^keys:read/ })).toHaveCount(0);
  await dialog.getByRole('button', { name: 'Finish' }).click();

  const save = page.getByRole('dialog', { name: 'Save generated key' });
  const key = await save.getByLabel('Your API key').inputValue();
  expect(key).toMatch(KEY_PATTERN);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    save.getByRole('button', { name: 'Download' }).click(),
  ]);
  expect(download.suggestedFilename()).toBe('Warehouse_sync.APIKEY');
  const file = fs.readFileSync(await download.path(), 'utf8');
  expect(file.trim().split('\n').pop()).toBe(key);
  expect(file).toContain('# Name: Warehouse sync');
  expect(file).toContain('# Organization: Orufy');
  expect(file).toContain('# API sets: audit:read, keys:read');
  expect(file).toMatch(/# API base URL: http:\/\/127\.0\.0\.1:\d+\/api\/v1/);
  await save.getByRole('button', { name: 'Close' }).click();

  const row = section.getByRole('row', { name: /Warehouse sync/ });
  await expect(row).toContainText('audit:read, keys:read');
  await expect(row).toContainText('Active');
  // Never shown again: not after Close, not after a reload.
  expect(await page.content()).not.toContain(key);
  await page.reload();
  await hydrated(page);
  await expect(page.getByRole('dialog', { name: 'Save generated key' })).toHaveCount(0);
  expect(await page.content()).not.toContain(key);

  // The key detail page.
  await page.getByRole('link', { name: 'Warehouse sync', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'API key details' })).toBeVisible();
  await expect(page.getByTestId('key-status')).toHaveText('Active');
  await expect(page.getByText('Nightly stock export')).toBeVisible();
});

test('the key page offers Disable, Enable, Roll and Delete as the list does', async ({ page }) => {
  await register(page, true);
  const first = page.getByRole('dialog', { name: 'Save generated key' });
  const firstKey = await first.getByLabel('Your API key').inputValue();
  await first.getByRole('button', { name: 'Close' }).click();
  await page.getByRole('link', { name: 'My first API key', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'API key details' })).toBeVisible();
  const actions = page.getByRole('group', { name: 'Actions' });
  const status = page.getByTestId('key-status');

  await actions.getByRole('button', { name: 'Disable' }).click();
  await expect(status).toHaveText('Disabled');
  await actions.getByRole('button', { name: 'Enable' }).click();
  await expect(status).toHaveText('Active');

  // Roll: the confirmation opens here; the new secret is shown once, on the list.
  await actions.getByRole('link', { name: 'Roll' }).click();
  const roll = page.getByRole('dialog', { name: 'Roll this API key?' });
  await roll.getByRole('button', { name: 'Roll key' }).click();
  const save = page.getByRole('dialog', { name: 'Save generated key' });
  const rolled = await save.getByLabel('Your API key').inputValue();
  expect(rolled).toMatch(KEY_PATTERN);
  expect(rolled).not.toBe(firstKey);
  await save.getByRole('button', { name: 'Close' }).click();

  await page.getByRole('link', { name: 'My first API key', exact: true }).click();
  await page.getByRole('group', { name: 'Actions' }).getByRole('link', { name: 'Delete' }).click();
  const confirm = page.getByRole('dialog', { name: 'Delete this API key?' });
  await confirm.getByRole('button', { name: 'Delete' }).click();
  await expect(page).toHaveURL(/\/settings\/integrations\/public-api$/);
  await expect(page.getByRole('row', { name: /My first API key/ })).toHaveCount(0);
});

test('the Available API / Selected API lists work by keyboard alone', async ({ page }) => {
  await register(page, false);
  await expect(page.getByTestId('user-name')).toHaveText('Ada Lovelace');
  await page.goto('/settings/integrations/public-api?dialog=create');
  await hydrated(page);
  const dialog = page.getByRole('dialog', { name: 'Create API key' });
  await dialog.getByLabel('Description').focus();
  await page.keyboard.press('Tab');
  const available = dialog.getByRole('listbox', { name: 'Available API' });
  const selected = dialog.getByRole('listbox', { name: 'Selected API' });
  await expect(available).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await expect(available.getByRole('option', { selected: true })).toHaveCount(1);
  const moving = await available.getByRole('option', { selected: true }).textContent();
  await page.keyboard.press('Enter');
  await expect(selected.getByRole('option')).toHaveText([moving ?? '']);
  await page.keyboard.press('Enter');
  await expect(selected.getByRole('option')).toHaveCount(2);
  // Tab past → and ← to the Selected API list, and move one back.
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await expect(selected).toBeFocused();
  await page.keyboard.press('Home');
  await page.keyboard.press('Enter');
  await expect(selected.getByRole('option')).toHaveCount(1);
  await expect(available.getByRole('option', { name: moving ?? '' })).toHaveCount(1);
  // Esc closes the dialog; nothing was created.
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await expect(page.getByText('No API keys yet.')).toBeVisible();
});

test('a refused Create keeps the chosen API sets, in place', async ({ page }) => {
  await register(page, false);
  await expect(page.getByTestId('user-name')).toHaveText('Ada Lovelace');
  await page.goto('/settings/integrations/public-api?dialog=create');
  await hydrated(page);
  const dialog = page.getByRole('dialog', { name: 'Create API key' });
  const available = dialog.getByRole('listbox', { name: 'Available API' });
  const selected = dialog.getByRole('listbox', { name: 'Selected API' });
  // Only spaces: the browser lets it through, the server refuses it.
  await dialog.getByLabel('Name', { exact: true }).fill('   ');
  await available.getByRole('option', { name: /^keys:read/ }).dblclick();
  await available.getByRole('option', { name: /^audit:read/ }).dblclick();
  await expect(selected.getByRole('option')).toHaveCount(2);
  await dialog.getByRole('button', { name: 'Finish' }).click();

  const name = dialog.getByLabel('Name', { exact: true });
  await expect(name).toHaveAttribute('aria-invalid', 'true');
  await expect(selected.getByRole('option')).toHaveText([/^audit:read/, /^keys:read/]);
  await expect(available.getByRole('option', { name: /^keys:read/ })).toHaveCount(0);

  // Corrected, the key gets exactly those sets.
  await name.fill('Kept sets');
  await dialog.getByRole('button', { name: 'Finish' }).click();
  await page.getByRole('dialog', { name: 'Save generated key' }).getByRole('button', { name: 'Close' }).click();
  await expect(page.getByRole('row', { name: /Kept sets/ })).toContainText('audit:read, keys:read');
});

test('API sets: create one, use it on a key, delete it after a warning', async ({ page }) => {
  await register(page, false);
  await expect(page.getByTestId('user-name')).toHaveText('Ada Lovelace');
  await page.goto('/settings/integrations/api-sets');
  await hydrated(page);
  await expect(page.getByRole('row', { name: /keys:read/ })).toContainText('Built-in');
  await page.getByLabel('Slug').fill('Billing!');
  await page.getByLabel('Name', { exact: true }).fill('Billing');
  await page.getByRole('button', { name: 'Create API set' }).click();
  await expect(page.getByLabel('Slug')).toHaveAttribute('aria-invalid', 'true');
  await page.getByLabel('Slug').fill('billing');
  await page.getByRole('button', { name: 'Create API set' }).click();
  await expect(page.getByRole('row', { name: /billing/ })).toContainText('Billing');

  await page.goto('/settings/integrations/public-api?dialog=create');
  await hydrated(page);
  const dialog = page.getByRole('dialog', { name: 'Create API key' });
  await dialog.getByLabel('Name', { exact: true }).fill('Invoices');
  await dialog.getByRole('listbox', { name: 'Available API' }).getByRole('option', { name: /^billing/ }).dblclick();
  await dialog.getByRole('button', { name: 'Finish' }).click();
  await page.getByRole('dialog', { name: 'Save generated key' }).getByRole('button', { name: 'Close' }).click();
  await expect(page.getByRole('row', { name: /Invoices/ })).toContainText('billing');

  await page.goto('/settings/integrations/api-sets');
  await hydrated(page);
  await page.getByRole('link', { name: 'Delete billing' }).click();
  const confirm = page.getByRole('dialog', { name: 'Delete this API set?' });
  await expect(confirm).toContainText('API keys using it: 1');
  await confirm.getByRole('button', { name: 'Delete' }).click();
  await expect(page.getByRole('row', { name: /billing/ })).toHaveCount(0);
  await page.goto('/settings/integrations/public-api');
  await expect(page.getByRole('row', { name: /Invoices/ })).not.toContainText('billing');
});

test('the same flow in Polish', async ({ page, context }) => {
  await context.addCookies([{ name: 'i18n_pref_locale', value: 'pl', url: 'http://127.0.0.1' }]);
  await register(page, true, {
    name: 'Imię i nazwisko',
    email: 'E-mail',
    password: 'Hasło',
    confirm: 'Powtórz hasło',
    location: 'Nazwa lokalizacji',
    firstKey: 'Utwórz teraz mój pierwszy klucz API',
    submit: 'Utwórz konto',
  });
  const first = page.getByRole('dialog', { name: 'Zapisz wygenerowany klucz' });
  await expect(first.getByLabel('Twój klucz API')).toHaveValue(KEY_PATTERN);
  await first.getByRole('button', { name: 'Zamknij' }).click();
  await page.getByRole('link', { name: 'Utwórz klucz API' }).click();
  const create = page.getByRole('dialog', { name: 'Utwórz klucz API' });
  await create.getByLabel('Nazwa', { exact: true }).fill('Integracja z CRM');
  await create.getByRole('button', { name: 'Zakończ' }).click();
  const save = page.getByRole('dialog', { name: 'Zapisz wygenerowany klucz' });
  await expect(save.getByLabel('Twój klucz API')).toHaveValue(KEY_PATTERN);
  await save.getByRole('button', { name: 'Zamknij' }).click();
  const row = page.getByRole('row', { name: /Integracja z CRM/ });
  await expect(row).toContainText('Aktywny');
  await row.getByRole('button', { name: 'Wyłącz Integracja z CRM' }).click();
  await expect(row).toContainText('Wyłączony');
  await row.getByRole('link', { name: 'Usuń Integracja z CRM' }).click();
  await page.getByRole('dialog', { name: 'Usunąć ten klucz API?' }).getByRole('button', { name: 'Usuń' }).click();
  await expect(page.getByRole('row', { name: /Integracja z CRM/ })).toHaveCount(0);
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('sign up with the first key, create, roll, disable, enable and delete a key with plain forms', async ({ page }) => {
    await page.goto('/register');
    await page.getByLabel('Name', { exact: true }).fill('Ada Lovelace');
    await page.getByLabel('E-mail', { exact: true }).fill(uniqueEmail('nojs'));
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Repeat password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Location name', { exact: true }).fill('Orufy');
    await page.getByRole('button', { name: 'Create account' }).click();

    await expect(page).toHaveURL(/\/settings\/integrations\/public-api$/);
    const first = page.getByRole('dialog', { name: 'Save generated key' });
    await expect(first.getByLabel('Your API key')).toHaveValue(KEY_PATTERN);
    await expect(first).toContainText('cannot be shown again');
    await first.getByRole('button', { name: 'Close' }).click();
    await expect(page.getByRole('dialog')).toHaveCount(0);

    await page.getByRole('link', { name: 'Create API key' }).click();
    const create = page.getByRole('dialog', { name: 'Create API key' });
    await create.getByLabel('Name', { exact: true }).fill('Plain form key');
    await create.getByLabel(/^keys:read/).check();
    await create.getByRole('button', { name: 'Finish' }).click();
    const save = page.getByRole('dialog', { name: 'Save generated key' });
    const key = await save.getByLabel('Your API key').inputValue();
    expect(key).toMatch(KEY_PATTERN);
    await save.getByRole('button', { name: 'Close' }).click();
    expect(await page.content()).not.toContain(key);

    const row = page.getByRole('row', { name: /Plain form key/ });
    await expect(row).toContainText('keys:read');
    // Roll: a new secret; the old one works for the chosen grace period.
    await row.getByRole('link', { name: 'Roll Plain form key' }).click();
    const roll = page.getByRole('dialog', { name: 'Roll this API key?' });
    await roll.getByLabel('Grace period').selectOption({ label: '1 hour' });
    await roll.getByRole('button', { name: 'Roll key' }).click();
    const rolled = page.getByRole('dialog', { name: 'Save generated key' });
    const newKey = await rolled.getByLabel('Your API key').inputValue();
    expect(newKey).toMatch(KEY_PATTERN);
    expect(newKey).not.toBe(key);
    await rolled.getByRole('button', { name: 'Close' }).click();
    await expect(page.getByRole('row', { name: /Plain form key/ })).toContainText(`Previous secret ${key.slice(0, 7)}… works until`);
    await expect(page.getByRole('row', { name: /Plain form key/ })).toContainText(newKey.slice(0, 7));
    await row.getByRole('button', { name: 'Disable Plain form key' }).click();
    await expect(page.getByRole('row', { name: /Plain form key/ })).toContainText('Disabled');
    await page.getByRole('row', { name: /Plain form key/ }).getByRole('button', { name: 'Enable Plain form key' }).click();
    await expect(page.getByRole('row', { name: /Plain form key/ })).toContainText('Active');
    await page.getByRole('row', { name: /Plain form key/ }).getByRole('link', { name: 'Delete Plain form key' }).click();
    await page.getByRole('dialog', { name: 'Delete this API key?' }).getByRole('button', { name: 'Delete' }).click();
    await expect(page.getByRole('row', { name: /Plain form key/ })).toHaveCount(0);
    await expect(page.getByRole('row', { name: /My first API key/ })).toBeVisible();
  });

  test('a bad name is reported beside the field and creates nothing', async ({ page }) => {
    await page.goto('/register');
    await page.getByLabel('Name', { exact: true }).fill('Ada Lovelace');
    await page.getByLabel('E-mail', { exact: true }).fill(uniqueEmail('nojs-bad'));
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Repeat password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Location name', { exact: true }).fill('Orufy');
    await page.getByLabel('Create my first API key now').uncheck();
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.goto('/settings/integrations/public-api?dialog=create');
    const create = page.getByRole('dialog', { name: 'Create API key' });
    await create.getByLabel('Name', { exact: true }).fill('   ');
    await create.getByRole('button', { name: 'Finish' }).click();
    await expect(page.getByRole('dialog', { name: 'Create API key' }).getByText('This field is required.')).toBeVisible();
    await page.goto('/settings/integrations/public-api');
    await expect(page.getByText('No API keys yet.')).toBeVisible();
  });
});
