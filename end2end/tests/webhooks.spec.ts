// Webhooks, with JavaScript and without: add an endpoint (a receiver this
// test runs on 127.0.0.1) with the events it wants, save its signing secret
// once, send a test event and see it Delivered in the log, get a signed
// key.created when a key is made, then delete the endpoint.
import { createHmac } from 'crypto';
import * as http from 'http';
import type { AddressInfo } from 'net';
import { expect, test, type Page } from './fixtures';

const PASSWORD = 'correct horse battery staple';

type Received = { id: string; timestamp: string; signature: string; body: string };

async function receiver(): Promise<{ url: string; seen: Received[]; close: () => void }> {
  const seen: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      seen.push({
        id: String(req.headers['webhook-id'] ?? ''),
        timestamp: String(req.headers['webhook-timestamp'] ?? ''),
        signature: String(req.headers['webhook-signature'] ?? ''),
        body,
      });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, seen, close: () => server.close() };
}

/** The Standard Webhooks signature of a received event. */
function signature(secret: string, got: Received): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const mac = createHmac('sha256', key).update(`${got.id}.${got.timestamp}.${got.body}`).digest('base64');
  return `v1,${mac}`;
}

async function register(page: Page) {
  await page.goto('/register');
  await page.getByLabel('Name', { exact: true }).fill('Ada Lovelace');
  await page.getByLabel('E-mail', { exact: true }).fill(`hooks-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Repeat password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Location name', { exact: true }).fill('Orufy');
  await page.getByLabel('Create my first API key now').uncheck();
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).not.toHaveURL(/register/);
}

async function webhooks(page: Page) {
  const hook = await receiver();
  try {
    await register(page);
    await page.goto('/settings/integrations');
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await expect(page.getByTestId('no-endpoints')).toHaveText('No webhook endpoints yet.');
    await page.getByRole('link', { name: 'Add endpoint' }).click();
    const add = page.getByRole('dialog', { name: 'Add endpoint' });
    await add.getByLabel('Endpoint URL').fill(hook.url);
    await add.getByRole('checkbox', { name: /key\.created/ }).check();
    await add.getByRole('checkbox', { name: /key\.disabled/ }).check();
    await add.getByRole('button', { name: 'Add endpoint' }).click();

    const saved = page.getByRole('dialog', { name: 'Save the signing secret' });
    const secret = await saved.getByLabel('Signing secret').inputValue();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    await saved.getByRole('link', { name: 'Close' }).click();
    await expect(saved).toHaveCount(0);
    await expect(page.getByText(secret)).toHaveCount(0);

    const row = page.getByRole('row', { name: new RegExp(hook.url.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')) });
    await expect(row).toContainText('key.created, key.disabled');
    await row.getByRole('link', { name: hook.url }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Webhook endpoint');
    await page.getByRole('button', { name: 'Send test event' }).click();
    // The sender runs every second.
    await expect(async () => {
      await page.reload();
      const delivery = page.getByRole('region', { name: 'Deliveries' }).getByRole('row', { name: /webhook\.test/ });
      await expect(delivery.getByTestId('delivery-state')).toHaveText('Delivered', { timeout: 1000 });
      await expect(delivery.getByTestId('delivery-response')).toHaveText('204');
    }).toPass({ timeout: 15_000 });
    const test = hook.seen.find((r) => JSON.parse(r.body).type === 'webhook.test');
    expect(test, 'the receiver got the test event').toBeTruthy();
    expect(test!.signature).toBe(signature(secret, test!));

    // A key made now: key.created, signed, naming the key and never its secret.
    await page.goto('/settings/integrations/public-api');
    await page.getByRole('link', { name: 'Create API key' }).click();
    const create = page.getByRole('dialog', { name: 'Create API key' });
    await create.getByLabel('Name', { exact: true }).fill('Billing');
    await create.getByRole('button', { name: 'Finish' }).click();
    const key = await page.getByRole('dialog', { name: 'Save generated key' }).getByLabel('Your API key').inputValue();
    await expect.poll(() => hook.seen.filter((r) => JSON.parse(r.body).type === 'key.created').length, { timeout: 15_000 }).toBe(1);
    const created = hook.seen.find((r) => JSON.parse(r.body).type === 'key.created')!;
    expect(created.signature).toBe(signature(secret, created));
    expect(JSON.parse(created.body).data.details.name).toBe('Billing');
    expect(created.body).not.toContain(key);

    await page.goto('/settings/integrations/webhooks');
    await page.getByRole('link', { name: hook.url }).click();
    await page.getByRole('link', { name: 'Delete endpoint' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete this webhook endpoint?' });
    await confirm.getByRole('button', { name: 'Delete' }).click();
    await expect(page.getByTestId('no-endpoints')).toHaveText('No webhook endpoints yet.');
  } finally {
    hook.close();
  }
}

test('webhooks: add an endpoint, its secret once, a test event delivered, key.created signed, delete', async ({ page }) => {
  await webhooks(page);
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('webhooks: add an endpoint, its secret once, a test event delivered, key.created signed, delete', async ({ page }) => {
    await webhooks(page);
  });
});
