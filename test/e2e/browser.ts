import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import type { TestApp } from '../support/harness';

/**
 * Browser-test helpers: Debian's Chromium (never a downloaded one), one browser per test file,
 * one fresh context (cookie jar) per test.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const PHONE = { width: 360, height: 740 } as const;
export const DESKTOP = { width: 1280, height: 800 } as const;

/** Where screenshots go, for a person to look at after a run. */
export const SHOT_DIR = process.env.E2E_SCREENSHOT_DIR ?? '/tmp/hosting-rewards-e2e';

export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    throw new Error(`${CHROMIUM_PATH} is missing: install Debian's Chromium (apt-get install -y chromium); tests never download a browser.`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export async function newPage(
  browser: Browser,
  options: { viewport?: { width: number; height: number }; locale?: string; bypassCSP?: boolean } = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport: options.viewport ?? DESKTOP,
    locale: options.locale ?? 'en-US',
    // Only for injecting test tools (axe-core): the page's own CSP forbids inline scripts.
    bypassCSP: options.bypassCSP ?? false,
    // Phones report a touch device; the layout must not depend on it, but be realistic.
    ...(options.viewport && options.viewport.width < 600 ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}),
  });
  context.setDefaultTimeout(10_000);
  context.setDefaultNavigationTimeout(15_000);
  const page = await context.newPage();
  return { context, page };
}

/** Signs the browser in the way a panel does: a fresh single-use SSO link. */
export async function ssoUrl(app: TestApp, clientId: string, locale?: string): Promise<string> {
  const token = await app.plugin.services.auth.mintSsoToken(clientId, locale ? { locale } : {});
  return `${app.baseUrl}/sso?token=${encodeURIComponent(token)}`;
}

/** Full page by default; `fullPage: false` keeps just what the viewport shows (what a person sees first). */
export async function screenshot(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<string> {
  fs.mkdirSync(SHOT_DIR, { recursive: true });
  const file = path.join(SHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: options.fullPage ?? true });
  return file;
}

/**
 * Page width facts, read in the page (tsconfig has no DOM lib, so these are string expressions).
 * `clientWidth` is the layout viewport; `innerWidth` is not a yardstick on a phone: with mobile
 * emulation Chromium zooms out to fit content wider than the screen, so `innerWidth` grows with it.
 */
export async function pageWidths(
  page: Page,
): Promise<{ scrollWidth: number; clientWidth: number; innerWidth: number; bodyScrollWidth: number; viewportWidth: number }> {
  const inPage = await page.evaluate<{ scrollWidth: number; clientWidth: number; innerWidth: number; bodyScrollWidth: number }>(
    '({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth, innerWidth: window.innerWidth, bodyScrollWidth: document.body.scrollWidth })',
  );
  return { ...inPage, viewportWidth: page.viewportSize()?.width ?? 0 };
}

/** Elements whose box runs past `width`, for a failure message that names what overflows. */
async function elementsPast(page: Page, width: number): Promise<string[]> {
  return page.evaluate<string[]>(`(() => {
    const out = [];
    for (const el of document.querySelectorAll('body *')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.right <= ${width} + 0.5) continue;
      out.push(el.tagName.toLowerCase() + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().replace(/ +/g, '.') : '') + ' right=' + Math.round(r.right) + ' "' + (el.textContent || '').trim().slice(0, 40) + '"');
    }
    return out.slice(0, 10);
  })()`);
}

/** The page fits the configured viewport: nothing scrolls sideways and the layout viewport is not widened. */
export async function expectNoHorizontalOverflow(page: Page): Promise<void> {
  const w = await pageWidths(page);
  if (w.scrollWidth > w.clientWidth || w.bodyScrollWidth > w.clientWidth) {
    expect({ widths: w, past: await elementsPast(page, w.clientWidth) }).toEqual({ widths: w, past: [] });
  }
  expect(w.scrollWidth).toBeLessThanOrEqual(w.clientWidth);
  expect(w.bodyScrollWidth).toBeLessThanOrEqual(w.clientWidth);
  // A page without a device-width viewport lays out at 980 px on a phone and "fits" there.
  expect(w.clientWidth).toBeLessThanOrEqual(w.viewportWidth);
}

