// Keys that outlive their owner: a programmatic user makes a key, is
// deactivated (the key stops working), and on their User Account Details
// the Admin transfers their keys to another Developer; the same secret
// works again at once.
import { expect, test, type Page } from './fixtures';

const PASSWORD = 'correct horse battery staple';

async function hydrated(page: Page) {
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
}

test('a deactivated member’s key is transferred and works again', async ({ browser, page, request }) => {
  await page.goto('/register');
  await hydrated(page);
  await page.getByLabel('Name', { exact: true }).fill('Grace Hopper');
  const email = `transfer-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
  await page.getByLabel('E-mail', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Repeat password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Location name', { exact: true }).fill('Navy Labs');
  await page.locator('input[name="create_first_key"]').uncheck();
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByTestId('user-name')).toHaveText('Grace Hopper');

  const bot = `leaver-${Math.floor(Math.random() * 1e6)}`;
  await page.goto('/admin/programmatic-users/new');
  await hydrated(page);
  await page.getByLabel('Username', { exact: true }).fill(bot);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Role', { exact: true }).selectOption({ label: 'Developer' });
  await page.getByRole('button', { name: 'Create user' }).click();
  await expect(page.getByTestId('details-username')).toHaveText(bot);

  // Who keeps it running: another Developer (not the Admin: a key acts as
  // its owner and must not gain power by moving).
  const keeper = `keeper-${Math.floor(Math.random() * 1e6)}`;
  await page.goto('/admin/programmatic-users/new');
  await hydrated(page);
  await page.getByLabel('Username', { exact: true }).fill(keeper);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Role', { exact: true }).selectOption({ label: 'Developer' });
  await page.getByRole('button', { name: 'Create user' }).click();
  await expect(page.getByTestId('details-username')).toHaveText(keeper);
  await page.goto(`/admin/users/${bot}`);
  await expect(page.getByTestId('details-username')).toHaveText(bot);

  // The bot makes its own key.
  const other = await browser.newContext();
  const botPage = await other.newPage();
  await botPage.goto('/login');
  await botPage.getByLabel('Username or e-mail').fill(bot);
  await botPage.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await botPage.getByRole('button', { name: 'Sign in' }).click();
  await expect(botPage.getByTestId('user-name')).toHaveText(bot);
  await botPage.goto('/settings/integrations/public-api?dialog=create');
  const create = botPage.getByRole('dialog', { name: 'Create API key' });
  await create.getByLabel('Name', { exact: true }).fill('Nightly sync');
  await create.getByRole('button', { name: 'Finish' }).click();
  const key = await botPage.getByRole('dialog', { name: 'Save generated key' }).getByLabel('Your API key').inputValue();
  await other.close();
  const me = () => request.get('/api/v1/me', { headers: { Authorization: `Bearer ${key}` } });
  expect((await me()).status()).toBe(200);

  // Deactivated: the key stops; the Admin hands it on.
  await page.getByRole('link', { name: 'Deactivate' }).click();
  await page.getByRole('dialog', { name: 'Deactivate this user?' }).getByRole('button', { name: 'Deactivate' }).click();
  await expect(page.getByTestId('details-status')).toHaveText('Inactive');
  expect((await me()).status(), 'Owner inactive').toBe(401);
  await page.reload();
  const section = page.getByRole('region', { name: 'Keys that outlive their owner' });
  await expect(section).toContainText('(1)');
  await section.getByLabel('Transfer to…').selectOption({ label: keeper });
  await section.getByRole('button', { name: 'Transfer keys' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'The keys were transferred.' })).toBeVisible();
  expect((await me()).status(), 'the same secret works again').toBe(200);
});
