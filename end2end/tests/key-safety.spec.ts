// Key safety on the pages, with JavaScript and without: a key a secret
// scanner reports as leaked (red banner, Leaked, no Enable until rolled),
// a key's allowed addresses (bad input refused, suggestions from its own
// traffic ticked and saved, a request from elsewhere refused), and a decoy
// key (shown once, answered as unknown, its use an alarm, deleted).
import { createPrivateKey, randomInt, sign } from 'crypto';
import { crc32 } from 'zlib';
import * as fs from 'fs';
import * as path from 'path';
import { expect, test, type Page, type APIRequestContext } from './fixtures';

const PASSWORD = 'correct horse battery staple';
const KEY_PATTERN = /^kh_[0-9A-Za-z]{38}$/;
const REPORTER = createPrivateKey(
  fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'leak-reporter.private.pem')),
);

/** Registers a fresh organization; returns its first key. */
async function register(page: Page, tag: string): Promise<string> {
  await page.goto('/register');
  await page.getByLabel('Name', { exact: true }).fill('Ada Lovelace');
  await page.getByLabel('E-mail', { exact: true }).fill(`${tag}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Repeat password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Location name', { exact: true }).fill('Orufy');
  await page.getByRole('button', { name: 'Create account' }).click();
  const saved = page.getByRole('dialog', { name: 'Save generated key' });
  const key = await saved.getByLabel('Your API key').inputValue();
  expect(key).toMatch(KEY_PATTERN);
  await saved.getByRole('button', { name: 'Close' }).click();
  await expect(saved).toHaveCount(0);
  return key;
}

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A well-formed key nobody has: 32 random characters and their checksum. */
function unknownKey(): string {
  let body = 'kh_';
  for (let i = 0; i < 32; i++) body += ALPHABET[randomInt(62)];
  let value = crc32(body);
  let sum = '';
  for (let i = 0; i < 6; i++) {
    sum = ALPHABET[value % 62] + sum;
    value = Math.floor(value / 62);
  }
  return body + sum;
}

const me = (request: APIRequestContext, key: string) =>
  request.get('/api/v1/me', { headers: { Authorization: `Bearer ${key}` } });

async function reportLeak(request: APIRequestContext, key: string) {
  const body = JSON.stringify([
    { token: key, type: 'keyhouse_api_key', url: 'https://gist.example.com/ada/1', source: 'gist' },
  ]);
  const signature = sign('sha256', Buffer.from(body), REPORTER).toString('base64');
  const response = await request.post('/api/v1/leaks', {
    headers: { 'Content-Type': 'application/json', 'Keyhouse-Signature': signature },
    data: body,
  });
  expect(response.status()).toBe(200);
  expect(await response.text()).not.toContain(key);
  expect((await response.json())[0].label).toBe('true_positive');
}

async function leakedKeyIsRolledThenEnabled(page: Page, request: APIRequestContext) {
  const oldKey = await register(page, 'leak');
  await reportLeak(request, oldKey);
  expect((await me(request, oldKey)).status(), 'refused at once').toBe(401);

  await page.reload();
  const row = page.getByRole('row', { name: /My first API key/ });
  await expect(row).toContainText('Leaked');
  await expect(row.getByRole('button', { name: 'Enable My first API key' })).toHaveCount(0);
  await row.getByRole('link', { name: 'My first API key', exact: true }).click();
  const banner = page.getByRole('alert').filter({ hasText: 'Reported as leaked' });
  await expect(banner).toContainText('https://gist.example.com/ada/1');
  await expect(banner).toContainText('roll it, then enable it');

  await page.getByRole('link', { name: 'Roll', exact: true }).click();
  const roll = page.getByRole('dialog', { name: 'Roll this API key?' });
  await roll.getByRole('button', { name: 'Roll key' }).click();
  const rolled = page.getByRole('dialog', { name: 'Save generated key' });
  const newKey = await rolled.getByLabel('Your API key').inputValue();
  expect(newKey).toMatch(KEY_PATTERN);
  await rolled.getByRole('button', { name: 'Close' }).click();

  const again = page.getByRole('row', { name: /My first API key/ });
  await expect(again).toContainText('Disabled');
  await again.getByRole('button', { name: 'Enable My first API key' }).click();
  await expect(page.getByRole('row', { name: /My first API key/ })).toContainText('Active');
  expect((await me(request, newKey)).status()).toBe(200);
  expect((await me(request, oldKey)).status(), 'the leaked secret never comes back').toBe(401);
}

async function allowedAddresses(page: Page, request: APIRequestContext) {
  const key = await register(page, 'allow');
  expect((await me(request, key)).status()).toBe(200);
  await page.getByRole('row', { name: /My first API key/ }).getByRole('link', { name: 'My first API key', exact: true }).click();
  const section = page.getByRole('region', { name: 'Allowed addresses' });
  await expect(section).toContainText('Anywhere');

  // A range written with a host address: a clear message, nothing saved.
  const field = section.getByLabel('Addresses and ranges (CIDR), one per line');
  await field.fill('203.0.113.7/24');
  await section.getByRole('button', { name: 'Save allowed addresses' }).click();
  await expect(section).toContainText('A range is written with its first address: 203.0.113.0/24');
  await expect(section.getByTestId('allowed-addresses')).toContainText('Anywhere');

  // The key's own address is suggested once its use is written (every 2 s).
  await expect(async () => {
    await page.reload();
    await page.getByRole('region', { name: 'Allowed addresses' }).getByText('Suggest from the last 30 days').click();
    await expect(page.getByRole('checkbox', { name: '127.0.0.1' })).toBeVisible({ timeout: 1000 });
  }).toPass({ timeout: 15_000 });
  const fresh = page.getByRole('region', { name: 'Allowed addresses' });
  await fresh.getByLabel('Addresses and ranges (CIDR), one per line').fill('192.0.2.0/24');
  await page.getByRole('checkbox', { name: '127.0.0.1' }).check();
  await fresh.getByRole('button', { name: 'Save allowed addresses' }).click();
  await expect(fresh).toContainText('Allowed addresses saved.');
  await expect(fresh.getByTestId('allowed-addresses')).toContainText('127.0.0.1');
  await expect(fresh.getByTestId('allowed-addresses')).toContainText('192.0.2.0/24');
  expect((await me(request, key)).status(), 'from an allowed address').toBe(200);

  await fresh.getByLabel('Addresses and ranges (CIDR), one per line').fill('192.0.2.0/24');
  await fresh.getByRole('button', { name: 'Save allowed addresses' }).click();
  await expect(fresh.getByTestId('allowed-addresses')).not.toContainText('127.0.0.1');
  const refused = await me(request, key);
  expect(refused.status()).toBe(403);
  expect((await refused.json()).error.code).toBe('address_not_allowed');
}

async function decoy(page: Page, request: APIRequestContext) {
  await register(page, 'decoy');
  const section = page.getByRole('region', { name: 'Decoys' });
  await expect(section).toContainText('No decoy keys yet.');
  await section.getByRole('link', { name: 'Create decoy key' }).click();
  const dialog = page.getByRole('dialog', { name: 'Create decoy key' });
  await dialog.getByLabel('Name', { exact: true }).fill('Old deploy key');
  await dialog.getByRole('button', { name: 'Create decoy key' }).click();
  const saved = page.getByRole('dialog', { name: 'Save generated key' });
  const key = await saved.getByLabel('Your API key').inputValue();
  expect(key, 'looks exactly like a key').toMatch(KEY_PATTERN);
  await saved.getByRole('button', { name: 'Close' }).click();
  await expect(saved).toHaveCount(0);
  // Listed apart: no link to a key page, a row in Decoys.
  await expect(page.getByRole('link', { name: 'Old deploy key', exact: true })).toHaveCount(0);
  const row = page.getByRole('region', { name: 'Decoys' }).getByRole('row', { name: /Old deploy key/ });
  await expect(row.getByTestId('decoy-triggers')).toHaveText('0');

  const used = await me(request, key);
  const unknown = await me(request, unknownKey());
  expect((await unknown.json()).error.code).toBe('unknown_key');
  expect(used.status()).toBe(401);
  expect(await used.text(), 'answered as a key nobody has').toBe(await unknown.text());
  await expect(async () => {
    await page.reload();
    const again = page.getByRole('region', { name: 'Decoys' }).getByRole('row', { name: /Old deploy key/ });
    await expect(again.getByTestId('decoy-triggers')).toHaveText('1', { timeout: 1000 });
  }).toPass({ timeout: 10_000 });
  await expect(page.getByRole('region', { name: 'Decoys' }).getByRole('row', { name: /Old deploy key/ })).toContainText('127.0.0.1');

  await page.goto('/admin/audit');
  await expect(page.getByRole('table')).toContainText('Decoy key used (high severity)');
  await page.goto('/settings/integrations/public-api');
  await page.getByRole('link', { name: 'Delete Old deploy key' }).click();
  const confirm = page.getByRole('dialog', { name: 'Delete this decoy key?' });
  await confirm.getByRole('button', { name: 'Delete' }).click();
  await expect(page.getByRole('region', { name: 'Decoys' })).toContainText('No decoy keys yet.');
}

test('a key reported as leaked: banner, no Enable until rolled', async ({ page, request }) => {
  await leakedKeyIsRolledThenEnabled(page, request);
});

test('a decoy key: shown once, answered as unknown, its use an alarm, deleted', async ({ page, request }) => {
  await decoy(page, request);
});

test('allowed addresses: refused input, a ticked suggestion, a refused request', async ({ page, request }) => {
  await allowedAddresses(page, request);
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('a key reported as leaked: banner, no Enable until rolled', async ({ page, request }) => {
    await leakedKeyIsRolledThenEnabled(page, request);
  });

  test('allowed addresses: refused input, a ticked suggestion, a refused request', async ({ page, request }) => {
    await allowedAddresses(page, request);
  });

  test('a decoy key: shown once, answered as unknown, its use an alarm, deleted', async ({ page, request }) => {
    await decoy(page, request);
  });
});
