import { expect, test, type Page } from './fixtures';

const PASSWORD = 'correct horse battery staple';
const KEY_PATTERN = /^kh_[0-9A-Za-z]{38}$/;

async function hydrated(page: Page) {
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
}

test.beforeEach(({ page }) => {
  page.on('console', (m) => { if (m.type() === 'error') console.log('CONSOLE', m.type(), m.text()); });
  page.on('pageerror', (e) => console.log('PAGEERROR', e.message));
});

/** Signs up with the first key and returns it from Save generated key. */
async function signUpWithKey(page: Page): Promise<string> {
  const email = `api-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
  await page.goto('/register');
  await hydrated(page);
  await page.getByLabel('Name', { exact: true }).fill('Grace Hopper');
  await page.getByLabel('E-mail', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Repeat password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Location name', { exact: true }).fill('Harbour');
  await page.getByRole('button', { name: 'Create account' }).click();
  const save = page.getByRole('dialog', { name: 'Save generated key' });
  const key = await save.getByLabel('Your API key').inputValue();
  expect(key).toMatch(KEY_PATTERN);
  await save.getByRole('button', { name: 'Close' }).click();
  return key;
}

test('the key page shows its use: a 30-day chart, the addresses, and a rate limit that the API enforces', async ({ page, request }) => {
  const key = await signUpWithKey(page);
  const headers = { Authorization: `Bearer ${key}` };
  const me = await request.get('/api/v1/me', { headers });
  expect(me.status()).toBe(200);
  expect((await me.json()).name).toBe('My first API key');
  // Forward-auth names the organization it protects.
  const auth = `/api/v1/orgs/${(await me.json()).organization.slug}/auth`;
  for (let i = 0; i < 3; i++) {
    expect((await request.get(auth, { headers })).status()).toBe(204);
  }

  // Use is written in batches every 2 seconds: the page shows it after that.
  await page.getByRole('link', { name: 'My first API key', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'API key details' })).toBeVisible();
  await expect(async () => {
    await page.reload();
    await expect(page.getByRole('img', { name: /Requests per day, last 30 days/ })).toContainText(/Requests in the last 30 days: 4;/, { timeout: 1000 });
  }).toPass({ timeout: 15_000 });
  await page.getByText('Show as a table').click();
  const today = new Date().toISOString().slice(0, 10);
  const perDay = page.getByRole('table', { name: 'Requests per day, last 30 days' });
  await expect(perDay.getByRole('row', { name: new RegExp(today) })).toContainText('4');
  const usedFrom = page.getByRole('table', { name: 'Used from' });
  await expect(usedFrom.getByRole('row')).toHaveCount(2);
  await expect(usedFrom).toContainText('127.0.0.1');

  // A rate limit of 2 per minute: the third request is refused.
  await hydrated(page);
  const limit = page.getByRole('region', { name: 'Rate limit' });
  await expect(page.getByTestId('rate-limit')).toHaveText('No limit of its own.');
  await page.getByLabel('Requests per minute').fill('2');
  await page.getByRole('button', { name: 'Save rate limit' }).click();
  await expect(limit.getByRole('status')).toHaveText('Rate limit saved.');
  await expect(page.getByTestId('rate-limit')).toHaveText('Requests per minute: 2');
  const statuses = [];
  for (let i = 0; i < 3; i++) statuses.push((await request.get(auth, { headers })).status());
  expect(statuses).toEqual([204, 204, 429]);
  const refused = await request.get('/api/v1/me', { headers });
  expect(refused.status()).toBe(429);
  expect(Number(refused.headers()['retry-after'])).toBeGreaterThan(0);
  expect((await refused.json()).error.code).toBe('too_many_requests');

  // Removing the limit puts the key back to work.
  await page.getByLabel('Requests per minute').fill('');
  await page.getByRole('button', { name: 'Save rate limit' }).click();
  await expect(page.getByTestId('rate-limit')).toHaveText('No limit of its own.');
  expect((await request.get(auth, { headers })).status()).toBe(204);
});

test('the Public API page links to the API documentation, rendered from the binary', async ({ page }) => {
  await signUpWithKey(page);
  const outside: string[] = [];
  page.on('request', (r) => { if (!r.url().startsWith('http://127.0.0.1')) outside.push(r.url()); });
  await page.goto('/settings/integrations/public-api');
  await page.getByRole('link', { name: 'API documentation (OpenAPI)' }).click();
  await expect(page).toHaveURL(/\/docs\/$/);
  await expect(page.getByRole('heading', { name: /Keyhouse API/ })).toBeVisible();
  await expect(page.getByText('/api/v1/keys/verify', { exact: true })).toBeVisible();
  expect(outside, 'no CDN: everything is served by Keyhouse').toEqual([]);
});

test('Protect a service: the nginx configuration for this organization, copied whole, and the identifier changed with a warning', async ({ page, context, request }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const key = await signUpWithKey(page);
  const headers = { Authorization: `Bearer ${key}` };
  const slug = (await (await request.get('/api/v1/me', { headers })).json()).organization.slug as string;
  await page.goto('/settings/integrations/public-api');
  await hydrated(page);
  await expect(page.getByTestId('org-slug')).toHaveText(slug);

  // Require an API set: the page shows the configuration filled in for it.
  const protect = page.getByRole('region', { name: 'Protect a service' });
  await protect.getByLabel('API set to require').selectOption('keys:read');
  await protect.getByRole('button', { name: 'Show configuration' }).click();
  await expect(page).toHaveURL(/require=keys%3Aread/);
  const nginx = protect.getByRole('region', { name: 'nginx' });
  await expect(nginx.getByTestId('proxy-nginx')).toContainText(`/api/v1/orgs/${slug}/auth;`);
  await expect(nginx.getByTestId('proxy-nginx')).toContainText('proxy_set_header X-Keyhouse-Require "keys:read";');
  await nginx.getByRole('button', { name: 'Copy to clipboard' }).click();
  await expect(nginx.getByRole('status')).toHaveText('Copied');
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  expect(copied).toBe(await nginx.getByTestId('proxy-nginx').textContent());
  await expect(protect.getByRole('region', { name: 'Caddy' }).getByTestId('proxy-caddy')).toContainText(`uri /api/v1/orgs/${slug}/auth`);
  await expect(protect.getByRole('region', { name: 'Traefik' }).getByTestId('proxy-traefik')).toContainText(`/api/v1/orgs/${slug}/auth`);

  // Changing the identifier warns first; the old forward-auth path then
  // refuses the key and the new one lets it through.
  const identifier = page.getByRole('region', { name: 'Organization identifier' });
  await expect(identifier.getByRole('note')).toContainText('stops every proxy configured with the old one');
  const renamed = `${slug.slice(0, 20)}-moved`;
  await identifier.getByLabel('New identifier').fill(renamed);
  await identifier.getByRole('button', { name: 'Change identifier' }).click();
  await expect(page.getByTestId('org-slug')).toHaveText(renamed);
  expect((await request.get(`/api/v1/orgs/${slug}/auth`, { headers })).status()).toBe(401);
  expect((await request.get(`/api/v1/orgs/${renamed}/auth`, { headers })).status()).toBe(204);
});
