import { expect, test } from './fixtures';

const PASSWORD = 'correct horse battery staple';
const KEY_PATTERN = /^kh_[0-9A-Za-z]{38}$/;

function uniqueEmail(tag: string) {
  return `${tag}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
}

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('a leaked key: roll with 24 hours of grace, then End grace period now', async ({ page, request }) => {
    await page.goto('/register');
    await page.getByLabel('Name', { exact: true }).fill('Ada Lovelace');
    await page.getByLabel('E-mail', { exact: true }).fill(uniqueEmail('grace'));
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Repeat password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Location name', { exact: true }).fill('Orufy');
    await page.getByRole('button', { name: 'Create account' }).click();

    await expect(page).toHaveURL(/\/settings\/integrations\/public-api$/);
    const first = page.getByRole('dialog', { name: 'Save generated key' });
    const oldKey = await first.getByLabel('Your API key').inputValue();
    expect(oldKey).toMatch(KEY_PATTERN);
    await first.getByRole('button', { name: 'Close' }).click();

    const row = page.getByRole('row', { name: /My first API key/ });
    await row.getByRole('link', { name: 'Roll My first API key' }).click();
    const roll = page.getByRole('dialog', { name: 'Roll this API key?' });
    await roll.getByLabel('Grace period').selectOption({ label: '24 hours' });
    await roll.getByRole('checkbox', { name: 'Retire the old secret when it has not been used for 1 hour' }).check();
    await roll.getByRole('button', { name: 'Roll key' }).click();
    const rolled = page.getByRole('dialog', { name: 'Save generated key' });
    const newKey = await rolled.getByLabel('Your API key').inputValue();
    expect(newKey).toMatch(KEY_PATTERN);
    await rolled.getByRole('button', { name: 'Close' }).click();

    const me = (key: string) => request.get('/api/v1/me', { headers: { Authorization: `Bearer ${key}` } });
    expect((await me(oldKey)).status(), 'the old secret works during its grace period').toBe(200);

    await page.getByRole('row', { name: /My first API key/ }).getByRole('link', { name: 'My first API key', exact: true }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'API key details' })).toBeVisible();
    await expect(page.getByRole('row', { name: new RegExp(oldKey.slice(0, 7)) })).toContainText('Works until');
    // The rotation's progress: old against new, hour by hour, and who is still on the old one.
    await expect(page.getByRole('heading', { level: 2, name: 'Rotation progress' })).toBeVisible();
    await expect(page.getByRole('table', { name: 'Rotation progress' })).toBeVisible();
    await expect(page.getByText('The old secret is retired once it has not been used for 1 hour')).toBeVisible();
    await expect(page.getByRole('heading', { level: 3, name: 'Addresses still using the old secret' })).toBeVisible();
    await page.getByRole('button', { name: 'End grace period now' }).click();

    await expect(page).toHaveURL(/\/settings\/integrations\/public-api\/keys\/\d+$/);
    await expect(page.getByRole('button', { name: 'End grace period now' })).toHaveCount(0);
    await expect(page.getByRole('row', { name: new RegExp(oldKey.slice(0, 7)) })).toContainText('Retired');
    await expect(page.getByRole('heading', { name: 'Rotation progress' })).toHaveCount(0);
    expect((await me(oldKey)).status(), 'the old secret is refused at once').toBe(401);
    expect((await me(newKey)).status(), 'the current secret keeps working').toBe(200);

    await page.goto('/admin/audit');
    await expect(page.getByRole('table')).toContainText('API key grace period ended');
  });
});
