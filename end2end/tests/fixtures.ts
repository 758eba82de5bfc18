// The `test` every spec imports: Playwright's own, plus a watch on every
// page of the test (also pages of contexts the test opens itself):
// - the Content-Security-Policy: any violation the browser reports fails the
//   test (the policy must allow exactly what the app does, no more, no less);
// - the console: an error, an uncaught exception, or a Leptos warning (a
//   hydration mismatch, an island without its WASM function) fails the test.
import { test as base, expect, type BrowserContext } from '@playwright/test';

export { expect };
export type { Page, Locator, BrowserContext } from '@playwright/test';

const CSP_TEXT = /Content[- ]Security[- ]Policy/i;

// What Leptos and the browser say when the page and its islands disagree.
const HYDRATION_TEXT = /hydrat|island|Could not find WASM function/i;
const SUBRESOURCE = /\/pkg\/|\/rpc\/|\.(js|wasm|css|svg|ico)(\?|$)/;

function watch(context: BrowserContext, violations: string[], consoleErrors: string[]) {
  context.on('console', (message) => {
    const text = message.text();
    // The browser's own report ("Refused to … because it violates the
    // following Content Security Policy directive …").
    if (CSP_TEXT.test(text)) violations.push(`${message.type()}: ${text}`);
    // A page's own status (a 404 page) is the test's to check; a failed
    // bundle file, icon or server function is an error.
    else if (/^Failed to load resource/.test(text) && !SUBRESOURCE.test(message.location().url)) return;
    else if (message.type() === 'error' || (message.type() === 'warning' && HYDRATION_TEXT.test(text))) {
      consoleErrors.push(`${message.type()} on ${message.location().url}: ${text}`);
    }
  });
  context.on('weberror', (error) => consoleErrors.push(`uncaught: ${error.error().message}`));
  // The DOM event, for violations the console may word differently.
  return context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      console.error(
        `Content Security Policy violation: ${event.violatedDirective} blocked ${event.blockedURI || 'inline'} (${event.sourceFile}:${event.lineNumber})`,
      );
    });
  });
}

export const test = base.extend<{ cspViolations: string[] }>({
  cspViolations: [
    async ({ context, browser }, use) => {
      const violations: string[] = [];
      const consoleErrors: string[] = [];
      await watch(context, violations, consoleErrors);
      // Contexts the test makes itself (a second browser user) are watched too.
      const newContext = browser.newContext.bind(browser);
      browser.newContext = async (...args: Parameters<typeof browser.newContext>) => {
        const created = await newContext(...args);
        await watch(created, violations, consoleErrors);
        return created;
      };
      try {
        await use(violations);
      } finally {
        browser.newContext = newContext;
      }
      expect(violations, 'Content-Security-Policy violations').toEqual([]);
      expect(consoleErrors, 'console errors and hydration warnings').toEqual([]);
    },
    { auto: true },
  ],
});
