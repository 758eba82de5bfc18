import { expect, test, type Page } from './fixtures';

const PASSWORD = 'correct horse battery staple';

async function hydrated(page: Page) {
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
}

async function registerAdmin(page: Page) {
  const email = `admin-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
  await page.goto('/register');
  await hydrated(page);
  await page.getByLabel('Name', { exact: true }).fill('Grace Hopper');
  await page.getByLabel('E-mail', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Repeat password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Location name', { exact: true }).fill('Navy Labs');
  await page.locator('input[name="create_first_key"]').uncheck();
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByTestId('user-name')).toHaveText('Grace Hopper');
  return email;
}

test('admin manages a programmatic user from User Management', async ({ page }) => {
  const email = await registerAdmin(page);
  await page.getByRole('banner').getByRole('link', { name: 'Admin' }).click();
  await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Users' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'User Management' })).toBeVisible();
  const table = page.getByRole('table');
  await expect(table.getByRole('columnheader', { name: 'Username' })).toBeVisible();
  await expect(table.getByRole('link', { name: email })).toBeVisible();

  const bot = `crm-sync-${Math.floor(Math.random() * 1e6)}`;
  await page.getByRole('link', { name: 'New programmatic user' }).click();
  await page.getByLabel('Username', { exact: true }).fill(bot);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Role', { exact: true }).selectOption({ label: 'Developer' });
  await page.getByRole('button', { name: 'Create user' }).click();

  await expect(page.getByRole('heading', { level: 1, name: 'User Account Details' })).toBeVisible();
  await expect(page.getByTestId('details-username')).toHaveText(bot);
  await expect(page.getByText('Programmatic', { exact: true })).toBeVisible();
  await expect(page.getByRole('combobox', { name: 'Role' })).toHaveValue(/\d+/);

  await page.getByRole('link', { name: 'Deactivate' }).click();
  const dialog = page.getByRole('dialog', { name: 'Deactivate this user?' });
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'Deactivate' }).click();
  await expect(page.getByTestId('details-status')).toHaveText('Inactive');
  await page.getByRole('button', { name: 'Activate' }).click();
  await expect(page.getByTestId('details-status')).toHaveText('Active');

  await page.goto(`/admin/users?kind=programmatic`);
  await expect(page.getByRole('table').getByRole('link', { name: bot })).toBeVisible();
  await expect(page.getByRole('table').getByRole('link', { name: email })).toHaveCount(0);
});

test('the programmatic user signs in with its username', async ({ browser, page }) => {
  await registerAdmin(page);
  const bot = `etl-${Math.floor(Math.random() * 1e6)}`;
  await page.goto('/admin/programmatic-users/new');
  await hydrated(page);
  await page.getByLabel('Username', { exact: true }).fill(bot);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Create user' }).click();
  await expect(page.getByTestId('details-username')).toHaveText(bot);

  const other = await browser.newContext();
  const botPage = await other.newPage();
  await botPage.goto('/login');
  await botPage.getByLabel('Username or e-mail').fill(bot);
  await botPage.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await botPage.getByRole('button', { name: 'Sign in' }).click();
  await expect(botPage.getByTestId('user-name')).toHaveText(bot);
  // A Member may not manage users: no Admin entry, and the page refuses.
  await expect(botPage.getByRole('link', { name: 'Admin' })).toHaveCount(0);
  await botPage.goto('/admin/users');
  await expect(botPage.getByRole('alert')).toHaveText('Your role does not allow this.');
  await other.close();
});
