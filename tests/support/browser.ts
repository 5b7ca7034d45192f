// Chromium through playwright-core, for the portal tests: how to launch the browser
// `npm test` found or installed (scripts/find-browser.ts), how to notice
// content-security-policy violations, and signing in through the login page.
import { chromium } from 'playwright-core';
import type { Browser, Locator, Page } from 'playwright-core';
import { CHROMIUM_ARGS } from './chromium-args.ts';
import { testEnv } from './env.ts';

/** Fails (never skips) when the run has no browser: browser tests run through `npm test`. */
export function launchChromium(): Promise<Browser> {
  const executablePath = testEnv.ATRIUM_TEST_CHROMIUM;
  if (!executablePath)
    throw new Error(
      'No browser for this test: run it through `npm test`, which finds or installs Chromium and passes it as ATRIUM_TEST_CHROMIUM (set ATRIUM_CHROMIUM to choose one).',
    );
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS });
}

/**
 * How Chromium reports a content-security-policy violation on the console. Older versions
 * said "Refused to …"; today most read "… violates the following Content Security Policy
 * directive …" (only some, like a blocked fetch, still say "Refused to").
 */
export const isCspViolation = (text: string) => /Content Security Policy|Refused to/i.test(text);

/** Signs in through the login page (wherever the page is) and waits to leave it. */
export async function signInThroughPortal(page: Page, email: string, password: string): Promise<void> {
  if (!new URL(page.url()).pathname.startsWith('/login')) await page.goto('/login');
  const form = page.getByRole('form', { name: 'Sign in' });
  await form.getByRole('textbox', { name: 'Email' }).fill(email);
  await form.getByRole('textbox', { name: 'Password' }).fill(password);
  await form.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
}

/**
 * Waits until React has hydrated the page: it attaches its props to the elements it hydrated
 * (the header's colour toggle is on every signed-in page), and from then on forms, buttons and
 * controlled fields act through React. On a busy machine the server-rendered page is visible
 * well before that, and an edit made to it is lost.
 */
export async function waitForHydration(page: Page, selector = '[data-testid="color-scheme-toggle"]'): Promise<void> {
  await page.waitForFunction((hydratedElement) => {
    const element = document.querySelector(hydratedElement);
    return element !== null && Object.keys(element).some((key) => key.startsWith('__reactProps'));
  }, selector);
}

/**
 * The error page a person sees. While React streams a lazily loaded boundary in, a copy can
 * sit hidden beside the one being revealed, so only the visible one counts.
 */
export function visibleErrorPage(page: Page): Locator {
  return page.getByTestId('error-page').filter({ visible: true });
}

/**
 * Whether the page scrolls sideways, counted only when it still does a second later: right
 * after a viewport change or hydration a busy machine may measure a layout not yet settled.
 */
export async function scrollsSideways(page: Page): Promise<boolean> {
  const overflows = () => page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
  if (!(await overflows())) return false;
  await page.waitForTimeout(1_000);
  return overflows();
}
