import { expect, test, type Page } from './fixtures';

// Waits until the WASM bundle has hydrated the server-rendered page.
async function hydrated(page: Page) {
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
}

test.describe('server rendering', () => {
  test.use({ javaScriptEnabled: false });

  test('the home page is complete before any script runs', async ({ page }) => {
    const response = await page.goto('/');
    expect(response?.status()).toBe(200);
    await expect(
      page.getByRole('heading', { level: 1, name: 'API keys for your organization, in one place' }),
    ).toBeVisible();
    await expect(page.getByRole('link', { name: 'Settings' })).toHaveAttribute('href', '/settings');
    await expect(page.getByRole('group', { name: 'Language' })).toBeVisible();
    await expect(page.locator('html')).toHaveAttribute('lang', 'en');
    await expect(page.locator('body')).not.toHaveAttribute('data-hydrated', 'true');
  });

  test('the language switch works without JavaScript and is remembered', async ({ page }) => {
    await page.goto('/settings');
    await expect(page.getByRole('heading', { level: 1, name: 'Settings' })).toBeVisible();
    await page.getByRole('button', { name: 'Polski' }).click();
    await expect(page).toHaveURL(/\/settings$/);
    await expect(page.getByRole('heading', { level: 1, name: 'Ustawienia' })).toBeVisible();
    await expect(page.locator('html')).toHaveAttribute('lang', 'pl');
    await expect(page.getByRole('button', { name: 'Polski' })).toHaveAttribute('aria-pressed', 'true');

    await page.goto('/');
    await expect(
      page.getByRole('heading', { level: 1, name: 'Klucze API Twojej organizacji w jednym miejscu' }),
    ).toBeVisible();

    await page.getByRole('button', { name: 'English' }).click();
    await expect(
      page.getByRole('heading', { level: 1, name: 'API keys for your organization, in one place' }),
    ).toBeVisible();
  });

  test('an unknown address is a 404 page with a way home', async ({ page }) => {
    const response = await page.goto('/no/such/page');
    expect(response?.status()).toBe(404);
    await expect(page.getByRole('heading', { level: 1, name: 'Page not found' })).toBeVisible();
    await page.getByRole('link', { name: 'Go to the home page' }).click();
    await expect(page).toHaveURL(/\/$/);
  });
});

test.describe('hydrated', () => {
  test('switching language updates the page in place, without a reload', async ({ page }) => {
    const errors: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(msg.text());
    });
    page.on('pageerror', (err) => errors.push(err.message));

    await page.goto('/');
    await hydrated(page);
    // A marker on window survives only if the page is not reloaded.
    await page.evaluate(() => ((window as unknown as { marker: string }).marker = 'same page'));

    await page.getByRole('button', { name: 'Polski' }).click();
    await expect(
      page.getByRole('heading', { level: 1, name: 'Klucze API Twojej organizacji w jednym miejscu' }),
    ).toBeVisible();
    await expect(page.getByRole('link', { name: 'Ustawienia' })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Polski' })).toHaveAttribute('aria-pressed', 'true');
    await expect(page.locator('html')).toHaveAttribute('lang', 'pl');
    expect(await page.evaluate(() => (window as unknown as { marker?: string }).marker)).toBe('same page');

    // The choice is kept in a cookie: a fresh load renders Polish on the server.
    await page.reload();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(
      'Klucze API Twojej organizacji w jednym miejscu',
    );
    expect(errors).toEqual([]);
  });

  test('the gear icon leads to Settings', async ({ page }) => {
    await page.goto('/');
    await hydrated(page);
    await page.getByRole('link', { name: 'Settings' }).click();
    await expect(page).toHaveURL(/\/settings$/);
    await expect(page.getByRole('heading', { level: 1, name: 'Settings' })).toBeVisible();
    await expect(page.getByRole('navigation', { name: 'Breadcrumb' })).toContainText('Settings');
  });
});
