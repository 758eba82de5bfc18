// The `test` every spec imports: Playwright's own, plus a watch on the
// Content-Security-Policy. Any violation reported by the browser, in any
// page of the test (also pages of contexts the test opens itself), fails the
// test: the policy must allow exactly what the app does, no more and no less.
import { test as base, expect, type BrowserContext } from '@playwright/test';

export { expect };
export type { Page, Locator, BrowserContext } from '@playwright/test';

const CSP_TEXT = /Content[- ]Security[- ]Policy/i;

function watch(context: BrowserContext, violations: string[]) {
  // The browser's own console report ("Refused to … because it violates the
  // following Content Security Policy directive …").
  context.on('console', (message) => {
    if (CSP_TEXT.test(message.text())) violations.push(`${message.type()}: ${message.text()}`);
  });
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
      await watch(context, violations);
      // Contexts the test makes itself (a second browser user) are watched too.
      const newContext = browser.newContext.bind(browser);
      browser.newContext = async (...args: Parameters<typeof browser.newContext>) => {
        const created = await newContext(...args);
        await watch(created, violations);
        return created;
      };
      try {
        await use(violations);
      } finally {
        browser.newContext = newContext;
      }
      expect(violations, 'Content-Security-Policy violations').toEqual([]);
    },
    { auto: true },
  ],
});
