import { defineConfig } from '@playwright/test';
import * as path from 'path';

// The release server, on a loopback port, over a fresh SQLite file per run.
const port = Number(process.env.KEYHOUSE_E2E_PORT ?? 3100);
const root = path.resolve(__dirname, '..');
const dataDir = path.join(__dirname, '.data');

export default defineConfig({
  testDir: './tests',
  globalTeardown: './secrets-check.ts',
  fullyParallel: true,
  workers: 2,
  retries: 0,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  webServer: {
    // The server's whole log is kept: `secrets-check.ts` searches it (and the
    // database files) for any API key after the run.
    // It runs inside the data folder: the site files (bundle, CSS, icon) it
    // serves are the ones the binary carries, not a folder beside it.
    command: `rm -rf "${dataDir}" && mkdir -p "${dataDir}" && cd "${dataDir}" && exec "${root}/target/release/keyhouse" > "${dataDir}/server.log" 2>&1`,
    cwd: root,
    url: `http://127.0.0.1:${port}/readyz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
    env: {
      KEYHOUSE_ADDR: `127.0.0.1:${port}`,
      KEYHOUSE_DATABASE_URL: `sqlite://${dataDir}/e2e.db`,
      KEYHOUSE_LOG: 'debug',
      // Every test signs up from 127.0.0.1: the suite makes more accounts
      // in a minute than a real address may in an hour.
      KEYHOUSE_SIGN_UPS_PER_HOUR: '1000',
      // The suite's own secret scanner (fixtures/README.md).
      KEYHOUSE_LEAK_REPORT_KEYS: path.join(__dirname, 'fixtures', 'leak-reporter.public.pem'),
      // The webhook receivers of the suite listen on 127.0.0.1.
      KEYHOUSE_WEBHOOK_ALLOW_PRIVATE: 'true',
    },
  },
});
