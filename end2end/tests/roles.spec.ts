import { expect, test, type Page } from './fixtures';

const PASSWORD = 'correct horse battery staple';

async function registerAdmin(page: Page) {
  const email = `roles-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
  await page.goto('/register');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await page.getByLabel('Name', { exact: true }).fill('Katherine Johnson');
  await page.getByLabel('E-mail', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Repeat password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Location name', { exact: true }).fill('Flight Research');
  await page.locator('input[name="create_first_key"]').uncheck();
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByTestId('user-name')).toHaveText('Katherine Johnson');
}

test('custom role editing', async ({ page }) => {
  await registerAdmin(page);
  await page.getByRole('banner').getByRole('link', { name: 'Admin' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Admin' })).toBeVisible();
  await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Roles' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Roles' })).toBeVisible();
  const table = page.getByRole('table');
  await expect(table.getByRole('rowheader', { name: /Admin/ })).toBeVisible();

  const create = page.getByRole('region', { name: 'New role' });
  await create.getByLabel('Role name').fill('Support');
  await create.getByRole('checkbox', { name: 'Manage Users' }).check();
  await create.getByRole('checkbox', { name: 'View Audit Log' }).check();
  await create.getByRole('button', { name: 'Create role' }).click();
  await expect(table.getByRole('row', { name: /Support/ })).toContainText('Manage Users, View Audit Log');

  const card = page.getByRole('region', { name: 'Support' });
  await card.getByLabel('Role name').fill('Support desk');
  await card.getByRole('checkbox', { name: 'View Audit Log' }).uncheck();
  await card.getByRole('button', { name: 'Save' }).click();
  await expect(table.getByRole('row', { name: /Support desk/ })).toContainText('Manage Users');
  await expect(table.getByRole('row', { name: /Support desk/ })).not.toContainText('View Audit Log');

  await page.getByRole('region', { name: 'Support desk' }).getByRole('link', { name: 'Delete' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete this role?' });
  await expect(dialog).toContainText('Support desk');
  await dialog.getByRole('button', { name: 'Delete' }).click();
  await expect(table.getByRole('row', { name: /Support desk/ })).toHaveCount(0);

  await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Audit log' }).click();
  await page.getByLabel('Action').selectOption({ label: 'Role deleted' });
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page.getByRole('table').getByRole('row')).toHaveCount(2);
});
