// After the whole suite: no API key (the `kh_` format) may appear in the
// server's log (kept at debug level) or in the database files. Every test
// that creates a key has put it through the browser by then.
import * as fs from 'fs';
import * as path from 'path';

const KEY = /kh_[0-9A-Za-z]{38}/g;

export default async function secretsCheck() {
  const dir = path.join(__dirname, '.data');
  const log = fs.readFileSync(path.join(dir, 'server.log'), 'utf8');
  if (!log.includes('DEBUG')) {
    throw new Error('the server log was not captured; the secret check cannot run');
  }
  const files = fs.readdirSync(dir).filter((f) => f.startsWith('e2e.db'));
  if (files.length === 0) throw new Error('no database file to check');
  const leaks: string[] = [];
  for (const [name, text] of [
    ['server.log', log] as const,
    ...files.map((f) => [f, fs.readFileSync(path.join(dir, f)).toString('latin1')] as const),
  ]) {
    const found = text.match(KEY);
    if (found) leaks.push(`${name}: ${found.length} key(s)`);
  }
  if (leaks.length > 0) throw new Error(`API keys leaked: ${leaks.join(', ')}`);
  console.log(`secrets check: 0 keys in server.log (${log.length} bytes) and ${files.join(', ')}`);
}