/** Visible, and its box lies inside [0, viewport width]. */
export async function expectWithinViewport(page: Page, locator: Locator): Promise<void> {
  await expect(locator.isVisible()).resolves.toBe(true);
  const box = await locator.boundingBox();
  const width = page.viewportSize()?.width ?? 0;
  expect(box).not.toBeNull();
  if (!box) return;
  expect(box.width).toBeGreaterThan(0);
  expect(box.x).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width).toBeLessThanOrEqual(width + 0.5);
}

interface InPageRect {
  left: number;
  right: number;
  width: number;
}
interface InPageNode {
  textContent: string | null;
}
interface InPageElement {
  getBoundingClientRect(): InPageRect;
  ownerDocument: {
    createTreeWalker(root: InPageElement, whatToShow: number): { nextNode(): InPageNode | null };
    createRange(): { selectNodeContents(node: InPageNode): void; getClientRects(): ArrayLike<InPageRect> };
  };
}

/**
 * Every line of text inside the element lies within its box, left to right. A page-width check
 * misses text that runs out of a table cell and is cut off by a container, or pushed out by its
 * label; this finds it. (Text of ::before labels is not in the DOM and not checked.)
 */
export async function expectTextInside(locator: Locator): Promise<void> {
  const outside = await locator.evaluate((el: unknown) => {
    const root = el as InPageElement;
    const box = root.getBoundingClientRect();
    const found: string[] = [];
    const walker = root.ownerDocument.createTreeWalker(root, 4 /* NodeFilter.SHOW_TEXT */);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = (node.textContent ?? '').trim();
      if (!text) continue;
      const range = root.ownerDocument.createRange();
      range.selectNodeContents(node);
      for (const r of Array.from(range.getClientRects())) {
        if (r.width > 0 && (r.left < box.left - 0.5 || r.right > box.right + 0.5)) {
          found.push(`"${text.slice(0, 40)}" spans ${Math.round(r.left)}–${Math.round(r.right)}, its box ${Math.round(box.left)}–${Math.round(box.right)}`);
        }
      }
    }
    return found;
  });
  expect(outside).toEqual([]);
}

interface StyleWindow {
  getComputedStyle(el: unknown, pseudo?: string | null): { getPropertyValue(name: string): string };
}

/** A computed CSS property of the first matching element (optionally of a pseudo-element such as "::before"). */
export async function computedStyle(locator: Locator, property: string, pseudo?: string): Promise<string> {
  return locator
    .first()
    .evaluate(
      (el, [prop, pse]) => (globalThis as unknown as StyleWindow).getComputedStyle(el, pse ?? null).getPropertyValue(prop as string),
      [property, pseudo] as const,
    );
}

/** Waits until the element is scrolled fully into the viewport vertically (what a person sees without scrolling). */
export async function waitUntilOnScreen(page: Page, selector: string, timeout = 5_000): Promise<void> {
  // Polled from here with `evaluate` (a CDP function call), not `waitForFunction`, whose in-page
  // polling evaluates a string: the pages' CSP (script-src 'self') rightly forbids that.
  const deadline = Date.now() + timeout;
  for (;;) {
    const onScreen = await page.evaluate((sel) => {
      const doc = (globalThis as unknown as { document: { querySelector(s: string): { getBoundingClientRect(): { height: number; top: number; bottom: number } } | null } }).document;
      const el = doc.querySelector(sel);
      if (!el) return false;
      const r = el.getBoundingClientRect();
      // Within a pixel: scrolling to a fragment lands on whole pixels, so a box can sit at top -0.2.
      return r.height > 0 && r.top > -1 && r.bottom < (globalThis as unknown as { innerHeight: number }).innerHeight + 1;
    }, selector);
    if (onScreen) return;
    if (Date.now() > deadline) throw new Error(`${selector} did not come on screen within ${timeout} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
