import { expect, test, type Page } from './fixtures';

const PASSWORD = 'correct horse battery staple';

function uniqueEmail(tag: string) {
  return `${tag}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
}

async function hydrated(page: Page) {
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
}

async function fillRegistration(page: Page, email: string, labels = {
  name: 'Name',
  email: 'E-mail',
  password: 'Password',
  confirm: 'Repeat password',
  location: 'Location name',
}) {
  await page.getByLabel(labels.name, { exact: true }).fill('Ada Lovelace');
  await page.getByLabel(labels.email, { exact: true }).fill(email);
  await page.getByLabel(labels.password, { exact: true }).fill(PASSWORD);
  await page.getByLabel(labels.confirm, { exact: true }).fill(PASSWORD);
  await page.getByLabel(labels.location, { exact: true }).fill('Acme Warsaw');
}

test('register, sign out, sign in again', async ({ page }) => {
  const email = uniqueEmail('ada');
  await page.goto('/register');
  await hydrated(page);
  await fillRegistration(page, email);
  await page.locator('input[name="create_first_key"]').uncheck();
  await page.getByRole('button', { name: 'Create account' }).click();

  const menu = page.getByRole('region', { name: 'User menu' });
  await expect(menu.getByTestId('user-name')).toHaveText('Ada Lovelace');
  await expect(menu.getByTestId('user-organization')).toHaveText('Acme Warsaw');

  await menu.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(menu.getByRole('link', { name: 'Sign in' })).toBeVisible();

  await page.getByLabel('Username or e-mail').fill(email);
  await page.getByLabel('Password', { exact: true }).fill('a wrong password!');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toHaveText('The username, e-mail or password is not right.');

  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(menu.getByTestId('user-name')).toHaveText('Ada Lovelace');
});

test('sign-up errors are shown beside the field', async ({ page }) => {
  const email = uniqueEmail('dup');
  await page.goto('/register');
  await hydrated(page);
  await fillRegistration(page, email);
  await page.locator('input[name="create_first_key"]').uncheck();
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByTestId('user-name')).toHaveText('Ada Lovelace');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login$/);

  await page.goto('/register');
  await hydrated(page);
  await fillRegistration(page, email);
  await page.getByLabel('Repeat password', { exact: true }).fill('something else entirely');
  await page.locator('input[name="create_first_key"]').uncheck();
  await page.getByRole('button', { name: 'Create account' }).click();
  const email_input = page.getByLabel('E-mail', { exact: true });
  await expect(email_input).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('#register-email-error')).toHaveText(
    'An account with this e-mail already exists. Sign in instead.',
  );
});

test('a refused form comes back in place, with what was typed and the focus on the field', async ({ page }) => {
  const email = uniqueEmail('inplace');
  await page.goto('/register');
  await hydrated(page);
  // A marker on window survives only if the page is not reloaded.
  await page.evaluate(() => ((window as unknown as { marker: string }).marker = 'same page'));
  await fillRegistration(page, email);
  await page.getByLabel('Repeat password', { exact: true }).fill('something else entirely');
  await page.locator('input[name="create_first_key"]').uncheck();
  await page.getByRole('button', { name: 'Create account' }).click();

  const repeat = page.getByLabel('Repeat password', { exact: true });
  await expect(repeat).toHaveAttribute('aria-invalid', 'true');
  await expect(repeat).toBeFocused();
  // What was typed is kept (never a password), and so is the unticked box.
  await expect(page.getByLabel('Name', { exact: true })).toHaveValue('Ada Lovelace');
  await expect(page.getByLabel('E-mail', { exact: true })).toHaveValue(email);
  await expect(page.getByLabel('Location name', { exact: true })).toHaveValue('Acme Warsaw');
  await expect(page.getByLabel('Password', { exact: true })).toHaveValue('');
  await expect(page.locator('input[name="create_first_key"]')).not.toBeChecked();
  expect(await page.evaluate(() => (window as unknown as { marker?: string }).marker)).toBe('same page');

  // Corrected, it goes through, still without a reload; Back loads the form.
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await repeat.fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByTestId('user-name')).toHaveText('Ada Lovelace');
  expect(await page.evaluate(() => (window as unknown as { marker?: string }).marker)).toBe('same page');
  await page.goBack();
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  expect(page.url()).toContain('/register');
});

test('sign-up in Polish', async ({ page, context }) => {
  await context.addCookies([{ name: 'i18n_pref_locale', value: 'pl', url: 'http://127.0.0.1' }]);
  await page.goto('/register');
  await hydrated(page);
  await expect(page.getByRole('heading', { level: 1, name: 'Utwórz konto' })).toBeVisible();
  await fillRegistration(page, uniqueEmail('pl'), {
    name: 'Imię i nazwisko',
    email: 'E-mail',
    password: 'Hasło',
    confirm: 'Powtórz hasło',
    location: 'Nazwa lokalizacji',
  });
  await page.locator('input[name="create_first_key"]').uncheck();
  await page.getByRole('button', { name: 'Utwórz konto' }).click();
  const menu = page.getByRole('region', { name: 'Menu użytkownika' });
  await expect(menu.getByRole('button', { name: 'Wyloguj się' })).toBeVisible();
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('sign up and sign in with plain form posts', async ({ page }) => {
    const email = uniqueEmail('nojs');
    await page.goto('/register');
    await fillRegistration(page, email);
    await page.locator('input[name="create_first_key"]').uncheck();
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect(page).toHaveURL(/\/$/);
    await expect(page.getByTestId('user-name')).toHaveText('Ada Lovelace');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page).toHaveURL(/\/login$/);

    await page.getByLabel('Username or e-mail').fill(email);
    await page.getByLabel('Password', { exact: true }).fill('a wrong password!');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert')).toHaveText('The username, e-mail or password is not right.');

    await page.getByLabel('Username or e-mail').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page).toHaveURL(/\/$/);
    await expect(page.getByTestId('user-name')).toHaveText('Ada Lovelace');
  });
});
