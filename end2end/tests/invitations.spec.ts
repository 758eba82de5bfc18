import { expect, test, type Page } from './fixtures';

const PASSWORD = 'correct horse battery staple';

async function hydrated(page: Page) {
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
}

test('invite a user, accept in a second browser, deactivate them', async ({ page, browser }) => {
  const adminEmail = `inv-admin-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
  const inviteeEmail = `invitee-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
  await page.goto('/register');
  await hydrated(page);
  await page.getByLabel('Name', { exact: true }).fill('Admiral Admin');
  await page.getByLabel('E-mail', { exact: true }).fill(adminEmail);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Repeat password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Location name', { exact: true }).fill('Harbour');
  await page.locator('input[name="create_first_key"]').uncheck();
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByTestId('user-name')).toHaveText('Admiral Admin');

  await page.getByRole('banner').getByRole('link', { name: 'Admin' }).click();
  await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Users' }).click();
  await page.getByRole('link', { name: 'Invite user' }).click();
  await hydrated(page);
  await page.getByLabel('E-mail or phone number').fill(inviteeEmail);
  await page.getByRole('combobox', { name: 'Role' }).selectOption({ label: 'Developer' });
  await page.getByRole('button', { name: 'Create invitation' }).click();
  const link = await page.getByTestId('invitation-link').inputValue();
  expect(link).toMatch(/\/invite\/[A-Za-z0-9_-]{43}$/);
  await expect(page.getByRole('table')).toContainText(inviteeEmail);

  const second = await browser.newContext();
  const invitee = await second.newPage();
  await invitee.goto(link);
  await hydrated(invitee);
  await expect(invitee.getByTestId('invitation-summary')).toHaveText(
    'You are invited to join Harbour as Developer.',
  );
  await invitee.getByLabel('Name', { exact: true }).fill('Ivy Invitee');
  await invitee.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await invitee.getByLabel('Repeat password', { exact: true }).fill(PASSWORD);
  await invitee.getByRole('button', { name: 'Accept invitation' }).click();
  await expect(invitee.getByTestId('user-name')).toHaveText('Ivy Invitee');
  await expect(invitee.getByTestId('user-organization')).toHaveText('Harbour');

  // The admin deactivates the invitee.
  await page.goto(`/admin/users/${encodeURIComponent(inviteeEmail)}`);
  await hydrated(page);
  await page.getByRole('link', { name: 'Deactivate' }).click();
  await page.getByRole('dialog', { name: 'Deactivate this user?' }).getByRole('button', { name: 'Deactivate' }).click();
  await expect(page.getByTestId('details-status')).toHaveText('Inactive');

  // The invitee's open page is signed out on its next action.
  await invitee.getByRole('link', { name: 'Settings', exact: true }).click();
  await expect(invitee.getByRole('region', { name: 'User menu' }).getByRole('link', { name: 'Sign in' })).toBeVisible();
  await invitee.goto(link);
  await expect(invitee.getByRole('alert')).toContainText('no longer valid');
  await second.close();
});
